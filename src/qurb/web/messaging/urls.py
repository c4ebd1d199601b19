from django.urls import path

from qurb.web.messaging import views

app_name = "messaging"
urlpatterns = [
    path("neighbourhoods/<int:area_id>/subscribe/", views.subscribe, name="subscribe"),
    path(
        "neighbourhoods/<int:area_id>/subscribe/push/",
        views.subscribe_push,
        name="subscribe_push",
    ),
    path("neighbourhoods/<int:area_id>/messages.atom", views.AreaMessagesFeed(), name="area_feed"),
    path("messages/sw.js", views.service_worker, name="service_worker"),
    path("messages/<int:message_id>/", views.message, name="message"),
    path("messages/subscriptions/<str:token>/", views.preferences, name="preferences"),
    path("messages/subscriptions/<str:token>/confirm/", views.confirm, name="confirm"),
    path("messages/subscriptions/<str:token>/code/", views.code, name="code"),
    path("messages/subscriptions/<str:token>/unsubscribe/", views.unsubscribe, name="unsubscribe"),
    path("staff/messages/", views.staff_list, name="staff_list"),
    path("staff/messages/new/", views.staff_new, name="staff_new"),
    path("staff/messages/<int:message_id>/", views.staff_message, name="staff_message"),
    path(
        "staff/messages/<int:message_id>/<str:action>/",
        views.staff_action,
        name="staff_action",
    ),
]
