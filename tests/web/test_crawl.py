"""Every link a person can follow leads somewhere: a crawl of the demo from the home page,
signed out and signed in as each demo role, following each same-site ``<a href>``.

No page reached answers 4xx or 5xx, and each role reaches the pages listed for it (so the
navigation really leads to each tool). The crawl is bounded: a few addresses per shape of
address (``/staff/reports/<n>/`` is one shape), and a page budget per role.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.test import Client

from qurb.alerts.models import AlertCase
from qurb.areas.models import Area
from qurb.communication.models import Article, Event
from qurb.engagement.models import Meeting
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

# Where the crawl starts: the home page, and what its "use my location" form sends from the
# README's example point in Fès-Médina (a form, not a link, so it is given here).
README_POINT = "/?lat=34.0618&lon=-4.9751"
SECTOR = "032310107-S2"  # the neighbourhood at that point
PAGE_BUDGET = 400  # pages per role
PER_SHAPE = 4  # addresses visited per shape of address
DOWNLOAD_LIMIT = 256 * 1024  # bytes read of a file that is not a page
# Not followed: the admin (Django's own), signing out, and the service workers' scripts.
SKIPPED = ("/admin/", "/accounts/logout/", "/i18n/")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def _shape(url: str) -> str:
    """The address with its numbers and codes replaced: one shape per kind of page."""
    parts = urlsplit(url)
    path = re.sub(r"/\d+(?=/|\.|$)", "/N", parts.path)
    path = re.sub(r"/(news|events|alerts|track|tickets)/[^/]+/", r"/\1/X/", path)
    keys = sorted(p.split("=", 1)[0] for p in parts.query.split("&") if p)
    return path + ("?" + "&".join(keys) if keys else "")


@dataclass
class Crawl:
    reached: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)
    # Where each address was first found, to say which page links to a broken one.
    found_on: dict[str, str] = field(default_factory=dict)


def crawl(client: Client, *starts: str) -> Crawl:
    result = Crawl()
    queue: deque[str] = deque(starts)
    seen = set(starts)
    shapes: Counter[str] = Counter()
    while queue and len(result.reached) < PAGE_BUDGET:
        url = queue.popleft()
        response = client.get(url, follow=False)
        status = response.status_code
        if status in {301, 302, 303, 307, 308}:
            target = urldefrag(urljoin(url, response["Location"]))[0]
            result.reached.add(url)
            # One address, not a kind of page: a redirect's target is always followed.
            _enqueue(result, queue, seen, shapes, url, target, redirect=True)
            continue
        if status >= 400:
            result.failures.append(f"{status} {url} (linked from {result.found_on.get(url, '-')})")
            continue
        result.reached.add(url)
        if response.streaming:
            size = 0
            for chunk in response.streaming_content:  # type: ignore[attr-defined]
                size += len(chunk)
                if size > DOWNLOAD_LIMIT:
                    break
            continue
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        parser = _Links()
        parser.feed(response.content.decode())
        for href in parser.hrefs:
            target = urldefrag(urljoin(url, href))[0]
            _enqueue(result, queue, seen, shapes, url, target)
    return result


def _enqueue(
    result: Crawl,
    queue: deque[str],
    seen: set[str],
    shapes: Counter[str],
    source: str,
    target: str,
    *,
    redirect: bool = False,
) -> None:
    parts = urlsplit(target)
    if parts.scheme not in {"", "http"} or parts.netloc not in {"", "testserver"}:
        return  # another site, mailto:, tel:
    local = parts.path + ("?" + parts.query if parts.query else "")
    if not local or local in seen or local.startswith(SKIPPED):
        return
    shape = _shape(local)
    if shapes[shape] >= PER_SHAPE and not redirect:
        return
    shapes[shape] += 1
    seen.add(local)
    result.found_on[local] = source
    queue.append(local)


PUBLIC = [
    "/",
    "/report/",
    "/track/",
    "/alerts/",
    "/alerts/subscribe/",
    "/news/",
    "/news/feed.atom",
    "/newsletter/",
    "/events/",
    "/figures/",
    "/open-data/",
    "/associations/apply/",
    "alert page",
    "article",
    "event programme",
    "neighbourhood page",
    "held meeting",
    "next meeting",
]
STAFF_HOME = ["/staff/"]
NEIGHBOURHOOD_WORK = [
    "/staff/reports/",
    "/staff/reports/?status=received",
    "/staff/reports/?flag=urgent",
    "/staff/reports/?assigned=me",
    "a report",
    "/staff/alerts/",
    "/staff/events/",
    "/staff/sessions/",
]
# Each role (one demo account for each) and the pages it must reach from "/".
MUST_REACH: dict[str | None, list[str]] = {
    None: [*PUBLIC, "/accounts/login/"],
    "resident": PUBLIC,
    "association": [*PUBLIC, "/associations/space/"],
    "chief.medina": [
        *PUBLIC,
        *STAFF_HOME,
        *NEIGHBOURHOOD_WORK,
        "/staff/insights/",
        "staff area of Fès-Médina",
        "meeting to close",
        "next meeting to manage",
    ],
    "officer.medina": [*PUBLIC, *STAFF_HOME, *NEIGHBOURHOOD_WORK, "alert case"],
    "cell.fes": [
        *PUBLIC,
        *STAFF_HOME,
        "/staff/events/",
        "/staff/news/",
        "/staff/sessions/",
        "/staff/associations/",
        "staff area of Fès",
    ],
    "unit.fes": [*PUBLIC, *STAFF_HOME, "/staff/alerts/"],
    "analyst": [*PUBLIC, *STAFF_HOME, "/staff/reports/", "/staff/insights/", "staff area of Fès"],
    "inspector": [*PUBLIC, *STAFF_HOME],
    "admin": [
        *PUBLIC,
        *STAFF_HOME,
        "/staff/reports/",
        "/staff/events/",
        "/staff/news/",
        "/staff/sessions/",
        "/staff/associations/",
        "/staff/insights/",
        "staff area of Fès",
    ],
}


def _named_pages() -> dict[str, str]:
    """The demo's pages whose address holds an id, by what they are."""
    medina = Area.objects.get(code="032310107")
    held = Meeting.objects.filter(area=medina, held_at__isnull=False, is_public=True).first()
    coming = (
        Meeting.objects.filter(area=medina, held_at__isnull=True, is_public=True)
        .order_by("starts_at")
        .last()
    )
    unclosed = Meeting.objects.filter(area=medina, held_at__isnull=True, is_public=False).first()
    assert held, "the demo holds the whole loop in Fès-Médina: a meeting held"
    assert coming, "the next meeting"
    assert unclosed, "and one held without its closing report"
    alert = AlertCase.objects.get(is_exercise=True, child_first_name="Yasmine")
    article = Article.objects.filter(status="published").first()
    event = Event.objects.filter(is_published=True).first()
    assert article
    assert event
    return {
        "alert page": f"/alerts/{alert.public_id}/",
        "article": f"/news/{article.slug}/",
        "event programme": f"/events/{event.slug}/",
        "neighbourhood page": f"/neighbourhoods/{Area.objects.get(code=SECTOR).pk}/",
        "held meeting": f"/meetings/{held.pk}/",
        "next meeting": f"/meetings/{coming.pk}/",
        "next meeting to manage": f"/staff/meetings/{coming.pk}/",
        "meeting to close": f"/staff/meetings/{unclosed.pk}/",
        "staff area of Fès-Médina": f"/staff/areas/{medina.pk}/",
        "staff area of Fès": f"/staff/areas/{Area.objects.get(code='03.231').pk}/",
        "alert case": f"/staff/alerts/{alert.pk}/",
    }


