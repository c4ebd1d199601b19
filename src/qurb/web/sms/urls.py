from django.urls import path

from qurb.web.sms import views, whatsapp

app_name = "sms"

urlpatterns = [
    path("sms/kannel/incoming", views.incoming, name="incoming"),
    path("sms/kannel/dlr", views.delivery_report, name="dlr"),
    path("sms/whatsapp/webhook", whatsapp.webhook, name="whatsapp"),
]
