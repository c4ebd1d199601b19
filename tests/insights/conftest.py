"""Planting reports where and when a test wants them (straight into the tables, then the
daily counts rebuilt, as a bulk load does)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
import pytest
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from qurb.areas.models import Area, Boundary
from qurb.areas.selectors import areas_at
from qurb.insights.selectors import today
from qurb.reports import rollup
from qurb.reports.models import Report

DISTRICT = "032310105"  # a Fès arrondissement of the demo


def district_shape(district: Area) -> BaseGeometry:
    geometry = Boundary.objects.get(area=district, generation__active=True).geometry
    return shape(geometry)


def uniform_points(district: Area, n: int, rng: np.random.Generator) -> list[tuple[float, float]]:
    area = district_shape(district)
    minx, miny, maxx, maxy = area.bounds
    out: list[tuple[float, float]] = []
    while len(out) < n:
        x, y = rng.uniform(minx, maxx, 4 * n), rng.uniform(miny, maxy, 4 * n)
        inside = shapely.contains_xy(area, x, y)
        out += [(float(b), float(a)) for a, b in zip(x[inside], y[inside], strict=True)]
    return out[:n]


def plant(
    district: Area,
    points: Sequence[tuple[float, float]],
    *,
    days: Sequence[date],
    hours: Sequence[int | None],
    category: str = "drugs",
    categories: Sequence[str] | None = None,
) -> list[Report]:
    """Reports at ``points`` (lat, lon) on ``days`` at local ``hours`` of the week."""
    rows = []
    for i, (lat, lon) in enumerate(points):
        found = areas_at(lat=lat, lon=lon)
        area = found[-1] if found else district
        rows.append(
            Report(
                tracking_code=f"T-{secrets.token_hex(8)}",
                token=secrets.token_hex(12),
                category=categories[i] if categories else category,
                reported_category=category,
                description="planted",
                lat=lat,
                lon=lon,
                district=district,
                area=area,
                channel="web",
                is_synthetic=True,
                h3_cell=rollup.cell_of(lat, lon),
                seen_on=days[i],
                hour_of_week=hours[i],
            )
        )
    made = Report.objects.bulk_create(rows)
    rollup.rebuild()
    return made


def spread_days(
    n: int, rng: np.random.Generator, span: int = 88, end: date | None = None
) -> list[date]:
    last = end or today()
    return [last - timedelta(days=int(d)) for d in rng.integers(0, span, n)]


@pytest.fixture
def district(db: None) -> Area:
    return Area.objects.get(code=DISTRICT)
