"""The events' calendar.ics read by two independent parsers (tests/ical.py): open days as whole
days (DTEND exclusive), sessions at their instants."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from qurb.accounts.models import User
from qurb.areas.models import Area
from qurb.communication.services import event_create, event_publish, programme_add
from tests.ical import ics_events

pytestmark = pytest.mark.django_db


def test_events_calendar_places_days_and_sessions_at_their_instants() -> None:
    cell = User.objects.get(username="cell.fes")
    fes = ZoneInfo(settings.TIME_ZONE)
    first = date(2027, 2, 20)  # in Ramadan: Morocco on UTC+0
    event = event_create(
        actor=cell,
        area=Area.objects.get(code="03.231"),
        kind="open_day",
        title="Journées portes ouvertes",
        starts_on=first,
        ends_on=first + timedelta(days=1),
        language="fr",
    )
    session = programme_add(
        actor=cell,
        event=event,
        title="Séminaire : police de proximité",
        speakers="Commissaire Bennani",
        starts_at=datetime(2027, 2, 20, 22, 0, tzinfo=fes),
        ends_at=datetime(2027, 2, 20, 23, 0, tzinfo=fes),
    )
    event_publish(actor=cell, event=event)
    body = Client().get(reverse("communication:events_ics")).content
    events = ics_events(body)
    assert events[f"event-{event.pk}@qurb.ma"] == (first, first + timedelta(days=2))
    assert events[f"session-{session.pk}@qurb.ma"] == (
        datetime(2027, 2, 20, 22, 0, tzinfo=fes),
        datetime(2027, 2, 20, 23, 0, tzinfo=fes),
    )
    assert b"DTSTART:20270220T220000Z" in body


def test_calendar_uids_do_not_depend_on_the_address_a_calendar_came_by() -> None:
    """A calendar app keeps one copy of an event whether it read the feed over one host name
    or another (RFC 5545 UIDs are global)."""
    first = Client(HTTP_HOST="127.0.0.1").get(reverse("communication:events_ics")).content
    second = Client(HTTP_HOST="localhost").get(reverse("communication:events_ics")).content
    uids = [
        sorted(line for line in body.decode().splitlines() if line.startswith("UID:"))
        for body in (first, second)
    ]
    assert uids[0]
    assert uids[0] == uids[1]
    assert all(uid.endswith("@qurb.ma") for uid in uids[0])
