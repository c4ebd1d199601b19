from django.urls import path

from qurb.web.accounts import associations as association_views
from qurb.web.engagement import meetings as meeting_views
from qurb.web.engagement import surveys as survey_views
from qurb.web.neighbourhoods import views

app_name = "neighbourhoods"
urlpatterns = [
    path("neighbourhoods/<int:area_id>/", views.detail, name="detail"),
    path("neighbourhoods/<int:area_id>/boundary.geojson", views.boundary, name="boundary"),
    path("neighbourhoods/<int:area_id>/meetings.ics", views.meetings_ics, name="meetings_ics"),
    path("areas.geojson", views.map_areas, name="map_areas"),
    path("places/search/", views.place_search, name="place_search"),
    path("staff/areas/<int:area_id>/", views.staff_area, name="staff_area"),
    path("associations/apply/", association_views.association_apply, name="association_apply"),
    path("staff/associations/", association_views.association_queue, name="association_queue"),
    path(
        "staff/associations/<int:association_id>/decide/",
        association_views.association_decide,
        name="association_decide",
    ),
    path("surveys/<int:survey_id>/", survey_views.survey_page, name="survey"),
    path(
        "surveys/<int:survey_id>/results/",
        survey_views.survey_results_page,
        name="survey_results",
    ),
    path("staff/areas/<int:area_id>/surveys/", survey_views.survey_open, name="survey_open"),
    path("meetings/<int:meeting_id>/", meeting_views.meeting_page, name="meeting"),
    path("meetings/<int:meeting_id>/rate/", meeting_views.meeting_rate, name="meeting_rate"),
    path(
        "associations/<int:association_id>/meetings.ics",
        meeting_views.association_meetings_ics,
        name="association_meetings_ics",
    ),
    path("staff/areas/<int:area_id>/meetings/new/", meeting_views.meeting_new, name="meeting_new"),
    path("staff/meetings/<int:meeting_id>/", meeting_views.meeting_manage, name="meeting_manage"),
    path("staff/meetings/<int:meeting_id>/hold/", meeting_views.meeting_hold, name="meeting_hold"),
    path(
        "staff/meetings/<int:meeting_id>/proposals/",
        meeting_views.proposal_add,
        name="meeting_proposal",
    ),
    path(
        "staff/meetings/<int:meeting_id>/proposals/<int:proposal_id>/answer/",
        meeting_views.proposal_answer,
        name="meeting_answer",
    ),
    path(
        "staff/areas/<int:area_id>/priorities/",
        meeting_views.priority_new,
        name="priority_new",
    ),
    path(
        "staff/priorities/<int:priority_id>/actions/",
        meeting_views.priority_action,
        name="priority_action",
    ),
    path(
        "staff/priorities/<int:priority_id>/evidence/",
        meeting_views.priority_evidence,
        name="priority_evidence",
    ),
    path("priorities/<int:priority_id>/rate/", meeting_views.priority_rate, name="priority_rate"),
    path(
        "staff/proposals/<int:proposal_id>/answer/",
        meeting_views.area_proposal_answer,
        name="proposal_answer",
    ),
    path("associations/space/", association_views.space, name="space"),
    path("associations/space/members/", association_views.member_add, name="space_member_add"),
    path(
        "associations/space/members/<int:user_id>/remove/",
        association_views.member_remove,
        name="space_member_remove",
    ),
    path("associations/space/proposals/", association_views.proposal_send, name="space_proposal"),
    path(
        "staff/associations/<int:association_id>/documents/<int:document_id>/",
        association_views.document_download,
        name="association_document",
    ),
    path(
        "staff/meetings/<int:meeting_id>/actions/<int:item_id>/done/",
        meeting_views.action_item_done,
        name="meeting_action_done",
    ),
    path(
        "staff/meetings/<int:meeting_id>/actions/",
        meeting_views.action_item_add,
        name="meeting_action",
    ),
]
