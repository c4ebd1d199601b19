"""Synthetic reports for scale tests and benchmarks, clearly marked (`is_synthetic`).

Places cluster like a city's problems do (hot corners around a few centres per district, over
a thin uniform background), hours follow school entry and exit times and the night, categories
come in plausible shares, and the texts are reports of the matching category from the
training corpus. Rows are written in bulk: COPY on PostgreSQL, batched inserts on SQLite.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
import shapely
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from shapely.geometry import shape

from qurb.areas.selectors import area_and_ancestors, leaf_boundaries
from qurb.language.training import corpus
from qurb.reports.rollup import cell_of, local_zone, rebuild

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
# Each hot corner has its own rhythm: most follow the city's hours, some the school day
# (entry, noon and afternoon exits, school days only), some the night, some weekend evenings.
PROFILES: dict[str, tuple[np.ndarray, tuple[float, ...]]] = {
    "city": (HOUR_WEIGHTS, (1, 1, 1, 1, 1, 1, 1)),
    "school": (
        np.array([0, 0, 0, 0, 0, 0, 0, 6, 9, 1, 1, 3, 7, 2, 3, 1, 4, 10, 8, 1, 0, 0, 0, 0], float),
        (1, 1, 1, 1, 1, 0.5, 0),
    ),
    "night": (
        np.array([8, 7, 5, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 4, 7, 9, 9], float),
        (1, 1, 1, 1, 1.3, 1.6, 1.3),
    ),
    "weekend": (
        np.array([5, 3, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 2, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6], float),
        (0.3, 0.3, 0.3, 0.3, 0.6, 2, 2),
    ),
}
PROFILE_SHARES = {"city": 0.55, "school": 0.2, "night": 0.15, "weekend": 0.1}
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
    "occurred_at",
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
    "h3_cell",
    "seen_on",
    "hour_of_week",
]


@dataclass
class Cluster:
    lat: float
    lon: float
    sigma_m: float
    weight: float
    profile: str = "city"


@dataclass
class CityModel:
    """Where and what: cluster centres inside the leaf areas, and texts per category."""

    clusters: list[Cluster]
    texts: dict[str, list[str]]
    bounds: tuple[float, float, float, float]
    leaves: list[Any]  # shapely geometries of the finest areas
    places: list[tuple[int, int]]  # (district id, area id) of each leaf
    cluster_leaf: np.ndarray  # the leaf holding each cluster's centre
    tree: Any = None  # an R-tree over the leaves


def city_model(rng: np.random.Generator, *, clusters_per_area: int = 2) -> CityModel:
    leaves = list(leaf_boundaries())
    if not leaves:
        raise RuntimeError("no boundaries loaded: load areas first (qurb demo)")
    clusters: list[Cluster] = []
    cluster_leaf: list[int] = []
    geometries: list[Any] = []
    places: list[tuple[int, int]] = []
    xs: list[float] = []
    ys: list[float] = []
    area_type = settings.REPORT_AREA_TYPE
    for boundary in leaves:
        district = next(
            (a for a in area_and_ancestors(boundary.area) if a.type.code == area_type), None
        )
        if district is None:  # a leaf outside every district takes no reports
            continue
        geometry = shape(boundary.geometry)
        leaf = len(geometries)
        geometries.append(geometry)
        places.append((district.pk, boundary.area.pk))
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
                        profile=str(
                            rng.choice(list(PROFILE_SHARES), p=list(PROFILE_SHARES.values()))
                        ),
                    )
                )
                cluster_leaf.append(leaf)
                made += 1
                if made >= clusters_per_area:
                    break
    if not clusters:
        raise RuntimeError("no district has a neighbourhood to place reports in")
    texts: dict[str, list[str]] = {}
    for example in corpus("train"):
        texts.setdefault(example.category, []).append(example.text)
    return CityModel(
        clusters,
        texts,
        (min(xs), min(ys), max(xs), max(ys)),
        geometries,
        places,
        np.array(cluster_leaf),
    )


def _locate(model: CityModel, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """The leaf holding each point, or -1 (an R-tree query then exact tests, all in C)."""
    if model.tree is None:
        model.tree = shapely.STRtree(model.leaves)
    points, found = model.tree.query(shapely.points(lon, lat), predicate="within")
    leaf = np.full(lat.size, -1)
    leaf[points] = found  # a point on a shared edge keeps one of its leaves
    return leaf


def _utc_offsets(first: date, days: int) -> dict[date, timedelta]:
    """The force's offset from UTC on each local day (at noon)."""
    zone = local_zone()
    out = {}
    for i in range(days + 1):
        day = first + timedelta(days=i)
        offset = datetime.combine(day, time(12), tzinfo=zone).utcoffset()
        out[day] = offset or timedelta(0)
    return out


