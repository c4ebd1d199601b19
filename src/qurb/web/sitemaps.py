"""The sitemap (``/sitemap.xml``, sitemaps.org 0.9): every public page a search engine may
index, read through the domain's selectors.

Listed: the public tools, each neighbourhood (and district, prefecture) page, each published
article, each published neighbourhood message, each published event's programme, each meeting
open to residents (never an invitation-only one), each yearly report with something in it,
each survey's results (and its form while it is open), and each live alert (an ended alert
answers 410 and leaves the sitemap at once: the live test runs at every read). Never listed:
staff pages, tickets, tracking pages, confirmation links, or any page marked ``noindex``.

No ``hreflang`` alternates: a page has one address in every language (the language comes
from the ``qurb_language`` cookie or Accept-Language), so there is no other URL to name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.sitemaps import Sitemap
from django.urls import reverse
from django.utils import timezone

from qurb.alerts.models import AlertCase
from qurb.alerts.selectors import latest_message, live_alerts
from qurb.areas.models import Area
from qurb.areas.selectors import areas_in_active_generation
from qurb.communication.models import Article, Event
from qurb.communication.selectors import public_articles, public_events
from qurb.engagement.models import Meeting, Survey
from qurb.engagement.policy import meetings_published
from qurb.engagement.selectors import surveys_published
from qurb.insights.yearly import yearly_reports_published
from qurb.messaging.models import DistrictMessage
from qurb.messaging.selectors import public_messages

# The public tools, each one page (URL names).
PUBLIC_PAGES = [
    "home",
    "reports:new",
    "reports:track_lookup",
    "alerts:index",
    "alerts:subscribe",
    "communication:news",
    "communication:events",
    "communication:newsletter",
    "insights:figures",
    "insights:open_data",
    "neighbourhoods:association_apply",
]


class PagesSitemap(Sitemap[str]):
    changefreq = "daily"

    def items(self) -> list[str]:
        return PUBLIC_PAGES

    def location(self, item: str) -> str:
        return reverse(item)


class AreasSitemap(Sitemap[Area]):
    changefreq = "weekly"

    def items(self) -> list[Area]:
        return list(areas_in_active_generation())

    def location(self, item: Area) -> str:
        return item.get_absolute_url()


class ArticlesSitemap(Sitemap[Article]):
    changefreq = "weekly"

    def items(self) -> list[Article]:
        return list(public_articles())

    def location(self, item: Article) -> str:
        return reverse("communication:article", args=[item.slug])

    def lastmod(self, item: Article) -> datetime | None:
        return max(filter(None, [item.updated_at, item.publish_at]), default=None)


class MessagesSitemap(Sitemap[DistrictMessage]):
    changefreq = "monthly"

    def items(self) -> list[DistrictMessage]:
        return public_messages()

    def location(self, item: DistrictMessage) -> str:
        return reverse("messaging:message", args=[item.pk])

    def lastmod(self, item: DistrictMessage) -> datetime | None:
        return item.published_at


class EventsSitemap(Sitemap[Event]):
    changefreq = "daily"

    def items(self) -> list[Event]:
        return list(public_events())

    def location(self, item: Event) -> str:
        return reverse("communication:programme", args=[item.slug])


class MeetingsSitemap(Sitemap[Meeting]):
    changefreq = "weekly"

    def items(self) -> list[Meeting]:
        return list(meetings_published())

    def location(self, item: Meeting) -> str:
        return reverse("neighbourhoods:meeting", args=[item.pk])


class YearlyReportsSitemap(Sitemap[tuple[Area, int]]):
    changefreq = "monthly"

    def items(self) -> list[tuple[Area, int]]:
        return yearly_reports_published()

    def location(self, item: tuple[Area, int]) -> str:
        area, year = item
        return reverse("insights:yearly", args=[area.pk, year])


class SurveysSitemap(Sitemap[tuple[Survey, str]]):
    """Each survey's results, and its form while it is open."""

    changefreq = "daily"

    def items(self) -> list[tuple[Survey, str]]:
        today = timezone.localdate()
        pages = []
        for survey in surveys_published():
            if survey.opens_on <= today <= survey.closes_on:
                pages.append((survey, "neighbourhoods:survey"))
            pages.append((survey, "neighbourhoods:survey_results"))
        return pages

    def location(self, item: tuple[Survey, str]) -> str:
        survey, name = item
        return reverse(name, args=[survey.pk])


class AlertsSitemap(Sitemap[AlertCase]):
    changefreq = "hourly"
    priority = 1.0

    def items(self) -> list[AlertCase]:
        return list(live_alerts())

    def location(self, item: AlertCase) -> str:
        return reverse("alerts:page", args=[item.public_id])

    def lastmod(self, item: AlertCase) -> Any:
        """The last message sent (an update changes the page), else the publication."""
        message = latest_message(item)
        return message.sent if message is not None else item.published_at


SITEMAPS: dict[str, type[Sitemap[Any]]] = {
    "pages": PagesSitemap,
    "alerts": AlertsSitemap,
    "areas": AreasSitemap,
    "news": ArticlesSitemap,
    "messages": MessagesSitemap,
    "events": EventsSitemap,
    "meetings": MeetingsSitemap,
    "surveys": SurveysSitemap,
    "yearly": YearlyReportsSitemap,
}
