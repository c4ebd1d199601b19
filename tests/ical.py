"""iCalendar read by two independent parsers, `icalendar` and `vobject` (which computes local
times from the file's own VTIMEZONE through dateutil): both must agree on every event's start
and end, every TZID used must have its VTIMEZONE (RFC 5545 §3.2.19), and no time may float."""

from __future__ import annotations

import re
from datetime import date, datetime, tzinfo
from typing import Any

import vobject
from icalendar import Calendar

Instant = date | datetime | None


def ics_events(body: bytes) -> dict[str, tuple[Instant, Instant]]:
    """(start, end) of each event by UID, as both parsers read them."""
    text = body.decode()
    unfolded = re.sub(r"\r?\n[ \t]", "", text)
    used = set(re.findall(r";TZID=([^:;]+)", unfolded))
    first = Calendar.from_ical(body)
    defined = {str(zone["TZID"]) for zone in first.walk("VTIMEZONE")}
    assert used <= defined, f"TZID without its VTIMEZONE: {used - defined}"
    assert not first.get_missing_tzids(), first.get_missing_tzids()
    by_icalendar = {
        str(event["UID"]): (_decoded(event, "DTSTART"), _decoded(event, "DTEND"))
        for event in first.walk("VEVENT")
    }
    second = vobject.readOne(text)
    zones: dict[str, tzinfo] = {
        str(zone.tzid.value): zone.gettzinfo() for zone in getattr(second, "vtimezone_list", [])
    }
    by_vobject = {
        str(event.uid.value): (
            _local(getattr(event, "dtstart", None), zones),
            _local(getattr(event, "dtend", None), zones),
        )
        for event in getattr(second, "vevent_list", [])
    }
    assert by_icalendar == by_vobject, f"the parsers disagree: {by_icalendar} != {by_vobject}"
    for moments in by_icalendar.values():
        for moment in moments:
            if isinstance(moment, datetime):
                assert moment.tzinfo is not None, f"a floating time: {moment}"
    return by_icalendar


def _decoded(event: Any, name: str) -> Instant:
    return event.decoded(name) if name in event else None


def _local(line: Any, zones: dict[str, tzinfo]) -> Instant:
    """The value, with a TZID's local time placed by the file's own VTIMEZONE (vobject keeps
    one zone per name for the whole process: the first file's)."""
    if line is None:
        return None
    value = line.value
    tzid = line.params.get("X-VOBJ-ORIGINAL-TZID")
    if isinstance(value, datetime) and tzid:
        assert tzid[0] in zones, f"TZID without its VTIMEZONE: {tzid[0]}"
        value = value.replace(tzinfo=zones[tzid[0]])
    return value  # type: ignore[no-any-return]
