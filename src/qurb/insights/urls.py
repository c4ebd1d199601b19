from django.urls import path

from qurb.insights import views

app_name = "insights"

urlpatterns = [
    path("staff/insights/", views.dashboard, name="dashboard"),
    path("staff/insights/patrol.<str:fmt>", views.patrol_export, name="patrol"),
    path("figures/", views.figures, name="figures"),
    path("figures/data.<str:fmt>", views.figures_data, name="figures_data"),
]
