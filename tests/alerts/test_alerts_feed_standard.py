"""The alerts feed is Atom as RFC 4287 defines it: checked with jing against the RFC's RELAX NG
schema and its Schematron rules, in each language and from two addresses (tests/atom.py), with
or without a live alert."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from qurb.alerts.models import AlertCase, CaseStatus
from qurb.alerts.services import alerts_expire
from tests.alerts.conftest import open_case, publish
from tests.atom import NS, check_feed

pytestmark = pytest.mark.django_db


def test_alerts_feed_is_valid_atom_with_an_author_and_ids_that_never_change() -> None:
    case = publish(open_case())
    feeds = check_feed(reverse("alerts:feed"))
    entry_id = f"tag:qurb.ma,2026:alert/{case.public_id}"
    for language, author in {
        "ar": "الأمن الوطني — قُرب",
        "fr": "Police nationale — Qurb",
        "en": "National police — Qurb",
    }.items():
        root = feeds[language]
        assert root.xpath("string(atom:author/atom:name)", namespaces=NS) == author
        assert root.xpath("string(atom:id)", namespaces=NS) == "tag:qurb.ma,2026:alerts"
        (entry,) = root.xpath(f"atom:entry[atom:id='{entry_id}']", namespaces=NS)
        links = {
            (link.get("rel"), link.get("type")) for link in entry.xpath("atom:link", namespaces=NS)
        }
        assert links == {("alternate", None), ("alternate", "application/cap+xml")}


def test_an_empty_alerts_feed_is_still_valid() -> None:
    live = AlertCase.objects.filter(status=CaseStatus.PUBLISHED)
    assert live.exists()  # the demo's exercise alert
    live.update(expires_at=timezone.now() - timedelta(minutes=1))
    assert alerts_expire() >= 1
    feeds = check_feed(reverse("alerts:feed"))
    assert all(not root.xpath("atom:entry", namespaces=NS) for root in feeds.values())
