"""Where and when a report happened, in the form the analyses read, and the daily counts.

Each report keeps three analysis columns, computed once when it is stored:

- ``h3_cell``: the H3 cell of its point at resolution 15 (about 1 m²), as a 64-bit integer.
  The cell at any coarser resolution is a bit operation on it (:func:`parent_sql`), and all
  resolution-15 cells inside a coarser cell form one integer range (:func:`cell_range`).
- ``seen_on``: the local date the problem was seen (the moment given, else the day received).
- ``hour_of_week``: the local hour of the week it happens, 0 = Monday 0:00 to 167 = Sunday
  23:00; empty when the reporter did not say when.

Beside them, two tables of daily counts per district and category are kept in step by the
report services (:func:`counted`, :func:`move`): one per hexagon at the hotspot resolution,
one per hour of the week. The insights read these, so one district's quarter is a few
thousand rows however many reports it holds. ``qurb insights rebuild`` recomputes both from
the reports (after changing the resolution, or after a bulk load).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import h3
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

# Reports merged into another are counted once, in the report they were merged into.
NOT_COUNTED_STATUSES = frozenset({"duplicate"})
STORED_RESOLUTION = 15

# Weekdays (Monday = 0) of each recurrence choice; the first is used when the report's own
# day is not one of them.
RECURRENCE_WEEKDAYS: dict[str, tuple[int, ...]] = {
    "daily": (0, 1, 2, 3, 4, 5, 6),
    "school_days": (0, 1, 2, 3, 4, 5),
    "weekdays": (0, 1, 2, 3, 4),
    "weekends": (5, 6),
    "fridays": (4,),
    "match_days": (6, 5, 2),
}


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def cell_of(lat: float, lon: float) -> int:
    return int(h3.str_to_int(h3.latlng_to_cell(lat, lon, STORED_RESOLUTION)))


def parent_of(cell: int, resolution: int) -> int:
    """The resolution-``resolution`` cell containing ``cell`` (same as ``h3.cell_to_parent``)."""
    low = (1 << (3 * (15 - resolution))) - 1
    return (cell & ~((15 << 52) | low)) | (resolution << 52) | low


def parent_masks(resolution: int) -> tuple[int, int]:
    """``(keep, set)``: the parent is ``(cell & keep) | set`` in SQL on signed 64-bit integers."""
    if not 0 <= resolution <= 15:
        raise ValueError("H3 resolutions run from 0 to 15")
    low = (1 << (3 * (15 - resolution))) - 1
    keep = ~((15 << 52) | low)  # negative in two's complement: fits a signed bigint
    return keep, (resolution << 52) | low


def parent_sql(column: str, resolution: int) -> str:
    keep, put = parent_masks(resolution)
    return f"(({column} & ({keep})) | {put})"


def cell_from_text(raw: str) -> int | None:
    """An H3 cell given as text (its hexadecimal index, as in the insights' links, or the
    64-bit integer), or None when ``raw`` is not a valid cell at any resolution."""
    text = (raw or "").strip().lower()
    if not 1 <= len(text) <= 20 or not text.isascii() or not text.isalnum():
        return None
    try:
        cell = int(text) if text.isdigit() else int(text, 16)
    except ValueError:
        return None
    if not 0 < cell < 1 << 63 or not h3.is_valid_cell(h3.int_to_str(cell)):
        return None
    return cell


def cell_range(cell: int) -> tuple[int, int]:
    """The first and last resolution-15 cells inside ``cell`` (its digits below are 0–6)."""
    resolution = (cell >> 52) & 15
    free = 3 * (15 - resolution)
    base = (cell & ~((15 << 52) | ((1 << free) - 1))) | (15 << 52)
    top = 0
    for digit in range(15 - resolution):
        top |= 6 << (3 * digit)
    return base, base | top


@dataclass(frozen=True)
class Seen:
    on: date
    hour_of_week: int | None


def seen(
    *,
    when: str,
    created_at: datetime,
    occurred_at: datetime | None = None,
    recurrence_days: str = "",
    recurrence_from: time | None = None,
) -> Seen:
    """The local day and hour of the week a report describes."""
    zone = local_zone()
    received = timezone.localtime(created_at, zone)
    moment = _local(occurred_at, zone) if when == "moment" else None
    if moment is not None:
        return Seen(moment.date(), moment.weekday() * 24 + moment.hour)
    if when == "now":
        return Seen(received.date(), received.weekday() * 24 + received.hour)
    if when == "recurring" and recurrence_from is not None:
        days = RECURRENCE_WEEKDAYS.get(recurrence_days, ())
        weekday = received.weekday()
        if days and weekday not in days:
            weekday = days[0]
        return Seen(received.date(), weekday * 24 + recurrence_from.hour)
    return Seen(received.date(), None)


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    """``moment`` in the local zone (a naive one is taken as local already); None when there
    is none, or when it lies at the edge of time (years 1 and 9999) where the conversion
    would leave the calendar: such a moment is counted on the day the report came in."""
    if moment is None:
        return None
    if timezone.is_naive(moment):
        return moment
    try:
        return timezone.localtime(moment, zone)
    except (OverflowError, ValueError):
        return None


def analysis_fields(report: Any) -> dict[str, Any]:
    found = seen(
        when=report.when,
        created_at=report.created_at or timezone.now(),
        occurred_at=report.occurred_at,
        recurrence_days=report.recurrence_days,
        recurrence_from=report.recurrence_from,
    )
    return {
        "h3_cell": cell_of(report.lat, report.lon),
        "seen_on": found.on,
        "hour_of_week": found.hour_of_week,
    }


# --- the daily counts ------------------------------------------------------------------------

Key = tuple[int, date, str, int, int | None]  # district, day, category, cell, hour of week


def counted(report: Any) -> Key | None:
    """What the report adds to the daily counts, or None when it is not counted."""
    if report.status in NOT_COUNTED_STATUSES or report.h3_cell is None or report.seen_on is None:
        return None
    cell = parent_of(report.h3_cell, settings.HOTSPOT_H3_RESOLUTION)
    return (report.district_id, report.seen_on, report.category, cell, report.hour_of_week)


def move(before: Key | None, after: Key | None) -> None:
    """Take a report out of the counts under ``before`` and add it under ``after``."""
    if before == after:
        return
    with transaction.atomic():
        if before is not None:
            _add(before, -1)
        if after is not None:
            _add(after, 1)


def _add(key: Key, n: int) -> None:
    district, day, category, cell, hour = key
    with connection.cursor() as cursor:
        # One statement per table, atomic under concurrency on PostgreSQL and SQLite alike.
        cursor.execute(
            "INSERT INTO reports_cellday (district_id, day, category, cell, n) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (district_id, day, category, cell) "
            "DO UPDATE SET n = reports_cellday.n + excluded.n",
            [district, day, category, cell, n],
        )
        if hour is not None:
            cursor.execute(
                "INSERT INTO reports_hourday (district_id, day, category, hour_of_week, n) "
                "VALUES (%s, %s, %s, %s, %s) "
                "ON CONFLICT (district_id, day, category, hour_of_week) "
                "DO UPDATE SET n = reports_hourday.n + excluded.n",
                [district, day, category, hour, n],
            )


def rebuild() -> tuple[int, int]:
    """Recompute both count tables from the reports; returns their row counts."""
    excluded = ", ".join(f"'{s}'" for s in sorted(NOT_COUNTED_STATUSES))
    cell = parent_sql("h3_cell", settings.HOTSPOT_H3_RESOLUTION)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM reports_cellday")
        cursor.execute("DELETE FROM reports_hourday")
        # Fixed names and integers only: nothing here comes from input.
        cursor.execute(
            "INSERT INTO reports_cellday (district_id, day, category, cell, n) "  # noqa: S608
            f"SELECT district_id, seen_on, category, {cell}, COUNT(*) FROM reports_report "
            f"WHERE status NOT IN ({excluded}) AND h3_cell IS NOT NULL AND seen_on IS NOT NULL "
            f"GROUP BY district_id, seen_on, category, {cell}"
        )
        cells = cursor.rowcount
        cursor.execute(
            "INSERT INTO reports_hourday (district_id, day, category, hour_of_week, n) "  # noqa: S608
            "SELECT district_id, seen_on, category, hour_of_week, COUNT(*) FROM reports_report "
            f"WHERE status NOT IN ({excluded}) AND hour_of_week IS NOT NULL "
            "AND seen_on IS NOT NULL GROUP BY district_id, seen_on, category, hour_of_week"
        )
        hours = cursor.rowcount
    return cells, hours
