"""Reads for the insights: hotspots, hours of the week, schools, trends and patrol windows.

Hotspots, hours and the district trends read the daily counts kept beside the reports
(``reports.CellDay`` and ``reports.HourDay``); places finer than a district (a hexagon's
hours, a school's surroundings, a neighbourhood's trend) read the reports themselves through
the ``(district, seen_on)`` index. The statistics are in ``insights.stats``.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import h3
import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import (
    Case,
    Count,
    IntegerField,
    Q,
    Sum,
    When,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone

from qurb.accounts.access import Actor, Capability, grant
from qurb.accounts.selectors import descendants_of
from qurb.areas.models import Area, Boundary, Place, PlaceKind
from qurb.insights import hexes, stats
from qurb.reports.models import Category, CellDay, HourDay, Report
from qurb.reports.rollup import NOT_COUNTED_STATUSES, cell_range, local_zone, parent_sql
from qurb.reports.selectors import counted_reports

HOURS_IN_WEEK = 168


# --- who sees what ------------------------------------------------------------------------------


def districts_for(user: Actor) -> list[Area]:
    """Districts whose insights ``user`` may read: those wholly inside their grant."""
    g = grant(user, Capability.INSIGHTS_READ)
    if not g:
        return []
    return active_districts(g.areas())


def active_districts(within: set[int] | None = None) -> list[Area]:
    """The districts of the active boundaries (those in ``within`` when given), by
    prefecture then name."""
    qs = Area.objects.filter(
        type__code=settings.REPORT_AREA_TYPE, boundaries__generation__active=True
    ).select_related("parent", "type")
    if within is not None:
        qs = qs.filter(pk__in=within)
    return sorted(qs, key=lambda a: (a.parent.name if a.parent else "", a.name))


def groups_for(user: Actor) -> list[tuple[Area, list[Area]]]:
    """The user's districts grouped under their prefecture (for a per-prefecture view)."""
    groups: dict[int, tuple[Area, list[Area]]] = {}
    for district in districts_for(user):
        parent = district.parent or district
        groups.setdefault(parent.pk, (parent, []))[1].append(district)
    return list(groups.values())


# --- periods ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    since: date
    until: date  # inclusive

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1


def today() -> date:
    return timezone.localtime(timezone.now(), local_zone()).date()


def last_days(days: int, *, ending: date | None = None) -> Period:
    end = ending or today()
    return Period(end - timedelta(days=days - 1), end)


# --- hotspots -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HexStat:
    cell: int
    count: int
    neighbourhood: int
    expected: float
    z: float
    p: float
    q: float
    hot: bool

    @property
    def h3(self) -> str:
        return hexes.to_str(self.cell)


@dataclass
class Picture:
    """One district's hotspots and hour-of-week pattern over a period."""

    district_id: int
    period: Period
    category: str
    hexes: list[HexStat]
    hours: np.ndarray  # 168 counts, Monday 0h first

    @property
    def hotspots(self) -> list[HexStat]:
        return sorted((h for h in self.hexes if h.hot), key=lambda h: (-h.count, h.q, h.cell))

    @property
    def total(self) -> int:
        return sum(h.count for h in self.hexes)


@dataclass(frozen=True)
class StudyArea:
    """A district's outline and the hexagons whose centre lies inside it."""

    boundary_id: int
    geometry: dict[str, Any]
    cells: list[int]


def study_area(district: Area) -> StudyArea | None:
    row = (
        Boundary.objects.filter(area=district, generation__active=True)
        .values_list("pk", "geometry")
        .first()
    )
    if row is None:
        return None
    cells = hexes.cells_covering(row[0], row[1], settings.HOTSPOT_H3_RESOLUTION)
    return StudyArea(row[0], row[1], cells)


