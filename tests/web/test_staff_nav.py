"""The staff navigation lists exactly the tools each role's capabilities open, and a person
holding two roles gets the tools of both (no more)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from qurb.accounts.access import forget_grants
from qurb.accounts.mfa import totp_enrol
from qurb.accounts.models import Role, User
from qurb.accounts.services import role_grant, user_create
from qurb.areas.models import Area
from qurb.web.common.navigation import staff_items
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

HOME = "staff_home"
QUEUE = "reports:queue"
ALERTS = "alerts:staff_list"
EVENTS = "communication:staff_events"
NEWS = "communication:staff_news"
NEWSLETTERS = "communication:staff_newsletter"
MESSAGES = "messaging:staff_list"
SESSIONS = "communication:staff_sessions"
ASSOCIATIONS = "neighbourhoods:association_queue"
AREA = "neighbourhoods:staff_area"
AREAS = "staff_home#areas"
INSIGHTS = "insights:dashboard"
AUDIT = "admin:audit_auditevent_changelist"
ADMIN = "admin:index"

# Each demo account and the tools its navigation must list, in order ("AREA" names the
# area whose overview it opens).
EXPECTED: dict[str, list[str]] = {
    "chief.medina": [
        HOME,
        QUEUE,
        ALERTS,
        EVENTS,
        MESSAGES,
        SESSIONS,
        f"{AREA}=032310107",
        INSIGHTS,
    ],
    # An officer serves one sector: the insights dashboard shows whole districts only.
    "officer.medina": [HOME, QUEUE, ALERTS, EVENTS, MESSAGES, SESSIONS, f"{AREA}=032310107-S1"],
    "cell.fes": [
        HOME,
        EVENTS,
        NEWS,
        NEWSLETTERS,
        MESSAGES,
        SESSIONS,
        ASSOCIATIONS,
        f"{AREA}=03.231",
    ],
    "unit.fes": [HOME, ALERTS],
    "analyst": [HOME, QUEUE, AREAS, INSIGHTS],
    "inspector": [HOME, AUDIT],
    "admin": [
        HOME,
        QUEUE,
        EVENTS,
        NEWS,
        NEWSLETTERS,
        SESSIONS,
        ASSOCIATIONS,
        AREAS,
        INSIGHTS,
        AUDIT,
        ADMIN,
    ],
    "resident": [],
    "association": [],
}


def _url(name: str) -> str:
    if "=" in name:
        url_name, code = name.split("=")
        return reverse(url_name, args=[Area.objects.get(code=code).pk])
    url_name, _, fragment = name.partition("#")
    return reverse(url_name) + (f"#{fragment}" if fragment else "")


class _NavLinks(HTMLParser):
    """The links of the <nav id="staff-nav"> element."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.found = False
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "nav" and values.get("id") == "staff-nav":
            self.found = self._inside = True
        elif tag == "a" and self._inside:
            self.links.append(values.get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self._inside = False


def nav_links(client: Client, path: str = "/") -> list[str] | None:
    """The staff navigation's links on a page (None: the page has none)."""
    parser = _NavLinks()
    parser.feed(client.get(path).content.decode())
    return parser.links if parser.found else None


@pytest.mark.parametrize("username", list(EXPECTED))
def test_the_navigation_lists_exactly_the_tools_of_the_role(username: str) -> None:
    expected = [_url(name) for name in EXPECTED[username]]
    shown = nav_links(signed_in(username))
    assert (shown or []) == expected
    if not expected:
        assert shown is None, "no empty staff navigation for residents and associations"
    assert [i.url for i in staff_items(User.objects.get(username=username))] == expected


@pytest.mark.parametrize("username", [u for u, tools in EXPECTED.items() if tools])
def test_every_tool_listed_opens(username: str) -> None:
    client = signed_in(username)
    for url in nav_links(client) or []:
        response = client.get(url)
        # The admin answers 200; every other tool too (no 404 for a tool that is listed).
        assert response.status_code == 200, url


def test_signed_out_and_before_the_second_factor_there_is_no_staff_navigation() -> None:
    assert nav_links(Client()) is None
    unverified = signed_in("chief.medina", verified=False)
    assert nav_links(unverified, "/accounts/mfa/") is None


def two_roles() -> User:
    """Alert validator over the Fès prefecture and district chief of Meknès."""
    user = user_create(username="two.roles", password="x-Long-enough-1", display_name="Two")
    role_grant(user=user, role=Role.ALERT_VALIDATOR, area=Area.objects.get(code="03.231"))
    role_grant(user=user, role=Role.DISTRICT_CHIEF, area=Area.objects.get(code="030610101"))
    totp_enrol(user=user, key_hex="00" * 20, backup_codes=[])
    forget_grants(user)
    return user


def test_two_roles_give_the_tools_of_both_and_the_area_of_the_one_that_has_areas() -> None:
    user = two_roles()
    meknes = Area.objects.get(code="030610101")
    expected = [
        reverse(HOME),
        reverse(QUEUE),
        reverse(ALERTS),
        reverse(EVENTS),
        reverse(MESSAGES),
        reverse(SESSIONS),
        reverse(AREA, args=[meknes.pk]),  # the validator's prefecture has no overview
        reverse(INSIGHTS),
    ]
    assert [i.url for i in staff_items(user)] == expected
    assert nav_links(signed_in(user.username)) == expected


def test_the_navigation_reads_the_roles_once_per_request() -> None:
    """Every page shows it: the assignments are read once, however many tools are checked."""
    client = signed_in("admin")
    client.get("/")  # warm the caches that are not per request (point index, settings)
    with CaptureQueriesContext(connection) as queries:
        client.get("/news/")
    assignments = [q for q in queries.captured_queries if "accounts_roleassignment" in q["sql"]]
    assert len(assignments) == 1
