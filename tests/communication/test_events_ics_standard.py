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
    assert events[f"event-{event.pk}@testserver"] == (first, first + timedelta(days=2))
    assert events[f"session-{session.pk}@testserver"] == (
        datetime(2027, 2, 20, 22, 0, tzinfo=fes),
        datetime(2027, 2, 20, 23, 0, tzinfo=fes),
    )
    assert b"DTSTART:20270220T220000Z" in body
