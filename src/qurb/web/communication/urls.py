from django.urls import path

from qurb.web.communication import views

app_name = "communication"
urlpatterns = [
    path("events/", views.events, name="events"),
    path("events/calendar.ics", views.events_ics, name="events_ics"),
    path("events/sw.js", views.service_worker, name="service_worker"),
    path("events/manifest.webmanifest", views.manifest, name="manifest"),
    path("events/<slug:slug>/", views.programme, name="programme"),
    path("events/<slug:slug>/tickets/", views.ticket_new, name="ticket_new"),
    path("events/<slug:slug>/tickets/<str:code>/", views.ticket, name="ticket"),
    path("news/", views.news, name="news"),
    path("news/feed.atom", views.NewsFeed(), name="news_feed"),
    path("news/<slug:slug>/", views.article, name="article"),
    path("newsletter/", views.newsletter, name="newsletter"),
    path("newsletter/<str:token>/confirm/", views.newsletter_confirm, name="newsletter_confirm"),
    path("newsletter/<str:token>/", views.newsletter_preferences, name="newsletter_preferences"),
    path(
        "newsletter/<str:token>/unsubscribe/",
        views.newsletter_unsubscribe,
        name="newsletter_unsubscribe",
    ),
    path("staff/events/", views.staff_events, name="staff_events"),
    path("staff/events/<int:event_id>/", views.staff_event, name="staff_event"),
    path("staff/events/<int:event_id>/edit/", views.staff_event_edit, name="staff_event_edit"),
    path("staff/events/<int:event_id>/gate/", views.gate, name="gate"),
    path("staff/events/<int:event_id>/live.json", views.live, name="live"),
    path("staff/sessions/", views.staff_sessions, name="staff_sessions"),
    path("staff/news/", views.staff_news, name="staff_news"),
    path("staff/news/<int:article_id>/move/", views.staff_article_move, name="staff_article_move"),
    path("staff/newsletter/", views.staff_newsletter, name="staff_newsletter"),
    path("staff/newsletter/<int:newsletter_id>/", views.staff_edition, name="staff_edition"),
    path(
        "staff/areas/<int:area_id>/report/<int:year>/publish/",
        views.yearly_publish,
        name="yearly_publish",
    ),
]
