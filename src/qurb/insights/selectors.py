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

import numpy as np
from django.conf import settings
from django.db.models import Case, Count, IntegerField, Q, Sum, When
from django.db.models.functions import TruncMonth
from django.utils import timezone

from qurb.accounts.selectors import descendants_of, staff_area_ids, user_roles
from qurb.areas.models import Area, Boundary, Place, PlaceKind
from qurb.insights import hexes, stats
from qurb.reports.models import Category, CellDay, HourDay, Report
from qurb.reports.rollup import NOT_COUNTED_STATUSES, cell_range, local_zone, parent_of
from qurb.reports.selectors import TRIAGE_READ_ROLES

HOURS_IN_WEEK = 168


# --- who sees what ------------------------------------------------------------------------------


def districts_for(user: Any) -> list[Area]:
    """Districts whose insights ``user`` may read: those wholly inside their scope."""
    if not user_roles(user) & TRIAGE_READ_ROLES:
        return []
    qs = Area.objects.filter(
        type__code=settings.REPORT_AREA_TYPE, boundaries__generation__active=True
    ).select_related("parent", "type")
    scope = staff_area_ids(user)
    if scope is not None:
        qs = qs.filter(pk__in=scope)
    return sorted(qs, key=lambda a: (a.parent.name if a.parent else "", a.name))


def groups_for(user: Any) -> list[tuple[Area, list[Area]]]:
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
    qs = _counted_reports().filter(
        area_id__in=descendants_of({area.pk}),
        seen_on__gte=period.since,
        seen_on__lte=period.until,
        hour_of_week__isnull=False,
    )
    if category:
        qs = qs.filter(category=category)
    hours = np.zeros(HOURS_IN_WEEK, dtype=np.int64)
    for hour, n in (
        qs.values("hour_of_week").annotate(n=Count("id")).values_list("hour_of_week", "n")
    ):
        hours[hour] = n
    return hours


def _counted_reports() -> Any:
    return Report.objects.exclude(status__in=NOT_COUNTED_STATUSES)


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


def distance_m(lat: np.ndarray, lon: np.ndarray, lat0: float, lon0: float) -> np.ndarray:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = np.radians(lat), math.radians(lat0)
    dp = p1 - p2
    dl = np.radians(lon) - math.radians(lon0)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * math.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * 6_371_008.8 * np.arcsin(np.sqrt(a)))


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
    by_hour: Counter[int] = field(default_factory=Counter)

    @property
    def share(self) -> float:
        return self.in_windows / self.near if self.near else 0.0


def schools_in(district: Area) -> list[Place]:
    return list(
        Place.objects.filter(
            kind=PlaceKind.SCHOOL, area_id__in=descendants_of({district.pk})
        ).order_by("code")
    )


