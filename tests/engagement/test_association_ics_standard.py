"""An association's meetings.ics read by two independent parsers (tests/ical.py), for a member
and for a stranger: each meeting at its instant."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from qurb.accounts.models import Association
from qurb.engagement.models import Meeting
from tests.conftest import signed_in
from tests.ical import ics_events

pytestmark = pytest.mark.django_db


def test_association_calendar_places_each_meeting_at_its_instant() -> None:
    association = Association.objects.get(registration_number="DEMO-FES-0001")
    fes = ZoneInfo(settings.TIME_ZONE)
    during_ramadan = datetime(2027, 3, 1, 21, 30, tzinfo=fes)  # Morocco on UTC+0
    private = Meeting.objects.create(
        area=association.area,
        title_fr="Réunion des membres",
        starts_at=during_ramadan,
        ends_at=during_ramadan + timedelta(hours=1),
        location_fr="Siège",
        is_public=False,
    )
    private.invited.add(association)
    public = Meeting.objects.create(
        area=association.area,
        title_fr="Réunion publique",
        starts_at=datetime(2027, 5, 3, 18, 0, tzinfo=fes),
        ends_at=datetime(2027, 5, 3, 20, 0, tzinfo=fes),
        location_fr="Maison de quartier",
    )
    url = reverse("neighbourhoods:association_meetings_ics", args=[association.pk])
    member = ics_events(signed_in("association").get(url).content)
    stranger = ics_events(Client().get(url).content)
    assert member[f"meeting-{private.pk}@qurb.ma"] == (
        during_ramadan,
        during_ramadan + timedelta(hours=1),
    )
    for events in (member, stranger):
        assert events[f"meeting-{public.pk}@qurb.ma"] == (public.starts_at, public.ends_at)
    assert f"meeting-{private.pk}@qurb.ma" not in stranger
