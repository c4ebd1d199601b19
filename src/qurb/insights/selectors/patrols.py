"""Patrol windows: place × time suggestions for the coming week, from the hotspots and the
schools."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import h3
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from qurb.accounts.selectors import descendants_of
from qurb.areas.models import Area, Place
from qurb.areas.selectors import areas_at
from qurb.insights import hexes, stats
from qurb.insights.selectors.hotspots import Picture, district_picture
from qurb.insights.selectors.periods import HOURS_IN_WEEK, Period, last_days
from qurb.insights.selectors.schools import SchoolStat, school_stats, school_windows, window_hours
from qurb.reports.models import Category
from qurb.reports.rollup import NOT_COUNTED_STATUSES, cell_range, local_zone, parent_sql

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# A hexagon is named after the nearest school or other known place within this distance of
# its centre (a hexagon at the hotspot resolution is some 350 m across).
NEAR_METRES = 500


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

    @property
    def category_labels(self) -> list[tuple[str, int]]:
        """``categories`` with their names in the active language, for pages."""
        names = dict(Category.choices)
        return [(str(names.get(code, code)), n) for code, n in self.categories]

    @property
    def h3(self) -> str:
        """The hexagon's H3 index (empty for a school): for links and machine exports."""
        return hexes.to_str(self.cell) if self.cell is not None else ""

    @property
    def key(self) -> str:
        """What the window is about, stable across languages: the hexagon or the school."""
        if self.cell is not None:
            return f"hexagon-{self.h3}"
        return f"school-{self.school.code}" if self.school is not None else self.label


def hexagon_name(cell: int, district: Area | None = None, places: list[Place] | None = None) -> str:
    """A hexagon as people know it, in the active language: the innermost area holding its
    centre, and the nearest school or other place within ``NEAR_METRES`` when there is one.
    ``places`` are the candidates (those around the centre when not given); ``district``
    names a hexagon outside every area (its H3 index without one)."""
    lat, lon = hexes.centre(cell)
    found = areas_at(lat=lat, lon=lon)
    name = found[-1].name if found else (district.name if district else hexes.to_str(cell))
    if places is None:
        places = places_around(lat, lon)
    nearest = min(
        (
            (h3.great_circle_distance((lat, lon), (p.lat, p.lon), unit="m"), p.code, p)
            for p in places
        ),
        default=None,
    )
    if nearest is None or nearest[0] > NEAR_METRES:
        return name
    return _("%(area)s, near %(place)s") % {"area": name, "place": nearest[2].name}


def places_around(lat: float, lon: float, metres: float = NEAR_METRES) -> list[Place]:
    """Known places in a box of ``metres`` around the point (the distance is checked after)."""
    dlat = metres / 111_320
    dlon = metres / (111_320 * max(math.cos(math.radians(lat)), 0.01))
    return list(
        Place.objects.filter(
            lat__gte=lat - dlat, lat__lte=lat + dlat, lon__gte=lon - dlon, lon__lte=lon + dlon
        )
    )


def hexagon_names(district: Area, cells: list[int]) -> dict[int, str]:
    """``hexagon_name`` for several hexagons of one district (its places read once)."""
    places = district_places(district) if cells else []
    return {cell: hexagon_name(cell, district, places) for cell in cells}


def district_places(district: Area) -> list[Place]:
    """The schools and other known places of the district (and its neighbourhoods)."""
    return list(Place.objects.filter(area_id__in=descendants_of({district.pk})).order_by("code"))


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
        known_places = district_places(district)
        for h in hot:
            lat, lon = hexes.centre(h.cell)
            candidates += _blocks(
                per_cell.get(h.cell, Counter()),
                block,
                {
                    "kind": "hexagon",
                    "key": f"hexagon-{h.h3}",
                    "label": hexagon_name(h.cell, district, known_places),
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
                "key": f"school-{s.school.code}",
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
    places = len({c["key"] for c in candidates})
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
    out.sort(key=lambda w: (-w.excess, w.q, w.starts_at, w.key))
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
    kept.sort(key=lambda c: (c["key"], c["weekday"], c["start_hour"]))
    out: list[dict[str, Any]] = []
    for c in kept:
        last = out[-1] if out else None
        if (
            last is not None
            and (last["key"], last["weekday"]) == (c["key"], c["weekday"])
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