def school_stats(district: Area, period: Period, category: str = "") -> list[SchoolStat]:
    schools = schools_in(district)
    if not schools:
        return []
    radius = settings.SCHOOL_RADIUS_M
    pad_lat = radius / 111_320
    lats = [s.lat for s in schools]
    pad_lon = radius / (111_320 * max(math.cos(math.radians(max(map(abs, lats)))), 0.01))
    qs = _counted_reports().filter(
        district_id=district.pk,
        seen_on__gte=period.since,
        seen_on__lte=period.until,
        hour_of_week__isnull=False,
        lat__gte=min(lats) - pad_lat,
        lat__lte=max(lats) + pad_lat,
        lon__gte=min(s.lon for s in schools) - pad_lon,
        lon__lte=max(s.lon for s in schools) + pad_lon,
    )
    if category:
        qs = qs.filter(category=category)
    rows = np.array(list(qs.values_list("lat", "lon", "hour_of_week")), dtype=float).reshape(-1, 3)
    out = []
    for school in schools:
        near = rows[distance_m(rows[:, 0], rows[:, 1], school.lat, school.lon) <= radius]
        hours = window_hours(school_windows(school))
        share = len(hours) / HOURS_IN_WEEK
        in_windows = int(np.isin(near[:, 2].astype(int), sorted(hours)).sum())
        p = float(stats.upper_tail(in_windows, len(near), share)) if in_windows else 1.0
        out.append(
            SchoolStat(
                school=school,
                near=len(near),
                in_windows=in_windows,
                window_share=share,
                expected=len(near) * share,
                p=p,
                by_hour=Counter(int(h) for h in near[:, 2]),
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
        _counted_reports()
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
    district: Area, *, now: datetime | None = None, limit: int = 20
) -> list[PatrolWindow]:
    """Place × time suggestions for the coming week, ranked by their excess of reports.

    Places are the period's hotspot hexagons and the schools whose entry and exit windows
    hold more of their reports than their share of the week. For each place, each block of
    ``PATROL_BLOCK_HOURS`` hours of the week is tested against an even spread of the place's
    reports over the week; blocks that pass the false discovery rate are kept, and adjacent
    ones on the same day are joined.
    """
    zone = local_zone()
    moment = timezone.localtime(now or timezone.now(), zone)
    period = last_days(settings.PATROL_LOOKBACK_DAYS, ending=moment.date())
    block = settings.PATROL_BLOCK_HOURS
    picture = district_picture(district, period)
    hot = picture.hotspots
    candidates: list[dict[str, Any]] = []
    base = _counted_reports().filter(
        district_id=district.pk,
        seen_on__gte=period.since,
        seen_on__lte=period.until,
        hour_of_week__isnull=False,
    )
    if hot:
        ranges = Q()
        for h in hot:
            lo, hi = cell_range(h.cell)
            ranges |= Q(h3_cell__gte=lo, h3_cell__lte=hi)
        resolution = settings.HOTSPOT_H3_RESOLUTION
        per_cell: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for cell, hour, category in base.filter(ranges).values_list(
            "h3_cell", "hour_of_week", "category"
        ):
            per_cell[parent_of(cell, resolution)].append((hour, category))
        for h in hot:
            rows = per_cell.get(h.cell, [])
            lat, lon = hexes.centre(h.cell)
            candidates += _blocks(
                rows,
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
    for s in school_stats(district, period):
        if not s.significant:
            continue
        rows = _school_rows(base, s.school)
        candidates += _blocks(
            rows,
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


def _school_rows(base: Any, school: Place) -> list[tuple[int, str]]:
    radius = settings.SCHOOL_RADIUS_M
    pad_lat = radius / 111_320
    pad_lon = radius / (111_320 * max(math.cos(math.radians(school.lat)), 0.01))
    rows = list(
        base.filter(
            lat__gte=school.lat - pad_lat,
            lat__lte=school.lat + pad_lat,
            lon__gte=school.lon - pad_lon,
            lon__lte=school.lon + pad_lon,
        ).values_list("lat", "lon", "hour_of_week", "category")
    )
    if not rows:
        return []
    lat = np.array([r[0] for r in rows])
    lon = np.array([r[1] for r in rows])
    near = distance_m(lat, lon, school.lat, school.lon) <= radius
    return [(r[2], r[3]) for r, ok in zip(rows, near, strict=True) if ok]


def _blocks(
    rows: list[tuple[int, str]], block: int, place: dict[str, Any], allowed: set[int] | None
) -> list[dict[str, Any]]:
    total = len(rows)
    if not total:
        return []
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    for hour, category in rows:
        counts[hour // block][category] += 1
    share = block / HOURS_IN_WEEK
    out = []
    for b, cats in counts.items():
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
    qs = _counted_reports().filter(seen_on__gte=first, seen_on__lte=end)
    if area_ids is not None:
        qs = qs.filter(area_id__in=list(area_ids))
    rows = (
        qs.annotate(month=TruncMonth("seen_on"))
        .values("area_id", "month", "category")
        .annotate(n=Count("id"))
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
