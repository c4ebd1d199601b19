"""data.police.uk's paths under ``/api/`` (after ``/api/v1/``, Qurb's own API, which keeps
its paths). Like police.uk, a force or neighbourhood called ``forces``, ``neighbourhoods``
or ``locate-neighbourhood`` would be shadowed (area codes are not words like these)."""

from django.urls import path

from qurb.web.policeuk import views

app_name = "policeuk"
urlpatterns = [
    path("forces", views.forces, name="forces"),
    path("forces/<str:force>", views.force, name="force"),
    path("forces/<str:force>/people", views.senior_officers, name="senior_officers"),
    path("locate-neighbourhood", views.locate, name="locate"),
    path("<str:force>/neighbourhoods", views.neighbourhoods, name="neighbourhoods"),
    path("<str:force>/<str:neighbourhood>", views.neighbourhood, name="neighbourhood"),
    path("<str:force>/<str:neighbourhood>/boundary", views.boundary, name="boundary"),
    path("<str:force>/<str:neighbourhood>/people", views.people, name="people"),
    path("<str:force>/<str:neighbourhood>/events", views.events, name="events"),
    path("<str:force>/<str:neighbourhood>/priorities", views.priorities, name="priorities"),
]
