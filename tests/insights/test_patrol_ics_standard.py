"""patrol.ics read by two independent parsers (tests/ical.py): each window starts and ends at
the instant the analysis chose, at its hour in Fès."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import reverse

from qurb.areas.models import Area
from qurb.insights.selectors import patrol_windows
from qurb.reports.models import Report
from tests.conftest import signed_in
from tests.ical import ics_events
from tests.insights.test_hotspots import _cluster, _noise

pytestmark = pytest.mark.django_db


def test_patrol_calendar_places_each_window_at_its_instant(district: Area) -> None:
    Report.objects.filter(district=district).delete()
    _noise(district, 600, 3)
    _cluster(district, 45, 4)
    answer = signed_in("analyst").get(
        reverse("insights:patrol", args=["ics"]), {"area": f"d{district.pk}"}
    )
    assert answer.status_code == 200
    events = ics_events(answer.content)
    intended = {
        f"patrol-{district.pk}-{w.starts_at:%Y%m%dT%H}-{w.key}@qurb.ma": w
        for w in patrol_windows(district, limit=50)
    }
    assert events
    assert set(events) <= set(intended)
    fes = ZoneInfo(settings.TIME_ZONE)
    for uid, (start, end) in events.items():
        window = intended[uid]
        assert (start, end) == (window.starts_at, window.ends_at)
        assert start.astimezone(fes).hour == window.start_hour  # type: ignore[union-attr]
        assert start.astimezone(fes).weekday() == window.weekday  # type: ignore[union-attr]