def _reached(pattern: str, reached: set[str], named: dict[str, str]) -> bool:
    if pattern == "a report":
        return any(re.fullmatch(r"/staff/reports/\d+/", url) for url in reached)
    return named.get(pattern, pattern) in reached


@pytest.fixture
def demo_media(settings: Any) -> None:
    """The demo's stored files (an alert's photo, an association's statutes) are read, never
    written: the crawl only follows links."""
    settings.MEDIA_ROOT = settings.QURB_DEMO_MEDIA


@pytest.mark.parametrize("username", list(MUST_REACH), ids=lambda u: u or "signed-out")
def test_every_link_leads_somewhere(username: str | None, demo_media: None) -> None:
    client = signed_in(username) if username else Client()
    client.cookies["qurb_language"] = "en"
    result = crawl(client, "/", README_POINT)
    assert not result.failures, "\n".join(result.failures)
    named = _named_pages()
    missing = [p for p in MUST_REACH[username] if not _reached(p, result.reached, named)]
    assert not missing, f"{username or 'signed out'} never reaches {missing}"
    assert len(result.reached) < PAGE_BUDGET, "the crawl ran out of budget before the end"


def test_the_crawl_reports_a_broken_link() -> None:
    """The crawl is able to fail: an address that answers 404 is reported, with its shape."""
    result = crawl(Client(), "/no-such-page/")
    assert result.failures == ["404 /no-such-page/ (linked from -)"]
    shapes = [_shape("/staff/reports/12/"), _shape("/staff/reports/7/"), _shape("/news/a-b/")]
    assert shapes == ["/staff/reports/N/", "/staff/reports/N/", "/news/X/"]
