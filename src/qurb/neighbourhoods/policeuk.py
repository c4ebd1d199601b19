"""Qurb's neighbourhoods in data.police.uk's own shapes, for clients written for police.uk.

How Qurb's geography maps onto police.uk's:

- a **force** is an outermost area of the active boundary set (an area without a parent: in
  the demo, the Fès and Meknès police prefectures); its id is the area's code;
- a **neighbourhood** is an area below it with no area below it in turn (in the demo, the
  sectors of each district); its id is the area's code too (unique across the force, stable
  across boundary loads). Any area of the force answers at ``/api/<force>/<code>``, so what
  ``locate-neighbourhood`` returns always resolves, even a district where no neighbourhood
  covers the point.

Only what residents may read is given: public meetings (never invitation-only ones, whoever
asks), officers' public profiles, current priorities with the latest action taken. The
free-text fields police.uk gives as HTML (``description``, ``bio``, ``issue``, ``action``)
are Qurb's plain text, escaped, in ``<p>`` paragraphs. Times are local to the force
(``settings.TIME_ZONE``), written as police.uk writes them: ``YYYY-MM-DDTHH:MM:SS``, no
offset. Texts come in the active language, with the usual fallback (``pick_translation``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.html import linebreaks
from django.utils.translation import gettext as _
from shapely.geometry import shape

from qurb.accounts.models import OfficerProfile
from qurb.accounts.selectors import officers_serving
from qurb.areas.models import Area, Boundary, PlaceKind
from qurb.areas.selectors import (
    area_and_ancestors,
    areas_at,
    areas_in_active_generation,
    places_in,
)
from qurb.engagement.models import Meeting, Priority
from qurb.engagement.selectors import current_priorities, upcoming_meetings

# police.uk's own date-time form (no offset, no fraction), which its clients parse as is.
DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S"
MAX_EVENTS = 50
MAX_PRIORITIES = 50


# --- finding forces and neighbourhoods ----------------------------------------------------------


def forces() -> list[Area]:
    """Every force: the outermost areas of the active generation, by code."""
    return sorted(
        (a for a in areas_in_active_generation() if a.parent_id is None), key=lambda a: a.code
    )


def force_named(code: str) -> Area | None:
    """The force with this id (an outermost area of the active generation), or None."""
    return areas_in_active_generation().filter(code=code, parent__isnull=True).first()


def force_of(area: Area) -> Area:
    """The outermost area above ``area`` (the area itself at the top)."""
    return area_and_ancestors(area)[-1]


def neighbourhoods_of(force: Area) -> list[Area]:
    """The neighbourhoods of a force: its areas in the active generation that have none below
    them (the force itself if it is not divided), by name then code."""
    active = list(areas_in_active_generation())
    below: dict[int | None, list[Area]] = defaultdict(list)
    for area in active:
        below[area.parent_id].append(area)
    leaves: list[Area] = []
    frontier = [force]
    seen = {force.pk}
    while frontier:
        current = frontier.pop()
        children = [c for c in below.get(current.pk, []) if c.pk not in seen]
        if not children:
            leaves.append(current)
        for child in children:
            seen.add(child.pk)
            frontier.append(child)
    return sorted(leaves, key=lambda a: (a.name, a.code))


def neighbourhood_named(force_code: str, code: str) -> Area | None:
    """The area ``code`` of the active generation within the force ``force_code``, or None."""
    area = areas_in_active_generation().filter(code=code).first()
    if area is None or force_of(area).code != force_code:
        return None
    return area


def neighbourhood_at(*, lat: float, lon: float) -> tuple[Area, Area] | None:
    """(force, innermost area) at the point, or None where no force's area contains it."""
    found = areas_at(lat=lat, lon=lon)
    if not found:
        return None
    innermost = found[-1]
    force = force_of(innermost)
    if force.pk not in {a.pk for a in found}:
        return None
    return force, innermost


# --- police.uk's shapes ---------------------------------------------------------------------


def _html(text: str) -> str | None:
    """Plain text as police.uk's HTML fields carry it: escaped, in paragraphs; None if empty."""
    text = (text or "").strip()
    return linebreaks(text, autoescape=True) if text else None


def _coordinate(value: float) -> str:
    """A latitude or longitude as police.uk writes it: a decimal string."""
    return f"{value:.7f}".rstrip("0").rstrip(".")


def _datetime(moment: datetime) -> str:
    return timezone.localtime(moment).strftime(DATETIME_FORMAT)


def _date(day: date) -> str:
    return datetime.combine(day, time()).strftime(DATETIME_FORMAT)


def _demo_note(area: Area) -> str | None:
    if not area.is_demo:
        return None
    return _html(
        _("Demo data: this area was generated for demonstration and is not a real police boundary.")
    )


def force_list_out() -> list[dict[str, str]]:
    """``/api/forces``: ``[{"id", "name"}]``."""
    return [{"id": f.code, "name": f.name} for f in forces()]


def force_out(force: Area, base_url: str) -> dict[str, Any]:
    """``/api/forces/<force>``: id, name, description, url, telephone, engagement_methods."""
    return {
        "id": force.code,
        "name": force.name,
        "description": _demo_note(force),
        "url": base_url + force.get_absolute_url(),
        # The number residents call the police on (Qurb itself is not an emergency line).
        "telephone": settings.EMERGENCY_NUMBER,
        "engagement_methods": [],
    }


