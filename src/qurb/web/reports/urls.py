from django.urls import path

from qurb.web.reports import views

app_name = "reports"

urlpatterns = [
    path("report/", views.report_new, name="new"),
    path("report/challenge/", views.pow_challenge_view, name="challenge"),
    path("report/sent/<str:code>/", views.report_sent, name="sent"),
    path("track/", views.track_lookup, name="track_lookup"),
    path("track/<str:code>/", views.track, name="track"),
    path("staff/reports/", views.queue, name="queue"),
    path("staff/reports/<int:report_id>/", views.detail, name="detail"),
    path("staff/reports/<int:report_id>/status/", views.change_status, name="status"),
    path("staff/reports/<int:report_id>/assign/", views.assign, name="assign"),
    path("staff/reports/<int:report_id>/note/", views.add_note, name="note"),
    path("staff/reports/<int:report_id>/merge/", views.merge, name="merge"),
    path("staff/reports/<int:report_id>/classify/", views.classify, name="classify"),
    path("staff/reports/<int:report_id>/contact/", views.contact, name="contact"),
    path("staff/reports/<int:report_id>/photos/<int:photo_id>/", views.photo, name="photo"),
]
