"""Patrol windows and public figures as CSV, GeoJSON and iCalendar."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from qurb.areas.models import Area
from qurb.core.links import uid_domain
from qurb.insights.selectors import PatrolWindow, PublicCount
from qurb.reports.models import Category


def csv_cell(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv(header: list[str], rows: Iterable[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()


def _evidence(w: PatrolWindow) -> str:
    cats = ", ".join(f"{Category(c).label} ({n})" for c, n in w.categories)
    return _(
        "%(reports)d reports in this window between %(since)s and %(until)s, against "
        "%(expected).1f if they were spread over the week (p = %(p).2g, q = %(q).2g). "
        "Mostly: %(categories)s."
    ) % {
        "reports": w.reports,
        "since": w.since.isoformat(),
        "until": w.until.isoformat(),
        "expected": w.expected,
        "p": w.p,
        "q": w.q,
        "categories": cats,
    }


def patrol_csv(windows: list[PatrolWindow]) -> str:
    return _csv(
        [
            "rank",
            "kind",
            "place",
            "cell",
            "lat",
            "lon",
            "weekday",
            "start",
            "end",
            "starts_at",
            "ends_at",
            "reports",
            "expected",
            "p",
            "q",
            "categories",
        ],
        (
            [
                w.rank,
                w.kind,
                w.label,
                w.h3,
                round(w.lat, 6),
                round(w.lon, 6),
                w.weekday,
                f"{w.start_hour:02d}:00",
                f"{w.end_hour % 24:02d}:00",
                w.starts_at.isoformat(),
                w.ends_at.isoformat(),
                w.reports,
                round(w.expected, 2),
                f"{w.p:.3g}",
                f"{w.q:.3g}",
                ";".join(f"{c}:{n}" for c, n in w.categories),
            ]
            for w in windows
        ),
    )


def patrol_geojson(windows: list[PatrolWindow]) -> dict[str, Any]:
    features = []
    for w in windows:
        geometry: dict[str, Any] = (
            {"type": "Polygon", "coordinates": [w.ring]}
            if w.ring
            else {"type": "Point", "coordinates": [round(w.lon, 6), round(w.lat, 6)]}
        )
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "rank": w.rank,
                    "kind": w.kind,
                    "place": w.label,
                    "cell": w.h3 or None,
                    "weekday": w.weekday,
                    "starts_at": w.starts_at.isoformat(),
                    "ends_at": w.ends_at.isoformat(),
                    "reports": w.reports,
                    "expected": round(w.expected, 3),
                    "p": w.p,
                    "q": w.q,
                    "categories": dict(w.categories),
                    "evidence": _evidence(w),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def patrol_icalendar(district: Area, windows: list[PatrolWindow]) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Qurb//Patrol windows//AR")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", _("Patrol windows: %(district)s") % {"district": district.name})
    stamp = datetime.now(UTC)
    for w in windows:
        event = Event()
        event.add("uid", f"patrol-{district.pk}-{w.starts_at:%Y%m%dT%H}-{w.key}@{uid_domain()}")
        event.add("dtstamp", stamp)
        # In UTC ("Z"), not TZID=Africa/Casablanca: no VTIMEZONE needed (RFC 5545 §3.3.5), and
        # none to get wrong (icalendar 7.3 builds Morocco's without Ramadan for some spans).
        event.add("dtstart", w.starts_at.astimezone(UTC))
        event.add("dtend", w.ends_at.astimezone(UTC))
        event.add(
            "summary",
            _("Patrol #%(rank)d: %(place)s") % {"rank": w.rank, "place": w.label},
        )
        event.add("description", _evidence(w))
        event.add("geo", (round(w.lat, 6), round(w.lon, 6)))
        event.add("location", f"{w.lat:.6f}, {w.lon:.6f}")
        cal.add_component(event)
    return bytes(cal.to_ical())


def public_csv(counts: list[PublicCount]) -> str:
    return _csv(
        ["neighbourhood_code", "neighbourhood", "month", "category", "reports"],
        (
            [
                c.area.code,
                c.area.name,
                c.month.strftime("%Y-%m"),
                c.category,
                c.count if c.count is not None else "<5",
            ]
            for c in counts
        ),
    )


def public_geojson(
    counts: list[PublicCount], boundaries: dict[int, dict[str, Any]]
) -> dict[str, Any]:
    """One feature per neighbourhood: its outline and its counts by month and category."""
    by_area: dict[int, dict[str, dict[str, int | str]]] = {}
    areas: dict[int, Area] = {}
    for c in counts:
        areas[c.area.pk] = c.area
        month = by_area.setdefault(c.area.pk, {}).setdefault(c.month.strftime("%Y-%m"), {})
        month[c.category] = c.count if c.count is not None else "<5"
    features = []
    for pk, months in by_area.items():
        features.append(
            {
                "type": "Feature",
                "id": areas[pk].code,
                "geometry": boundaries.get(pk),
                "properties": {
                    "code": areas[pk].code,
                    "name": areas[pk].name,
                    "names": areas[pk].names(),
                    "demo": areas[pk].is_demo,
                    "reports": months,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}
