from django.urls import path

from qurb.web.insights import views

app_name = "insights"

urlpatterns = [
    path("staff/insights/", views.dashboard, name="dashboard"),
    path("staff/insights/patrol.<str:fmt>", views.patrol_export, name="patrol"),
    path("figures/", views.figures, name="figures"),
    path("open-data/", views.open_data, name="open_data"),
    path("open-data/<slug:slug>.csv", views.open_data_file, name="open_data_file"),
    path("areas/<int:area_id>/report/<int:year>/", views.yearly, name="yearly"),
    path("figures/data.<str:fmt>", views.figures_data, name="figures_data"),
]
