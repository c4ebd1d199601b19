"""Schools: the reports near each school, and whether its entry and exit windows hold more
of them than their share of the week."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import time
from typing import Any

import h3
from django.conf import settings
from django.db import connection

from qurb.accounts.selectors import descendants_of
from qurb.areas.models import Area, Place, PlaceKind
from qurb.insights import stats
from qurb.insights.selectors.periods import HOURS_IN_WEEK, Period
from qurb.reports.rollup import NOT_COUNTED_STATUSES, parent_sql


def window_hours(windows: Sequence[dict[str, Any]]) -> set[int]:
    """Hours of the week (0–167) that any window touches."""
    out: set[int] = set()
    for window in windows:
        start = time.fromisoformat(window["start"])
        end = time.fromisoformat(window["end"])
        first = start.hour
        last = end.hour if end.minute else end.hour - 1
        for day in window.get("days", []):
            out.update(int(day) * 24 + h for h in range(first, last + 1))
    return out


def school_windows(place: Place) -> list[dict[str, Any]]:
    return list(place.windows) or list(settings.SCHOOL_WINDOWS_DEFAULT)


@dataclass
class SchoolStat:
    school: Place
    near: int  # reports with a known hour within the radius
    in_windows: int
    window_share: float  # share of the week the windows cover
    expected: float
    p: float
    q: float = 1.0
    significant: bool = False
    # Reports near the school per (hour of the week, category): patrol windows reuse them.
    counts: Counter[tuple[int, str]] = field(default_factory=Counter)

    @property
    def by_hour(self) -> Counter[int]:
        hours: Counter[int] = Counter()
        for (hour, _category), n in self.counts.items():
            hours[hour] += n
        return hours

    @property
    def share(self) -> float:
        return self.in_windows / self.near if self.near else 0.0


def schools_in(district: Area) -> list[Place]:
    return list(
        Place.objects.filter(
            kind=PlaceKind.SCHOOL, area_id__in=descendants_of({district.pk})
        ).order_by("code")
    )


SCHOOL_CELL_RESOLUTION = 9


def _cells_around(lat: float, lon: float, radius: float) -> list[int]:
    """Cells (at ``SCHOOL_CELL_RESOLUTION``) holding every point within ``radius`` metres.

    A point within the radius lies in a cell whose centre is within radius + one edge, itself
    within radius + two edges of the centre cell's centre, and each ring of cells reaches at
    least 1.5 edges further; edges vary over the globe, so a shorter one is assumed.
    """
    edge = 0.8 * float(h3.average_hexagon_edge_length(SCHOOL_CELL_RESOLUTION, "m"))
    k = math.ceil((radius + 2 * edge) / (1.5 * edge))
    centre = h3.latlng_to_cell(lat, lon, SCHOOL_CELL_RESOLUTION)
    return sorted(int(h3.str_to_int(c)) for c in h3.grid_disk(centre, k))


def _school_counts(
    district: Area, period: Period, schools: list[Place], category: str = ""
) -> list[Counter[tuple[int, str]]]:
    """Reports with a known hour within ``SCHOOL_RADIUS_M`` of each school, per (hour of the
    week, category), counted in the database in one pass over the district's period.

    Each report's cell is matched against the cells around each school (a hash join), then
    the distance is checked: equirectangular, which at a few hundred metres differs from the
    great-circle distance by far less than a metre. A report near two schools counts for both.
    """
    if not schools:
        return []
    radius = settings.SCHOOL_RADIUS_M
    ky = 111_320.0
    rows_sql = []
    params: list[Any] = []
    for i, school in enumerate(schools):
        kx = ky * max(math.cos(math.radians(school.lat)), 0.01)
        for cell in _cells_around(school.lat, school.lon, radius):
            rows_sql.append("(%s, %s, %s, %s, %s)")
            params += [i, cell, school.lat, school.lon, kx]
    excluded = ", ".join(["%s"] * len(NOT_COUNTED_STATUSES))
    cell_sql = parent_sql("r.h3_cell", SCHOOL_CELL_RESOLUTION)
    sql = (
        f"WITH s (i, cell, lat, lon, kx) AS (VALUES {', '.join(rows_sql)}) "  # noqa: S608
        "SELECT s.i, r.hour_of_week, r.category, COUNT(*) FROM reports_report r "
        f"JOIN s ON {cell_sql} = s.cell "
        "AND ((r.lat - s.lat) * %s) * ((r.lat - s.lat) * %s) "
        "+ ((r.lon - s.lon) * s.kx) * ((r.lon - s.lon) * s.kx) <= %s "
        "WHERE r.district_id = %s AND r.seen_on BETWEEN %s AND %s "
        f"AND r.hour_of_week IS NOT NULL AND r.status NOT IN ({excluded})"
        + (" AND r.category = %s" if category else "")
        + " GROUP BY 1, 2, 3"
    )
    params += [ky, ky, radius * radius, district.pk, period.since, period.until]
    params += sorted(NOT_COUNTED_STATUSES)
    if category:
        params.append(category)
    out: list[Counter[tuple[int, str]]] = [Counter() for _ in schools]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for i, hour, cat, n in cursor.fetchall():
            out[int(i)][(int(hour), cat)] += int(n)
    return out


def school_stats(district: Area, period: Period, category: str = "") -> list[SchoolStat]:
    schools = schools_in(district)
    if not schools:
        return []
    out = []
    for school, counts in zip(
        schools, _school_counts(district, period, schools, category), strict=True
    ):
        near = sum(counts.values())
        hours = window_hours(school_windows(school))
        share = len(hours) / HOURS_IN_WEEK
        in_windows = sum(n for (hour, _category), n in counts.items() if hour in hours)
        p = float(stats.upper_tail(in_windows, near, share)) if in_windows else 1.0
        out.append(
            SchoolStat(
                school=school,
                near=near,
                in_windows=in_windows,
                window_share=share,
                expected=near * share,
                p=p,
                counts=counts,
            )
        )
    qs_ = stats.benjamini_hochberg([s.p for s in out])
    for s, q in zip(out, qs_, strict=True):
        s.q = float(q)
        s.significant = bool(
            q <= settings.HOTSPOT_FDR and s.in_windows >= settings.PATROL_MIN_COUNT
        )
    return out
