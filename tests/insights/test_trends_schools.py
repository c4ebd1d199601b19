"""Emerging problems against their baseline, and reports around schools at entry and exit."""

import math
from datetime import timedelta

import numpy as np
import pytest
from django.conf import settings

from qurb.areas.models import Area, Place, PlaceKind
from qurb.insights import stats
from qurb.insights.selectors import last_days, school_stats, today, trends, window_hours
from qurb.reports.models import Report
from tests.insights.conftest import plant, spread_days, uniform_points


def distance_m(lat: np.ndarray, lon: np.ndarray, lat0: float, lon0: float) -> np.ndarray:
    """Great-circle distance in metres (haversine): the reference the tests measure with."""
    p1, p2 = np.radians(lat), math.radians(lat0)
    dl = np.radians(lon) - math.radians(lon0)
    a = np.sin((p1 - p2) / 2) ** 2 + np.cos(p1) * math.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * 6_371_008.8 * np.arcsin(np.sqrt(a)))


pytestmark = pytest.mark.django_db


def test_benjamini_hochberg_matches_the_textbook() -> None:
    p = [0.01, 0.04, 0.03, 0.005]
    assert np.allclose(stats.benjamini_hochberg(p), [0.02, 0.04, 0.04, 0.02])
    assert np.allclose(stats.benjamini_hochberg([0.01], tests=10), [0.1])


def test_rate_test() -> None:
    result = stats.rate_increase(np.array([30, 10, 0]), np.array([30, 30, 5]), 28, 84)
    assert result.p[0] < 0.001  # three times the rate
    assert result.p[1] > 0.3  # the same rate
    assert result.p[2] == 1.0
    assert result.ratio[0] == pytest.approx(3.0)


def test_steady_reports_raise_no_alert_and_a_surge_does(district: Area) -> None:
    Report.objects.filter(district=district).delete()
    rng = np.random.default_rng(4)
    end = today()
    points = uniform_points(district, 560, rng)
    # 112 days of steady drug reports: 5 a week.
    plant(district, points[:80], days=spread_days(80, rng, span=112, end=end), hours=[None] * 80)
    assert trends(district, ending=end).alerts == []
    # A surge of robberies in one neighbourhood over the last four weeks.
    hood = Area.objects.filter(parent=district).order_by("code").first()
    assert hood is not None
    inside = [p for p in points[80:] if _in(hood, p)][:25]
    assert len(inside) >= 20
    plant(
        district,
        inside,
        days=spread_days(len(inside), rng, span=28, end=end),
        hours=[None] * len(inside),
        category="robbery",
    )
    plant(
        district,
        inside[:3],
        days=spread_days(3, rng, span=84, end=end - timedelta(days=28)),
        hours=[None] * 3,
        category="robbery",
    )
    found = trends(district, ending=end)
    assert {(a.category, a.area.pk) for a in found.alerts} >= {("robbery", hood.pk)}
    assert all(a.category == "robbery" for a in found.alerts)
    alert = next(a for a in found.alerts if a.area.pk == hood.pk)
    assert alert.recent == len(inside)
    assert alert.ratio >= settings.TREND_MIN_RATIO
    # The weekly series cover the whole span, and count every report once.
    assert sum(found.series["drugs"]) == 80
    assert len(found.weeks) == len(found.series["drugs"]) == 16


def _in(area: Area, point: tuple[float, float]) -> bool:
    from qurb.areas.selectors import areas_at

    return area.pk in {a.pk for a in areas_at(lat=point[0], lon=point[1])}


def test_window_hours() -> None:
    hours = window_hours([{"days": [0, 4], "start": "16:30", "end": "18:30"}])
    assert hours == {16, 17, 18, 4 * 24 + 16, 4 * 24 + 17, 4 * 24 + 18}
    assert len(window_hours(settings.SCHOOL_WINDOWS_DEFAULT)) < 168


def test_school_exit_concentration_is_found(district: Area) -> None:
    Report.objects.filter(district=district).delete()
    rng = np.random.default_rng(9)
    school = Place.objects.filter(kind=PlaceKind.SCHOOL, area__parent=district).first()
    assert school is not None
    school.windows = [{"label": "exit", "days": [0, 1, 2, 3, 4], "start": "17:00", "end": "18:00"}]
    school.save()
    near = [
        (school.lat + dy / 111_320, school.lon + dx / 92_000)
        for dy, dx in rng.uniform(-150, 150, (40, 2))
    ]
    hours = [int(d) * 24 + 17 for d in rng.integers(0, 5, 30)] + [
        int(h) for h in rng.integers(0, 168, 10)
    ]
    plant(district, near, days=spread_days(40, rng), hours=hours)
    stat = next(s for s in school_stats(district, last_days(90)) if s.school.pk == school.pk)
    assert stat.near == 40
    assert stat.in_windows >= 30
    assert stat.window_share == pytest.approx(5 / 168)
    assert stat.significant
    # Spread over the week instead, the same reports are not.
    Report.objects.filter(district=district).delete()
    plant(
        district, near, days=spread_days(40, rng), hours=[int(h) for h in rng.integers(0, 168, 40)]
    )
    stat = next(s for s in school_stats(district, last_days(90)) if s.school.pk == school.pk)
    assert not stat.significant


@pytest.mark.parametrize("radius", [100.0, 300.0, 800.0])
def test_cells_around_a_school_hold_every_point_within_the_radius(radius: float) -> None:
    from qurb.insights.selectors.schools import SCHOOL_CELL_RESOLUTION, _cells_around
    from qurb.reports.rollup import cell_of, parent_of

    rng = np.random.default_rng(int(radius))
    for lat0, lon0 in [(34.0333, -5.0), (35.78, -5.81), (-33.9, 151.2)]:
        cells = set(_cells_around(lat0, lon0, radius))
        dy, dx = rng.uniform(-radius, radius, (2, 3000))
        lats = lat0 + dy / 111_320
        lons = lon0 + dx / (111_320 * np.cos(np.radians(lat0)))
        inside = distance_m(lats, lons, lat0, lon0) <= radius
        for lat, lon in zip(lats[inside], lons[inside], strict=True):
            assert parent_of(cell_of(float(lat), float(lon)), SCHOOL_CELL_RESOLUTION) in cells
