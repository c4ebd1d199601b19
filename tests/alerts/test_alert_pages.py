"""The staff pages of alerts answer 404 to everyone outside the case's area and unit, change
nothing for them, and the public pages link their feeds."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.urls import reverse

from qurb.alerts.models import AlertCase, CaseStatus
from tests.alerts.conftest import open_case, publish
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

OUTSIDERS = [
    "chief.agdal",
    "officer.agdal",
    "analyst",
    "admin",
    "inspector",
    "cell.fes",
    "resident",
    "association",
]
ATOM = "{http://www.w3.org/2005/Atom}"


def test_outsiders_get_404_and_change_nothing() -> None:
    pending = open_case()
    live = publish(open_case(child_first_name="Sara"))
    for username in OUTSIDERS:
        client = signed_in(username)
        for name in ["alerts:staff_case", "alerts:staff_photo"]:
            assert client.get(reverse(name, args=[pending.pk])).status_code == 404, (username, name)
        client.post(reverse("alerts:staff_validate", args=[pending.pk]), {"decision": "approve"})
        client.post(reverse("alerts:staff_close", args=[live.pk]), {"reason": "found"})
        client.post(reverse("alerts:staff_update", args=[live.pk]), {"clothing": "x"})
        listing = client.get(reverse("alerts:staff_list"))
        if username in {"chief.agdal", "officer.agdal"}:  # they open cases in their own area
            assert listing.status_code == 200
            assert "Adam" not in listing.content.decode()
        else:
            assert listing.status_code == 404, username
            assert client.get(reverse("alerts:staff_new")).status_code == 404, username
    assert AlertCase.objects.get(pk=pending.pk).status == CaseStatus.PENDING
    live.refresh_from_db()
    assert live.status == CaseStatus.PUBLISHED
    assert live.clothing == "Survêtement rouge"
    # The unit sees the list and the case, but neither updates nor closes it.
    unit = signed_in("unit.fes")
    assert unit.get(reverse("alerts:staff_list")).status_code == 200
    unit.post(reverse("alerts:staff_close", args=[live.pk]), {"reason": "found"})
    assert AlertCase.objects.get(pk=live.pk).status == CaseStatus.PUBLISHED
    # Signed out: to the sign-in page.
    answer = Client().get(reverse("alerts:staff_case", args=[pending.pk]))
    assert answer.status_code == 302
    assert "/accounts/login/" in answer["Location"]


def test_officer_opens_a_case_from_the_page_and_bad_input_is_explained() -> None:
    officer = signed_in("officer.medina")
    page = officer.post(
        reverse("alerts:staff_new"),
        {"child_first_name": "Ali", "child_age": "19", "lat": "34.0651", "lon": "-4.9796"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert page.status_code == 400
    assert "Ensure this value is less than or equal to 17." in page.content.decode()
    assert not AlertCase.objects.filter(child_first_name="Ali").exists()


def test_index_links_a_valid_atom_feed_whose_entries_link_their_cap() -> None:
    case = publish(open_case())
    index = Client().get(reverse("alerts:index")).content.decode()
    assert 'rel="alternate" type="application/atom+xml"' in index
    feed = Client().get(reverse("alerts:feed"))
    assert feed["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.content)  # noqa: S314 - our own output
    assert root.tag == f"{ATOM}feed"
    for required in ["id", "title", "updated"]:
        assert root.find(f"{ATOM}{required}") is not None
    entries = root.findall(f"{ATOM}entry")
    mine = next(e for e in entries if case.public_id in (e.findtext(f"{ATOM}id") or ""))
    for required in ["id", "title", "updated"]:
        assert mine.find(f"{ATOM}{required}") is not None
    cap = [k for k in mine.findall(f"{ATOM}link") if k.get("type") == "application/cap+xml"]
    assert len(cap) == 1
    assert cap[0].get("rel") == "alternate"
    href = cap[0].get("href") or ""
    served = Client().get("/" + href.split("/", 3)[3])
    assert served.status_code == 200
    assert b"<msgType>Alert</msgType>" in served.content
    # The demo's exercise alert says so, in CAP too.
    exercise = AlertCase.objects.get(is_exercise=True)
    cap_exercise = Client().get(reverse("alerts:cap", args=[exercise.public_id])).content
    assert b"<status>Exercise</status>" in cap_exercise