def hotspot_analysis(counts: dict[int, int], study: StudyArea | None) -> list[HexStat]:
    """Gi* over the district's cells (plus any cell holding reports just over its edge)."""
    cells = sorted(set(study.cells if study else []) | set(counts))
    if not cells:
        return []
    x = np.array([counts.get(c, 0) for c in cells], dtype=float)
    cover = hexes.coverage(study.boundary_id, study.geometry, cells) if study else None
    result = stats.gi_star(x, hexes.neighbour_matrix(cells), cover)
    fdr = settings.HOTSPOT_FDR
    least = settings.HOTSPOT_MIN_COUNT
    out = []
    for i, cell in enumerate(cells):
        if x[i] == 0 and result.neighbourhood[i] == 0:
            continue
        out.append(
            HexStat(
                cell=cell,
                count=int(x[i]),
                neighbourhood=int(result.neighbourhood[i]),
                expected=round(float(result.expected[i]), 6),
                z=round(float(result.z[i]), 6),
                p=float(result.p[i]),
                q=float(result.q[i]),
                hot=bool(result.q[i] <= fdr and result.z[i] > 0 and x[i] >= least),
            )
        )
    return out


def _filters(district_ids: Iterable[int], period: Period, category: str) -> Q:
    q = Q(district_id__in=list(district_ids), day__gte=period.since, day__lte=period.until)
    return q & Q(category=category) if category else q


def hex_counts(district_id: int, period: Period, category: str = "") -> dict[int, int]:
    rows = (
        CellDay.objects.filter(_filters([district_id], period, category))
        .values("cell")
        .annotate(total=Sum("n"))
        .values_list("cell", "total")
    )
    return {cell: total for cell, total in rows if total}


def hour_counts(district_ids: Iterable[int], period: Period, category: str = "") -> np.ndarray:
    hours = np.zeros(HOURS_IN_WEEK, dtype=np.int64)
    rows = (
        HourDay.objects.filter(_filters(district_ids, period, category))
        .values("hour_of_week")
        .annotate(total=Sum("n"))
        .values_list("hour_of_week", "total")
    )
    for hour, total in rows:
        hours[hour] = total
    return hours


def district_picture(district: Area, period: Period, category: str = "") -> Picture:
    return Picture(
        district_id=district.pk,
        period=period,
        category=category,
        hexes=hotspot_analysis(hex_counts(district.pk, period, category), study_area(district)),
        hours=hour_counts([district.pk], period, category),
    )


def area_hours(area: Area, period: Period, category: str = "") -> np.ndarray:
    """Hour-of-week counts for one neighbourhood (read from the reports)."""
    qs = counted_reports().filter(
        area_id__in=descendants_of({area.pk}),
        seen_on__gte=period.since,
        seen_on__lte=period.until,
        hour_of_week__isnull=False,
    )
    if category:
        qs = qs.filter(category=category)
    hours = np.zeros(HOURS_IN_WEEK, dtype=np.int64)
    for hour, n in (
        qs.values("hour_of_week").annotate(n=Count("*")).values_list("hour_of_week", "n")
    ):
        hours[hour] = n
    return hours


# --- schools ------------------------------------------------------------------------------------


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


# --- trends -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendAlert:
    category: str
    area: Area  # the district, or one of its neighbourhoods
    recent: int
    baseline: int
    ratio: float
    p: float
    q: float

    @property
    def category_label(self) -> str:
        return str(Category(self.category).label)


@dataclass
class Trends:
    alerts: list[TrendAlert]
    weeks: list[date]  # the first day of each 7-day bucket, oldest first
    series: dict[str, list[int]]  # category -> reports per 7-day bucket
    recent_days: int
    baseline_days: int