def _centre(boundary: Boundary | None) -> dict[str, str] | None:
    if boundary is None:
        return None
    point = shape(boundary.geometry).representative_point()
    return {"latitude": _coordinate(point.y), "longitude": _coordinate(point.x)}


def _active_boundary(area: Area) -> Boundary | None:
    return Boundary.objects.filter(area=area, generation__active=True).first()


def neighbourhood_out(area: Area, base_url: str) -> dict[str, Any]:
    """``/api/<force>/<neighbourhood>``, with police.uk's fields: id, name, description,
    url_force (the neighbourhood's page), population (unknown: "0", as police.uk writes it),
    contact_details, links, centre, locations (police stations of the area or of the area
    directly above it)."""
    stations = places_in(area.parent or area, PlaceKind.POLICE_STATION)
    return {
        "id": area.code,
        "name": area.name,
        "description": _demo_note(area),
        "url_force": base_url + area.get_absolute_url(),
        "population": "0",
        "contact_details": {},
        "links": [
            {
                "url": base_url + reverse("neighbourhoods:meetings_ics", args=[area.pk]),
                "title": _("Meetings (iCalendar)"),
                "description": None,
            }
        ],
        "centre": _centre(_active_boundary(area)),
        "locations": [
            {
                "name": place.name,
                "latitude": _coordinate(place.lat),
                "longitude": _coordinate(place.lon),
                "postcode": None,
                "address": None,
                "type": "station",
                "description": None,
            }
            for place in stations
        ],
    }


def neighbourhood_list_out(force: Area) -> list[dict[str, str]]:
    """``/api/<force>/neighbourhoods``: ``[{"id", "name"}]``."""
    return [{"id": a.code, "name": a.name} for a in neighbourhoods_of(force)]


def boundary_out(area: Area) -> list[dict[str, str]] | None:
    """``/api/<force>/<neighbourhood>/boundary``: the outer ring as ``[{"latitude",
    "longitude"}]`` strings. police.uk's boundary is one ring: a hole is left out, and of an
    area in several parts, the largest part is given (the GeoJSON at
    ``/neighbourhoods/<id>/boundary.geojson`` has the whole shape). None without a boundary."""
    boundary = _active_boundary(area)
    if boundary is None:
        return None
    geometry = shape(boundary.geometry)
    polygon = max(getattr(geometry, "geoms", [geometry]), key=lambda g: g.area)
    return [
        {"latitude": _coordinate(lat), "longitude": _coordinate(lon)}
        for lon, lat, *_rest in polygon.exterior.coords
    ]


def person_out(profile: OfficerProfile) -> dict[str, Any]:
    """An officer's public profile: name, rank, bio, professional contact details only."""
    contact = {"email": profile.public_email, "telephone": profile.public_phone}
    return {
        "name": str(profile.user),
        "rank": profile.get_rank_display(),
        "bio": _html(profile.public_note),
        "contact_details": {k: v for k, v in contact.items() if v},
    }


def people_out(area: Area) -> list[dict[str, Any]]:
    """``/api/<force>/<neighbourhood>/people`` (the officers serving the area, nearest first)
    and ``/api/forces/<force>/people`` (those assigned to the force's whole area)."""
    return [person_out(p) for p in officers_serving(area)]


def event_out(meeting: Meeting, base_url: str) -> dict[str, Any]:
    """A public meeting as a police.uk event. An online meeting's link is never given: its
    page (``contact_details.web``) is where registered residents find it."""
    return {
        "title": meeting.title,
        "description": _html(meeting.agenda),
        "address": meeting.location or meeting.get_mode_display(),
        "type": "meeting",
        "start_date": _datetime(meeting.starts_at),
        "end_date": _datetime(meeting.ends_at),
        "contact_details": {"web": base_url + reverse("neighbourhoods:meeting", args=[meeting.pk])},
    }


def events_out(area: Area, base_url: str) -> list[dict[str, Any]]:
    """``/api/<force>/<neighbourhood>/events``: the upcoming public meetings of the area and
    the areas above it, soonest first. Whoever asks, invitation-only meetings are left out."""
    meetings = upcoming_meetings(area, None)[:MAX_EVENTS]
    return [event_out(m, base_url) for m in meetings]


def priority_out(priority: Priority) -> dict[str, Any]:
    """A priority as police.uk publishes one: ``issue`` (the title, then the description),
    ``issue-date``, and the latest action taken with its date (``null`` before any)."""
    actions = list(priority.actions.all())
    latest = actions[-1] if actions else None
    issue = "\n\n".join(t for t in (priority.title.strip(), priority.description.strip()) if t)
    return {
        "issue": _html(issue),
        "issue-date": _date(priority.set_on),
        "action": _html(latest.description) if latest else None,
        "action-date": _date(latest.done_on) if latest else None,
    }


def priorities_out(area: Area) -> list[dict[str, Any]]:
    """``/api/<force>/<neighbourhood>/priorities``: the current priorities of the area and
    the areas above it, latest first."""
    found = current_priorities(area).prefetch_related("actions")[:MAX_PRIORITIES]
    return [priority_out(p) for p in found]
