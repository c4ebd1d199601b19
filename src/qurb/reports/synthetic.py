"""Synthetic reports for scale tests and benchmarks, clearly marked (`is_synthetic`).

Places cluster like a city's problems do (hot corners around a few centres per district, over
a thin uniform background), hours follow school entry and exit times and the night, categories
come in plausible shares, and the texts are reports of the matching category from the
training corpus. Rows are written in bulk: COPY on PostgreSQL, batched inserts on SQLite.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import shapely
from django.conf import settings
from django.db import connection, transaction
from shapely.geometry import shape

from qurb.areas.selectors import areas_at, leaf_boundaries
from qurb.language.training import corpus

CATEGORY_SHARES = {
    "drugs": 0.17,
    "theft": 0.16,
    "disorder": 0.16,
    "robbery": 0.11,
    "road": 0.11,
    "harassment": 0.09,
    "vandalism": 0.08,
    "weapons": 0.05,
    "hooliganism": 0.03,
    "other": 0.04,
}
# Relative weight of each hour of the day: school entry (8h), noon exit, afternoon exit
# (16–18h), evening and night peaks.
HOUR_WEIGHTS = np.array(
    [4, 3, 2, 1, 1, 1, 2, 4, 7, 4, 3, 4, 7, 5, 4, 5, 7, 8, 7, 6, 7, 8, 8, 6], dtype=float
)
STATUS_SHARES = {
    "received": 0.15,
    "acknowledged": 0.2,
    "investigating": 0.2,
    "action_planned": 0.1,
    "resolved": 0.25,
    "not_police": 0.05,
    "closed": 0.05,
}
COLUMNS = [
    "tracking_code",
    "token",
    "category",
    "reported_category",
    "suggested_category",
    "suggested_flags",
    "reported_flags",
    "flag_weapon",
    "flag_minor",
    "flag_near_school",
    "flag_in_progress",
    "description",
    "lat",
    "lon",
    "address",
    "district_id",
    "area_id",
    "when",
    "recurrence_days",
    "channel",
    "anonymous",
    "language",
    "status",
    "outcome",
    "is_demo",
    "is_synthetic",
    "created_at",
    "updated_at",
]


@dataclass
class Cluster:
    lat: float
    lon: float
    sigma_m: float
    weight: float


@dataclass
class CityModel:
    """Where and what: cluster centres inside the leaf areas, and texts per category."""

    clusters: list[Cluster]
    texts: dict[str, list[str]]
    bounds: tuple[float, float, float, float]


def city_model(rng: np.random.Generator, *, clusters_per_area: int = 2) -> CityModel:
    leaves = list(leaf_boundaries())
    if not leaves:
        raise RuntimeError("no boundaries loaded: load areas first (qurb demo)")
    clusters: list[Cluster] = []
    xs: list[float] = []
    ys: list[float] = []
    for boundary in leaves:
        geometry = shape(boundary.geometry)
        minx, miny, maxx, maxy = geometry.bounds
        xs += [minx, maxx]
        ys += [miny, maxy]
        made = 0
        for _ in range(200):
            x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            if shapely.contains_xy(geometry, x, y):
                clusters.append(
                    Cluster(
                        lat=float(y),
                        lon=float(x),
                        sigma_m=float(rng.uniform(60, 250)),
                        weight=float(rng.pareto(1.5) + 0.2),
                    )
                )
                made += 1
                if made >= clusters_per_area:
                    break
    texts: dict[str, list[str]] = {}
    for example in corpus("train"):
        texts.setdefault(example.category, []).append(example.text)
    return CityModel(clusters, texts, (min(xs), min(ys), max(xs), max(ys)))


def _rows(
    model: CityModel, count: int, rng: np.random.Generator, days: int, now: datetime
) -> Iterator[tuple[object, ...]]:
    categories = list(CATEGORY_SHARES)
    category_p = np.array(list(CATEGORY_SHARES.values()))
    category_p /= category_p.sum()
    statuses = list(STATUS_SHARES)
    status_p = np.array(list(STATUS_SHARES.values()))
    status_p /= status_p.sum()
    weights = np.array([c.weight for c in model.clusters])
    weights /= weights.sum()
    hours_p = HOUR_WEIGHTS / HOUR_WEIGHTS.sum()
    chunk = 50_000
    prefix = secrets.token_hex(3)
    made = 0
    minx, miny, maxx, maxy = model.bounds
    area_type = settings.REPORT_AREA_TYPE
    while made < count:
        n = min(chunk, count - made)
        which = rng.choice(len(model.clusters), size=n, p=weights)
        background = rng.random(n) < 0.15
        dist = rng.normal(size=(n, 2))
        cat = rng.choice(len(categories), size=n, p=category_p)
        status = rng.choice(len(statuses), size=n, p=status_p)
        day = rng.integers(0, days, size=n)
        hour = rng.choice(24, size=n, p=hours_p)
        minute = rng.integers(0, 60, size=n)
        near_school = rng.random(n) < 0.15
        for i in range(n):
            if background[i]:
                lat, lon = rng.uniform(miny, maxy), rng.uniform(minx, maxx)
            else:
                c = model.clusters[which[i]]
                lat = c.lat + dist[i, 0] * c.sigma_m / 111_320
                lon = c.lon + dist[i, 1] * c.sigma_m / (111_320 * math.cos(math.radians(c.lat)))
            found = areas_at(lat=lat, lon=lon)
            district = next((a for a in found if a.type.code == area_type), None)
            if district is None:  # outside every district: back to the cluster's centre
                c = model.clusters[which[i]]
                lat, lon = c.lat, c.lon
                found = areas_at(lat=lat, lon=lon)
                district = next((a for a in found if a.type.code == area_type), None)
                if district is None:
                    continue
            category = categories[cat[i]]
            texts = model.texts[category]
            created = (now - timedelta(days=int(day[i]))).replace(
                hour=int(hour[i]), minute=int(minute[i]), second=0, microsecond=0
            )
            made += 1
            yield (
                f"S-{prefix}-{made:09d}",
                f"s{prefix}{made:018d}",
                category,
                category,
                "",
                "[]",
                "[]",
                category == "weapons",
                False,
                bool(near_school[i]),
                False,
                texts[made % len(texts)],
                float(lat),
                float(lon),
                "",
                district.pk,
                found[-1].pk,
                "unknown",
                "",
                "web",
                True,
                "ar",
                statuses[status[i]],
                "",
                False,
                True,
                created,
                created,
            )
            if made >= count:
                return


def generate_reports(
    *,
    count: int,
    seed: int = 2026,
    days: int = 365,
    progress: Callable[[int, int], None] | None = None,
    batch: int = 20_000,
) -> int:
    """Write ``count`` synthetic reports in bulk; returns how many were written."""
    rng = np.random.default_rng(seed)
    model = city_model(rng)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    written = 0
    rows = _rows(model, count, rng, days, now)
    columns = ", ".join(f'"{c}"' for c in COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg's cursor under Django's wrapper
            # Column names come from COLUMNS above, never from input.
            statement = f"COPY reports_report ({columns}) FROM STDIN"
            while written < count:
                # Rows are made before the COPY starts: making them may query the database
                # (the point index checks the active generation), which a COPY in progress
                # on the same connection would block.
                chunk: list[Any] = [row for _, row in zip(range(batch), rows, strict=False)]
                if not chunk:
                    break
                with transaction.atomic(), raw.copy(statement) as copy:
                    for row in chunk:
                        copy.write_row(row)
                written += len(chunk)
                if progress:
                    progress(written, count)
        else:
            marks = ", ".join(["%s"] * len(COLUMNS))
            sql = f"INSERT INTO reports_report ({columns}) VALUES ({marks})"  # noqa: S608 - fixed names
            while written < count:
                chunk = [row for _, row in zip(range(batch), rows, strict=False)]
                if not chunk:
                    break
                with transaction.atomic():
                    cursor.executemany(sql, chunk)
                written += len(chunk)
                if progress:
                    progress(written, count)
    return written
