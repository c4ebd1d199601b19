"""The sitemap lists every public page a search engine may index, and nothing else: it is valid
against the sitemaps.org XML Schema (tests/data/sitemap.xsd, read with lxml), each address in
it answers 200 without ``noindex``, and each indexable page a visitor reaches from the home
page is in it."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from qurb.accounts.models import User
from qurb.alerts.models import AlertCase
from qurb.alerts.services import case_close
from qurb.areas.models import Area
from qurb.areas.selectors import areas_in_active_generation, descendants_of
from qurb.communication.models import Article, Event, Ticket
from qurb.engagement.models import Meeting
from qurb.engagement.services import survey_open
from qurb.reports.models import Report
from qurb.reports.selectors import counted_reports
from tests.web.test_crawl import README_POINT, crawl

pytestmark = pytest.mark.django_db

SCHEMA = Path(__file__).resolve().parents[1] / "data" / "sitemap.xsd"
NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
# Public pages that are not for a search engine, by design: signing in, and the ticket form
# (an event's programme is listed; a ticket is a visitor's own).
NOT_LISTED = [re.compile(p) for p in (r"^/accounts/login/$", r"^/events/[^/]+/tickets/")]
NOINDEX = re.compile(r"<meta\s+name=\"robots\"\s+content=\"[^\"]*noindex", re.IGNORECASE)


def sitemap_xml() -> bytes:
    response = Client().get("/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    return bytes(response.content)


def sitemap_paths() -> list[str]:
    tree = etree.fromstring(sitemap_xml())
    locations = [str(loc) for loc in tree.xpath("//sm:url/sm:loc/text()", namespaces=NS)]
    for location in locations:
        assert location.startswith("http://testserver/"), location
    return [urlsplit(location).path for location in locations]


def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def test_the_sitemap_is_valid_against_the_sitemaps_org_schema() -> None:
    document = etree.fromstring(sitemap_xml())
    validator = schema()
    assert validator.validate(document), validator.error_log
    lastmods = document.xpath("//sm:lastmod/text()", namespaces=NS)
    assert lastmods  # the articles and the live alert carry one
    # The schema can fail: a frequency it does not know, a relative address.
    bad = etree.fromstring(sitemap_xml())
    bad.find("sm:url/sm:changefreq", NS).text = "sometimes"
    assert not validator.validate(bad)
    bad = etree.fromstring(sitemap_xml())
    bad.find("sm:url/sm:loc", NS).text = "/"
    assert not validator.validate(bad)


def test_the_sitemap_lists_every_public_page_once() -> None:
    paths = sitemap_paths()
    assert len(paths) == len(set(paths))
    listed = set(paths)
    for name in (
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
    ):
        assert reverse(name) in listed, name
    areas = list(areas_in_active_generation())
    assert len(areas) > 40
    for area in areas:
        assert f"/neighbourhoods/{area.pk}/" in listed
    for article in Article.objects.filter(status="published"):
        assert f"/news/{article.slug}/" in listed
    for event in Event.objects.filter(is_published=True):
        assert f"/events/{event.slug}/" in listed
    public = Meeting.objects.filter(is_public=True)
    assert public.exists()
    for meeting in public:
        assert f"/meetings/{meeting.pk}/" in listed
    alert = AlertCase.objects.get(is_exercise=True, child_first_name="Yasmine")
    assert f"/alerts/{alert.public_id}/" in listed
    # The yearly report of each district and prefecture, for each year with reports in it;
    # none for a neighbourhood (its district's report covers it).
    medina = Area.objects.get(code="032310107")
    years = {
        d.year
        for d in counted_reports()
        .filter(area_id__in=descendants_of({medina.pk}))
        .dates("seen_on", "year")
    }
    assert years
    for year in years:
        assert f"/areas/{medina.pk}/report/{year}/" in listed
        assert f"/areas/{medina.parent_id}/report/{year}/" in listed
    leaves = {a.pk for a in areas if not a.children.exists()}
    yearly = [int(p.split("/")[2]) for p in listed if re.fullmatch(r"/areas/\d+/report/\d+/", p)]
    assert yearly
    assert not leaves & set(yearly)
    assert len(paths) >= 73


def test_the_sitemap_lists_no_private_or_noindex_page() -> None:
    listed = sitemap_paths()
    invited = Meeting.objects.filter(is_public=False)
    assert invited.exists()
    for meeting in invited:
        assert f"/meetings/{meeting.pk}/" not in listed
    for path in listed:
        assert not path.startswith(("/staff/", "/admin/", "/accounts/", "/track/X")), path
        assert "/tickets/" not in path
    for report in Report.objects.all()[:20]:
        assert f"/track/{report.tracking_code}/" not in listed
    ticket = Ticket.objects.first()
    if ticket is not None:
        assert ticket.code not in "".join(listed)


def test_an_ended_alert_leaves_the_sitemap_and_an_open_survey_enters_it() -> None:
    alert = AlertCase.objects.get(is_exercise=True, child_first_name="Yasmine")
    case_close(actor=User.objects.get(username="officer.medina"), case=alert, reason="found")
    today = timezone.localdate()
    survey = survey_open(
        area=Area.objects.get(code="032310107"),
        opens_on=today,
        closes_on=today + timedelta(days=30),
        actor=User.objects.get(username="chief.medina"),
    )
    listed = sitemap_paths()
    assert f"/alerts/{alert.public_id}/" not in listed
    assert f"/surveys/{survey.pk}/" in listed
    assert f"/surveys/{survey.pk}/results/" in listed


def test_every_address_in_the_sitemap_answers_200_and_may_be_indexed() -> None:
    client = Client()
    paths = sitemap_paths()
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response["Content-Type"].startswith("text/html"), path
        assert "noindex" not in response.get("X-Robots-Tag", ""), path
        assert not NOINDEX.search(response.content.decode()), path


def test_each_indexable_page_a_visitor_reaches_is_in_the_sitemap() -> None:
    """A crawl from the home page, signed out: every HTML page that answers 200 without
    ``noindex`` (and without a query: filters and searches are the same page) is listed."""
    listed = set(sitemap_paths())
    client = Client()
    reached = crawl(client, "/", README_POINT).reached
    missing = []
    checked = 0
    for url in sorted(reached):
        parts = urlsplit(url)
        if parts.query or any(p.search(parts.path) for p in NOT_LISTED):
            continue
        response = client.get(url)
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        html = response.content.decode()
        if "noindex" in response.get("X-Robots-Tag", "") or NOINDEX.search(html):
            continue
        checked += 1
        if parts.path not in listed:
            missing.append(parts.path)
    assert checked > 20
    assert not missing, missing
