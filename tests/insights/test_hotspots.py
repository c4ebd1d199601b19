"""A planted cluster is found as a hotspot and a patrol window; uniform noise yields none."""

from datetime import date, datetime, timedelta

import numpy as np
import pytest
from django.conf import settings
from django.utils import timezone

from qurb.areas.models import Area
from qurb.insights.hexes import centre, disk
from qurb.insights.selectors import district_picture, last_days, patrol_windows, today
from qurb.reports import rollup
from qurb.reports.models import Report
from tests.insights.conftest import plant, spread_days, uniform_points

pytestmark = pytest.mark.django_db

EXIT_HOURS = [16, 17]  # school exit, 16:00–18:00
SCHOOL_DAYS = [0, 1, 2, 3, 4]


def _noise(district: Area, n: int, seed: int) -> list[Report]:
    rng = np.random.default_rng(seed)
    points = uniform_points(district, n, rng)
    hours = [int(h) for h in rng.integers(0, 168, n)]
    return plant(district, points, days=spread_days(n, rng), hours=hours)


def _cluster(district: Area, n: int, seed: int) -> tuple[int, tuple[float, float]]:
    """Reports within 40 m of one point, on school days at exit time."""
    rng = np.random.default_rng(seed)
    lat, lon = uniform_points(district, 1, np.random.default_rng(seed + 1))[0]
    cell = rollup.parent_of(rollup.cell_of(lat, lon), settings.HOTSPOT_H3_RESOLUTION)
    lat0, lon0 = centre(cell)  # the middle of a hexagon, so that the cluster stays inside it
    points = [
        (lat0 + dy / 111_320, lon0 + dx / (111_320 * np.cos(np.radians(lat0))))
        for dy, dx in rng.uniform(-25, 25, size=(n, 2))
    ]
    # Days on school days only, exit hours only.
    days: list[date] = []
    hours: list[int | None] = []
    while len(days) < n:
        day = today() - timedelta(days=int(rng.integers(0, 85)))
        if day.weekday() in SCHOOL_DAYS:
            days.append(day)
            hours.append(day.weekday() * 24 + int(rng.choice(EXIT_HOURS)))
    plant(district, points, days=days, hours=hours)
    return rollup.parent_of(rollup.cell_of(lat0, lon0), settings.HOTSPOT_H3_RESOLUTION), (
        lat0,
        lon0,
    )


@pytest.mark.parametrize(("seed", "n"), [(1, 800), (2, 800), (3, 800), (4, 3000), (5, 200)])
def test_uniform_noise_yields_no_hotspot_and_no_patrol_window(
    district: Area, seed: int, n: int
) -> None:
    Report.objects.filter(district=district).delete()
    _noise(district, n, seed)
    picture = district_picture(district, last_days(90))
    assert picture.total == n
    assert picture.hotspots == []
    assert patrol_windows(district) == []


@pytest.mark.parametrize("seed", [7, 8, 9])
def test_planted_cluster_is_a_hotspot_and_a_patrol_window(district: Area, seed: int) -> None:
    Report.objects.filter(district=district).delete()
    _noise(district, 800, seed)
    cell, (_lat0, _lon0) = _cluster(district, 45, seed + 4)
    picture = district_picture(district, last_days(90))
    hot = picture.hotspots
    assert hot, "the planted cluster is not found"
    assert hot[0].cell == cell
    assert hot[0].count >= 45
    # Only the planted cell and perhaps its immediate neighbours stand out.
    assert {h.cell for h in hot} <= set(disk(cell))

    now = timezone.make_aware(datetime.combine(today(), datetime.min.time()))
    windows = patrol_windows(district, now=now)
    assert windows, "no patrol window"
    first = windows[0]
    assert first.kind == "hexagon"
    assert first.cell == cell
    assert first.start_hour == 16
    assert first.end_hour == 18
    assert first.weekday in SCHOOL_DAYS
    assert first.reports > first.expected * 3
    # Every suggested window is at the planted place, at exit time, on a school day.
    assert all(w.cell == cell for w in windows if w.kind == "hexagon")
    assert all(w.start_hour == 16 and w.weekday in SCHOOL_DAYS for w in windows)
    # The coming week: each window starts within the next seven days.
    assert all(now <= w.starts_at < now + timedelta(days=7) for w in windows)
    # Its evidence names the category and the counts.
    assert dict(first.categories)["drugs"] == first.reports


def test_hour_of_week_pattern_counts_each_report_once(district: Area) -> None:
    Report.objects.filter(district=district).delete()
    _cluster(district, 30, 5)
    hours = district_picture(district, last_days(90)).hours
    assert hours.sum() == 30
    assert set(np.flatnonzero(hours)) <= {d * 24 + h for d in SCHOOL_DAYS for h in EXIT_HOURS}


def test_category_filter(district: Area) -> None:
    Report.objects.filter(district=district).delete()
    _cluster(district, 30, 5)
    assert district_picture(district, last_days(90), "theft").total == 0
    assert district_picture(district, last_days(90), "drugs").total == 30
