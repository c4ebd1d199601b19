"""What "my neighbourhood" shows, composed from geography, accounts and engagement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from qurb.accounts.models import OfficerProfile
from qurb.accounts.selectors import descendants_of, officers_serving
from qurb.areas.models import Area, Place, PlaceKind
from qurb.areas.selectors import area_ancestors, area_and_ancestors, areas_at, places_in
from qurb.core.links import uid_domain
from qurb.engagement.models import Meeting, Priority, Survey
from qurb.engagement.selectors import (
    Performance,
    TrustPoint,
    agenda_draft,
    current_priorities,
    district_performance,
    open_surveys,
    priority_assessment,
    recent_held_meetings,
    trust_index,
    upcoming_meetings,
)
from qurb.insights import hexes
from qurb.insights.selectors import HexStat, district_picture, last_days
from qurb.reports.models import Report
from qurb.reports.rollup import cell_range

if TYPE_CHECKING:
    from qurb.accounts.access import Actor


@dataclass
class NeighbourhoodSummary:
    area: Area
    ancestors: list[Area]
    officers: list[OfficerProfile]
    meetings: list[Meeting]
    priorities: list[Priority]
    schools: list[Place]
    performance: Performance | None = None
    surveys: list[Survey] | None = None
    trust: list[TrustPoint] | None = None
    # The last meetings held, each with its closing report (minutes, answers, actions).
    held_meetings: list[Meeting] | None = None

    @property
    def district(self) -> Area | None:
        """The area directly above the neighbourhood (a district in the usual hierarchy)."""
        return self.ancestors[-1] if self.ancestors else None


def neighbourhood_meetings(area: Area, user: Actor = None) -> list[Meeting]:
    """The next meetings ``user`` may see (engagement.policy); without a user, public ones."""
    return list(upcoming_meetings(area, user)[:10])


def neighbourhood_priorities(area: Area) -> list[Priority]:
    """Current priorities with their actions and the assessment ("you said, we did")."""
    found = list(current_priorities(area).prefetch_related("actions")[:10])
    for priority in found:
        priority.assessment = priority_assessment(priority)  # type: ignore[attr-defined]
    return found


def neighbourhood_summary(area: Area, user: Actor = None) -> NeighbourhoodSummary:
    return NeighbourhoodSummary(
        area=area,
        ancestors=area_ancestors(area),
        officers=officers_serving(area),
        meetings=neighbourhood_meetings(area, user),
        priorities=neighbourhood_priorities(area),
        schools=list(places_in(area, PlaceKind.SCHOOL)[:50]),
        performance=district_performance(area),
        surveys=list(open_surveys(area)),
        trust=trust_index(area),
        held_meetings=recent_held_meetings(area),
    )


@dataclass(frozen=True)
class AreaHotspot:
    stat: HexStat
    place: str  # the innermost area at the hexagon's centre


def area_hotspots(area: Area, *, days: int = 90, per_district: int = 20) -> list[AreaHotspot]:
    """The hotspots (Gi*, insights) over the last ``days`` of the district the area lies in
    (keeping those holding reports of the area), or of the districts it contains."""
    within = [d for d in area_and_ancestors(area) if d.type.code == settings.REPORT_AREA_TYPE]
    districts = within or list(
        Area.objects.filter(parent=area, type__code=settings.REPORT_AREA_TYPE)
    )
    below_district = bool(within) and within[-1].pk != area.pk
    area_ids = descendants_of({area.pk})
    found = []
    for district in districts:
        kept = 0
        for stat in district_picture(district, last_days(days)).hotspots:
            if kept == per_district:
                break
            if below_district:
                low, high = cell_range(stat.cell)
                if not Report.objects.filter(
                    area_id__in=area_ids, h3_cell__gte=low, h3_cell__lte=high
                ).exists():
                    continue
            lat, lon = hexes.centre(stat.cell)
            at = areas_at(lat=lat, lon=lon)
            found.append(AreaHotspot(stat, at[-1].name if at else district.name))
            kept += 1
    return found


def meeting_agenda_draft(area: Area) -> str:
    """The agenda drafted for a meeting of the area (engagement's draft), with the area's
    hotspots of the last 90 days (Gi*, insights) as a section after the top concerns."""
    lines = [
        str(
            _("%(place)s: %(count)s reports in one hexagon (%(cell)s), a hotspot")
            % {"place": spot.place, "count": spot.stat.count, "cell": spot.stat.h3}
        )
        for spot in area_hotspots(area, per_district=3)
    ]
    return agenda_draft(area, hotspots=lines)


def innermost_area_at(*, lat: float, lon: float) -> Area | None:
    found = areas_at(lat=lat, lon=lon)
    return found[-1] if found else None


def officer_public(profile: OfficerProfile) -> dict[str, Any]:
    """Only what residents may see: no username, no personal contact."""
    return {
        "name": str(profile.user),
        "rank": profile.get_rank_display(),
        "contact_details": {
            k: v
            for k, v in {"telephone": profile.public_phone, "email": profile.public_email}.items()
            if v
        },
        "bio": profile.public_note,
    }


def meeting_public(meeting: Meeting) -> dict[str, Any]:
    return {
        "id": meeting.pk,
        "title": meeting.title,
        "start_date": meeting.starts_at.isoformat(),
        "end_date": meeting.ends_at.isoformat(),
        "address": meeting.location,
        "type": "meeting",
        **{f"title_{code}": text for code, text in meeting.titles().items()},
    }


def priority_public(priority: Priority) -> dict[str, Any]:
    """A priority as data.police.uk publishes one (issue, action and their dates), with the
    actions taken and the before/after assessment."""
    actions = list(priority.actions.all())
    latest = actions[-1] if actions else None
    assessment = getattr(priority, "assessment", None) or priority_assessment(priority)
    return {
        "id": priority.pk,
        "issue": priority.title,
        **{f"issue_{code}": text for code, text in priority.titles().items()},
        "description": priority.description,
        "issue_date": priority.set_on.isoformat(),
        "status": priority.status,
        "category": priority.category or None,
        "action": latest.description if latest else None,
        "action_date": latest.done_on.isoformat() if latest else None,
        "progress": latest.progress if latest else None,
        "actions": [
            {"action": a.description, "action_date": a.done_on.isoformat(), "progress": a.progress}
            for a in actions
        ],
        "assessment": (
            {
                "before_from": assessment.before_since.isoformat(),
                "after_from": assessment.after_since.isoformat(),
                "after_until": assessment.after_until.isoformat(),
                "days": assessment.days,
                "reports_before": assessment.before,
                "reports_after": assessment.after,
                "change_percent": assessment.change_percent,
                "p_value": round(assessment.p, 6),
                "significant": assessment.significant,
                "hotspots": (
                    {
                        "reports_before": assessment.hotspot_before,
                        "reports_after": assessment.hotspot_after,
                        "p_value": round(assessment.hotspot_p or 1.0, 6),
                        "significant": assessment.hotspot_significant,
                    }
                    if assessment.hotspot_before is not None
                    else None
                ),
                "residents_rating": (
                    {
                        "n": assessment.rating.n,
                        "mean": round(assessment.rating.mean, 2),
                        "ci95": (
                            [round(assessment.rating.low, 2), round(assessment.rating.high, 2)]
                            if assessment.rating.low is not None
                            and assessment.rating.high is not None
                            else None
                        ),
                    }
                    if assessment.rating and assessment.rating.n and assessment.rating.mean
                    else None
                ),
            }
            if assessment
            else None
        ),
        "evidence": {
            "reports": priority.evidence_reports.count(),
            "hotspot_cells": list(priority.hotspot_cells),
        },
    }


def meetings_icalendar(
    area: Area, meetings: list[Meeting], host: str, *, name: str | None = None
) -> bytes:
    """The meetings as iCalendar. A feed is copied into calendars and shared, so it never
    carries the online link: an online meeting points to its page, where registered
    participants find the link."""
    cal = Calendar()
    cal.add("prodid", "-//Qurb//Neighbourhood meetings//AR")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name or area.name)
    for meeting in meetings:
        event = Event()
        event.add("uid", f"meeting-{meeting.pk}@{uid_domain()}")
        event.add("dtstamp", datetime.now(UTC))
        event.add("summary", meeting.title)
        # In UTC ("Z"): no TZID, so no VTIMEZONE needed (RFC 5545 §3.3.5).
        event.add("dtstart", meeting.starts_at.astimezone(UTC))
        event.add("dtend", meeting.ends_at.astimezone(UTC))
        event.add("location", meeting.location or meeting.get_mode_display())
        event.add("url", f"https://{host}/meetings/{meeting.pk}/")
        if meeting.agenda:
            event.add("description", meeting.agenda)
        cal.add_component(event)
    return bytes(cal.to_ical())
