from django.urls import path

from qurb.web.alerts import views

app_name = "alerts"
urlpatterns = [
    path("alerts/", views.index, name="index"),
    path("alerts/feed.atom", views.AlertsFeed(), name="feed"),
    path("alerts/subscribe/", views.subscribe, name="subscribe"),
    path("alerts/subscribe/push/", views.subscribe_push, name="subscribe_push"),
    path("alerts/subscriptions/<str:token>/confirm/", views.confirm, name="confirm"),
    path("alerts/subscriptions/<str:token>/unsubscribe/", views.unsubscribe, name="unsubscribe"),
    path("alerts/sw.js", views.service_worker, name="service_worker"),
    path("alerts/<str:public_id>/", views.page, name="page"),
    path("alerts/<str:public_id>/photo.jpg", views.photo, name="photo"),
    path("alerts/<str:public_id>/cap.xml", views.cap, name="cap"),
    path("staff/alerts/", views.staff_list, name="staff_list"),
    path("staff/alerts/new/", views.staff_new, name="staff_new"),
    path("staff/alerts/<int:case_id>/", views.staff_case, name="staff_case"),
    path("staff/alerts/<int:case_id>/photo.jpg", views.staff_photo, name="staff_photo"),
    path("staff/alerts/<int:case_id>/validate/", views.staff_validate, name="staff_validate"),
    path("staff/alerts/<int:case_id>/update/", views.staff_update, name="staff_update"),
    path("staff/alerts/<int:case_id>/close/", views.staff_close, name="staff_close"),
]
