"""The sitemap: the public pages, and the alerts while they are live (an ended alert leaves
it at once, since the live test runs at every read)."""

from __future__ import annotations

from typing import Any

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from qurb.alerts.models import AlertCase
from qurb.alerts.selectors import live_alerts


class PagesSitemap(Sitemap[str]):
    changefreq = "daily"

    def items(self) -> list[str]:
        return ["home", "reports:new", "insights:figures", "alerts:index", "alerts:subscribe"]

    def location(self, item: str) -> str:
        return reverse(item)


class AlertsSitemap(Sitemap[AlertCase]):
    changefreq = "hourly"
    priority = 1.0

    def items(self) -> list[AlertCase]:
        return list(live_alerts())

    def location(self, item: AlertCase) -> str:
        return reverse("alerts:page", args=[item.public_id])

    def lastmod(self, item: AlertCase) -> Any:
        return item.published_at


SITEMAPS = {"pages": PagesSitemap, "alerts": AlertsSitemap}