def trends(district: Area, *, ending: date | None = None) -> Trends:
    """Categories and neighbourhoods whose recent weeks exceed the weeks before them."""
    recent_days = settings.TREND_RECENT_DAYS
    baseline_days = settings.TREND_BASELINE_DAYS
    end = ending or today()
    recent = last_days(recent_days, ending=end)
    baseline = Period(recent.since - timedelta(days=baseline_days), recent.since - timedelta(1))
    whole = Period(baseline.since, recent.until)
    daily = (
        CellDay.objects.filter(_filters([district.pk], whole, ""))
        .values("day", "category")
        .annotate(total=Sum("n"))
        .values_list("day", "category", "total")
    )
    buckets = whole.days // 7
    first = whole.until - timedelta(days=buckets * 7 - 1)
    series: dict[str, list[int]] = defaultdict(lambda: [0] * buckets)
    candidates: list[tuple[str, Area, int, int]] = []
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for day, category, total in daily:
        totals[category][0 if day >= recent.since else 1] += total
        if day >= first:
            series[category][(day - first).days // 7] += total
    for category, (r, b) in sorted(totals.items()):
        candidates.append((category, district, r, b))
    by_area = (
        counted_reports()
        .filter(district_id=district.pk, seen_on__gte=whole.since, seen_on__lte=whole.until)
        .exclude(area_id=district.pk)
        .values("area_id", "category")
        .annotate(
            r=Sum(
                Case(
                    When(seen_on__gte=recent.since, then=1), default=0, output_field=IntegerField()
                )
            ),
            b=Sum(
                Case(When(seen_on__lt=recent.since, then=1), default=0, output_field=IntegerField())
            ),
        )
        .values_list("area_id", "category", "r", "b")
    )
    rows = list(by_area)
    areas = Area.objects.in_bulk({a for a, _, _, _ in rows})
    for area_id, category, r, b in sorted(rows):
        candidates.append((category, areas[area_id], r, b))
    test = stats.rate_increase(
        np.array([c[2] for c in candidates], dtype=int),
        np.array([c[3] for c in candidates], dtype=int),
        recent_days,
        baseline_days,
    )
    alerts = []
    for i, (category, area, r, b) in enumerate(candidates):
        if (
            test.q[i] <= settings.HOTSPOT_FDR
            and r >= settings.TREND_MIN_COUNT
            and test.ratio[i] >= settings.TREND_MIN_RATIO
        ):
            alerts.append(
                TrendAlert(
                    category, area, r, b, float(test.ratio[i]), float(test.p[i]), float(test.q[i])
                )
            )
    alerts.sort(key=lambda a: (a.q, -a.recent))
    weeks = [first + timedelta(days=7 * i) for i in range(buckets)]
    return Trends(alerts, weeks, dict(series), recent_days, baseline_days)


# --- patrol windows -----------------------------------------------------------------------------

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass
class PatrolWindow:
    kind: str  # "hexagon" or "school"
    label: str
    lat: float
    lon: float
    ring: list[list[float]] | None  # the hexagon's outline, or None for a school
    weekday: int
    start_hour: int
    end_hour: int
    starts_at: datetime
    ends_at: datetime
    reports: int
    expected: float
    p: float
    q: float
    categories: list[tuple[str, int]]
    since: date
    until: date
    cell: int | None = None
    school: Place | None = None
    rank: int = 0

    @property
    def excess(self) -> float:
        return self.reports - self.expected


def _next_occurrence(weekday: int, hour: int, now: datetime) -> datetime:
    days = (weekday - now.weekday()) % 7
    start = datetime.combine(now.date() + timedelta(days=days), time(hour), tzinfo=now.tzinfo)
    if start + timedelta(hours=1) <= now:
        start += timedelta(days=7)
    return start


def patrol_windows(
    district: Area,
    *,
    now: datetime | None = None,
    limit: int = 20,
    picture: Picture | None = None,
    schools: list[SchoolStat] | None = None,
) -> list[PatrolWindow]:
    """Place × time suggestions for the coming week, ranked by their excess of reports.

    Places are the period's hotspot hexagons and the schools whose entry and exit windows
    hold more of their reports than their share of the week. For each place, each block of
    ``PATROL_BLOCK_HOURS`` hours of the week is tested against an even spread of the place's
    reports over the week; blocks that pass the false discovery rate are kept, and adjacent
    ones on the same day are joined.

    A caller that already holds the district's picture and its school figures (same period
    and category) passes them in; they are used when that is the lookback period and every
    category, and computed here otherwise.
    """
    zone = local_zone()
    moment = timezone.localtime(now or timezone.now(), zone)
    period = last_days(settings.PATROL_LOOKBACK_DAYS, ending=moment.date())
    block = settings.PATROL_BLOCK_HOURS
    if picture is None or picture.period != period or picture.category:
        picture = district_picture(district, period)
        schools = None  # the caller's school figures are for another period or category
    if schools is None:
        schools = school_stats(district, period)
    hot = picture.hotspots
    candidates: list[dict[str, Any]] = []
    if hot:
        per_cell = _cell_hours(district, period, [h.cell for h in hot])
        for h in hot:
            lat, lon = hexes.centre(h.cell)
            candidates += _blocks(
                per_cell.get(h.cell, Counter()),
                block,
                {
                    "kind": "hexagon",
                    "label": h.h3,
                    "lat": lat,
                    "lon": lon,
                    "ring": hexes.outline(h.cell),
                    "cell": h.cell,
                },
                allowed=None,
            )
    for s in schools:
        if not s.significant:
            continue
        candidates += _blocks(
            s.counts,
            block,
            {
                "kind": "school",
                "label": s.school.name,
                "lat": s.school.lat,
                "lon": s.school.lon,
                "ring": None,
                "school": s.school,
            },
            allowed=window_hours(school_windows(s.school)),
        )
    if not candidates:
        return []
    # Every block of every place was a hypothesis, including the blocks with no report.
    places = len({(c["kind"], c["label"]) for c in candidates})
    q = stats.benjamini_hochberg(
        [c["p"] for c in candidates], tests=places * HOURS_IN_WEEK // block
    )
    kept = [
        c | {"q": float(qv)}
        for c, qv in zip(candidates, q, strict=True)
        if qv <= settings.HOTSPOT_FDR and c["reports"] >= settings.PATROL_MIN_COUNT
    ]
    windows = _join(kept, block)
    out = []
    for c in windows:
        starts = _next_occurrence(c["weekday"], c["start_hour"], moment)
        out.append(
            PatrolWindow(
                kind=c["kind"],
                label=c["label"],
                lat=c["lat"],
                lon=c["lon"],
                ring=c["ring"],
                weekday=c["weekday"],
                start_hour=c["start_hour"],
                end_hour=c["end_hour"],
                starts_at=starts,
                ends_at=starts + timedelta(hours=c["end_hour"] - c["start_hour"]),
                reports=c["reports"],
                expected=c["expected"],
                p=c["p"],
                q=c["q"],
                categories=c["categories"].most_common(3),
                since=period.since,
                until=period.until,
                cell=c.get("cell"),
                school=c.get("school"),
            )
        )
    out.sort(key=lambda w: (-w.excess, w.q, w.starts_at, w.label))
    for rank, w in enumerate(out[:limit], start=1):
        w.rank = rank
    return out[:limit]


def _cell_hours(
    district: Area, period: Period, cells: list[int]
) -> dict[int, Counter[tuple[int, str]]]:
    """Reports per (hour of the week, category) in each of ``cells``, counted in the database."""
    resolution = settings.HOTSPOT_H3_RESOLUTION
    ranges = [cell_range(c) for c in cells]
    where = " OR ".join(["(h3_cell BETWEEN %s AND %s)"] * len(ranges))
    excluded = ", ".join(["%s"] * len(NOT_COUNTED_STATUSES))
    cell = parent_sql("h3_cell", resolution)
    sql = (
        f"SELECT {cell}, hour_of_week, category, COUNT(*) FROM reports_report "  # noqa: S608
        "WHERE district_id = %s AND seen_on BETWEEN %s AND %s AND hour_of_week IS NOT NULL "
        f"AND status NOT IN ({excluded}) AND ({where}) GROUP BY 1, 2, 3"
    )
    params: list[Any] = [district.pk, period.since, period.until, *sorted(NOT_COUNTED_STATUSES)]
    for lo, hi in ranges:
        params += [lo, hi]
    out: dict[int, Counter[tuple[int, str]]] = defaultdict(Counter)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for parent, hour, category, n in cursor.fetchall():
            out[int(parent)][(int(hour), category)] += int(n)
    return out


def _blocks(
    counts: Counter[tuple[int, str]],
    block: int,
    place: dict[str, Any],
    allowed: set[int] | None,
) -> list[dict[str, Any]]:
    total = sum(counts.values())
    if not total:
        return []
    by_block: dict[int, Counter[str]] = defaultdict(Counter)
    for (hour, category), n in counts.items():
        by_block[hour // block][category] += n
    share = block / HOURS_IN_WEEK
    out = []
    for b, cats in by_block.items():
        hours = set(range(b * block, (b + 1) * block))
        if allowed is not None and not hours & allowed:
            continue
        k = sum(cats.values())
        start = b * block
        out.append(
            place
            | {
                "weekday": start // 24,
                "start_hour": start % 24,
                "end_hour": start % 24 + block,
                "reports": k,
                "expected": total * share,
                "p": float(stats.upper_tail(k, total, share)),
                "categories": cats,
            }
        )
    return out


def _join(kept: list[dict[str, Any]], block: int) -> list[dict[str, Any]]:
    """Adjacent blocks of one place on one day become one window."""
    kept.sort(key=lambda c: (c["kind"], c["label"], c["weekday"], c["start_hour"]))
    out: list[dict[str, Any]] = []
    for c in kept:
        last = out[-1] if out else None
        if (
            last is not None
            and (last["kind"], last["label"], last["weekday"])
            == (c["kind"], c["label"], c["weekday"])
            and last["end_hour"] == c["start_hour"]
        ):
            last["end_hour"] = c["end_hour"]
            last["reports"] += c["reports"]
            last["expected"] += c["expected"]
            last["p"] = min(last["p"], c["p"])
            last["q"] = min(last["q"], c["q"])
            last["categories"] = last["categories"] + c["categories"]
        else:
            out.append(dict(c))
    return out


# --- public figures -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicCount:
    area: Area
    month: date
    category: str
    count: int | None  # None: fewer than PUBLIC_MIN_COUNT, not published

    @property
    def category_label(self) -> str:
        return str(Category(self.category).label)


def public_counts(area_ids: Iterable[int] | None = None, months: int = 12) -> list[PublicCount]:
    """Reports per neighbourhood, category and month; small counts withheld.

    Only cells are published, never totals next to them, so that a withheld count cannot be
    recovered by subtraction.
    """
    end = today()
    first = (end.replace(day=1) - timedelta(days=31 * (months - 1))).replace(day=1)
    qs = counted_reports().filter(seen_on__gte=first, seen_on__lte=end)
    if area_ids is not None:
        qs = qs.filter(area_id__in=list(area_ids))
    rows = (
        qs.annotate(month=TruncMonth("seen_on"))
        .values("area_id", "month", "category")
        .annotate(n=Count("*"))
        .values_list("area_id", "month", "category", "n")
    )
    data = list(rows)
    areas = Area.objects.select_related("type", "parent").in_bulk({r[0] for r in data})
    least = settings.PUBLIC_MIN_COUNT
    out = [
        PublicCount(areas[a], m if isinstance(m, date) else m.date(), c, n if n >= least else None)
        for a, m, c, n in data
    ]
    out.sort(key=lambda p: (p.area.name, p.month, p.category))
    return out


def synthetic_share() -> int:
    return Report.objects.filter(is_synthetic=True).count()
