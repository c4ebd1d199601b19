"""meetings.ics read by two independent parsers (tests/ical.py): each meeting at its instant,
during Ramadan (Morocco on UTC+0) as after it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from qurb.areas.models import Area
from qurb.engagement.models import Meeting
from tests.ical import ics_events

pytestmark = pytest.mark.django_db

MEDINA_SECTOR = "032310107-S1"


def test_meetings_calendar_places_each_meeting_at_its_instant() -> None:
    fes = ZoneInfo(settings.TIME_ZONE)
    # 20 February 2027 is in Ramadan (UTC+0 from 7 February to 14 March 2027); 1 April is not.
    starts = [datetime(2027, 2, 20, 19, 0, tzinfo=fes), datetime(2027, 4, 1, 19, 0, tzinfo=fes)]
    assert [s.utcoffset() for s in starts] == [timedelta(0), timedelta(hours=1)]
    area = Area.objects.get(code="032310107")
    meetings = [
        Meeting.objects.create(
            area=area,
            title_fr="Réunion de quartier",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            location_fr="Maison de quartier",
        )
        for start in starts
    ]
    sector = Area.objects.get(code=MEDINA_SECTOR)
    body = Client().get(reverse("neighbourhoods:meetings_ics", args=[sector.pk])).content
    events = ics_events(body)
    for meeting, start in zip(meetings, starts, strict=True):
        assert events[f"meeting-{meeting.pk}@qurb.ma"] == (start, start + timedelta(hours=2))
    assert b"DTSTART:20270220T190000Z" in body
    assert b"DTSTART:20270401T180000Z" in body
