from django.urls import path

from qurb.neighbourhoods import views

app_name = "neighbourhoods"
urlpatterns = [
    path("neighbourhoods/<int:area_id>/", views.detail, name="detail"),
    path("neighbourhoods/<int:area_id>/boundary.geojson", views.boundary, name="boundary"),
    path("neighbourhoods/<int:area_id>/meetings.ics", views.meetings_ics, name="meetings_ics"),
    path("areas.geojson", views.map_areas, name="map_areas"),
    path("staff/areas/<int:area_id>/", views.staff_area, name="staff_area"),
]
