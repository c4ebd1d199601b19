from django.urls import path

from qurb.web.staff import views

urlpatterns = [
    path("", views.home, name="staff_home"),
]