def _rows(
    model: CityModel, count: int, rng: np.random.Generator, days: int, now: datetime
) -> Iterator[list[tuple[object, ...]]]:
    """Chunks of rows, every column computed for a whole chunk at once."""
    categories = list(CATEGORY_SHARES)
    category_p = np.array(list(CATEGORY_SHARES.values()))
    category_p /= category_p.sum()
    statuses = list(STATUS_SHARES)
    status_p = np.array(list(STATUS_SHARES.values()))
    status_p /= status_p.sum()
    weights = np.array([c.weight for c in model.clusters])
    weights /= weights.sum()
    hours_p = HOUR_WEIGHTS / HOUR_WEIGHTS.sum()
    c_lat = np.array([c.lat for c in model.clusters])
    c_lon = np.array([c.lon for c in model.clusters])
    c_sigma = np.array([c.sigma_m for c in model.clusters])
    texts = dict(model.texts)
    profiles = [PROFILES[name] for name in PROFILE_SHARES]
    c_profile = np.array([list(PROFILE_SHARES).index(c.profile) for c in model.clusters])
    today = timezone.localtime(now, local_zone()).date()
    today_weekday = today.weekday()
    offsets = _utc_offsets(today - timedelta(days=days), days)
    chunk = 50_000
    prefix = secrets.token_hex(3)
    made = 0
    minx, miny, maxx, maxy = model.bounds
    while made < count:
        n = min(chunk, count - made)
        which = rng.choice(len(model.clusters), size=n, p=weights)
        background = rng.random(n) < 0.15
        spread = rng.normal(size=(n, 2))
        lat = np.where(
            background,
            rng.uniform(miny, maxy, size=n),
            c_lat[which] + spread[:, 0] * c_sigma[which] / 111_320,
        )
        lon = np.where(
            background,
            rng.uniform(minx, maxx, size=n),
            c_lon[which]
            + spread[:, 1] * c_sigma[which] / (111_320 * np.cos(np.radians(c_lat[which]))),
        )
        leaf = _locate(model, lat, lon)
        lost = leaf < 0  # outside every district: back to the cluster's centre
        lat[lost], lon[lost] = c_lat[which[lost]], c_lon[which[lost]]
        leaf[lost] = model.cluster_leaf[which[lost]]
        cat = rng.choice(len(categories), size=n, p=category_p)
        status = rng.choice(len(statuses), size=n, p=status_p)
        day = rng.integers(0, days, size=n)
        hour = rng.choice(24, size=n, p=hours_p)
        profile = np.where(background, -1, c_profile[which])
        for k, (weights_h, weekdays) in enumerate(profiles):
            mask = profile == k
            m = int(mask.sum())
            if not m:
                continue
            hour[mask] = rng.choice(24, size=m, p=weights_h / weights_h.sum())
            # The weekday follows the profile: each day moves forward within its week.
            wd = rng.choice(7, size=m, p=np.array(weekdays) / sum(weekdays))
            moved = day[mask] + (today_weekday - day[mask] - wd) % 7
            day[mask] = np.where(moved >= days, moved - 7, moved)
        minute = rng.integers(0, 60, size=n)
        near_school = rng.random(n) < 0.15
        rows: list[tuple[object, ...]] = []
        for i in range(n):
            category = categories[cat[i]]
            local_day = today - timedelta(days=int(day[i]))
            created = (
                datetime.combine(local_day, time(int(hour[i]), int(minute[i])), tzinfo=UTC)
                - offsets[local_day]
            )
            district_id, area_id = model.places[leaf[i]]
            made += 1
            choices = texts[category]
            rows.append(
                (
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
                    choices[made % len(choices)],
                    float(lat[i]),
                    float(lon[i]),
                    "",
                    district_id,
                    area_id,
                    "moment",
                    created,
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
                    cell_of(float(lat[i]), float(lon[i])),
                    local_day,
                    local_day.weekday() * 24 + int(hour[i]),
                )
            )
        yield rows


def _write(cursor: Any, chunk: list[tuple[object, ...]]) -> None:
    columns = ", ".join(f'"{c}"' for c in COLUMNS)  # fixed names, never input
    if connection.vendor == "postgresql":
        raw = cursor.cursor  # psycopg's cursor under Django's wrapper
        with transaction.atomic(), raw.copy(f"COPY reports_report ({columns}) FROM STDIN") as copy:
            for row in chunk:
                copy.write_row(row)
    else:
        marks = ", ".join(["%s"] * len(COLUMNS))
        sql = f"INSERT INTO reports_report ({columns}) VALUES ({marks})"  # noqa: S608
        with transaction.atomic():
            cursor.executemany(sql, chunk)


def _write_in_thread(chunk: list[tuple[object, ...]]) -> int:
    """Write one chunk on this thread's own connection (closed when done)."""
    try:
        with connection.cursor() as cursor:
            _write(cursor, chunk)
    finally:
        connection.close()
    return len(chunk)


def generate_reports(
    *,
    count: int,
    seed: int = 2026,
    days: int = 365,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write ``count`` synthetic reports in bulk (chunks of 50,000), then recompute the
    daily counts. Returns how many reports were written."""
    rng = np.random.default_rng(seed)
    model = city_model(rng)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    written = 0
    # On PostgreSQL two connections write at once while this thread makes the next rows (the
    # database's work per row, indexes and checks, is the larger share). Making rows never
    # touches the database: the city model has read everything it needs. SQLite has one
    # writer, and inside a transaction (a caller's, or a test's) other connections would
    # not see it: there, rows are written here, in turn.
    parallel = connection.vendor == "postgresql" and not connection.in_atomic_block
    writers = 2 if parallel else 0
    with ThreadPoolExecutor(max_workers=max(writers, 1)) as pool:
        pending: list[Any] = []
        for chunk in _rows(model, count, rng, days, now):
            if writers:
                pending.append(pool.submit(_write_in_thread, chunk))
                while len(pending) > writers:  # at most one chunk waiting
                    written += pending.pop(0).result()
                    if progress:
                        progress(written, count)
            else:
                with connection.cursor() as cursor:
                    _write(cursor, chunk)
                written += len(chunk)
                if progress:
                    progress(written, count)
        for future in pending:
            written += future.result()
            if progress:
                progress(written, count)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE reports_report")
    rebuild()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE reports_cellday")
            cursor.execute("ANALYZE reports_hourday")
    return written
