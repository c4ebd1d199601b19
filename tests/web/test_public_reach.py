"""What residents reach from every page (header and footer) and what the home page tells them
first: a live alert, the next events, the latest news, and the news feed for feed readers."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from qurb.accounts.models import User
from qurb.alerts.models import AlertCase
from qurb.alerts.services import case_close
from qurb.areas.selectors import neighbourhood_choices
from qurb.communication.models import Article, Event

pytestmark = pytest.mark.django_db

PUBLIC_TOOLS = [
    "home",
    "reports:new",
    "reports:track_lookup",
    "alerts:index",
    "alerts:subscribe",
    "communication:news",
    "communication:news_feed",
    "communication:newsletter",
    "communication:events",
    "insights:figures",
    "insights:open_data",
    "neighbourhoods:association_apply",
]


def links(html: str) -> set[str]:
    return set(re.findall(r'<a href="([^"#]+)', html))


@pytest.mark.parametrize("path", ["/", "/news/", "/report/", "/figures/"])
def test_every_page_reaches_the_public_tools(path: str) -> None:
    html = Client().get(path).content.decode()
    footer = html[html.index('<footer class="site-footer">') :]
    assert {reverse(name) for name in PUBLIC_TOOLS} <= links(footer)
    header = html[: html.index("</header>")]
    for name in ("home", "reports:new", "reports:track_lookup", "alerts:index"):
        assert reverse(name) in links(header)
    assert reverse("communication:news") in links(header)
    assert reverse("communication:events") in links(header)


def test_the_home_page_shows_the_live_alert_the_next_events_and_the_latest_news() -> None:
    html = Client().get("/").content.decode()
    alert = AlertCase.objects.get(is_exercise=True, child_first_name="Yasmine")
    event = Event.objects.filter(is_published=True).first()
    article = Article.objects.filter(status="published").first()
    assert event is not None
    assert article is not None
    assert f'href="/alerts/{alert.public_id}/"' in html
    assert html.index('id="live-alerts"') < html.index("<h1")  # before anything else
    assert f'href="/events/{event.slug}/"' in html
    assert f'href="/news/{article.slug}/"' in html
    head = html[: html.index("</head>")]
    assert re.search(
        r'<link rel="alternate" type="application/atom\+xml" href="/news/feed.atom"', head
    )
    feed = Client().get("/news/feed.atom")
    assert feed.status_code == 200
    assert feed["Content-Type"].startswith("application/atom+xml")


def test_no_alert_block_once_the_alert_ends() -> None:
    alert = AlertCase.objects.get(is_exercise=True, child_first_name="Yasmine")
    case_close(actor=User.objects.get(username="officer.medina"), case=alert, reason="found")
    html = Client().get("/").content.decode()
    assert 'id="live-alerts"' not in html
    assert f"/alerts/{alert.public_id}/" not in html


def test_the_home_page_lists_every_neighbourhood_as_a_link() -> None:
    """Without JavaScript (or a map), each neighbourhood is one link away."""
    html = Client().get("/").content.decode()
    index = html[html.index('id="area-index"') :]
    for parent, items in neighbourhood_choices():
        assert parent.get_absolute_url() in index
        for area in items:
            assert area.get_absolute_url() in index
