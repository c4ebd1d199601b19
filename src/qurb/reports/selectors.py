"""Reads about reports, with the scope check built into the fetch (404 outside it)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from qurb.accounts.access import Actor, Capability, grant, has, roles_with
from qurb.accounts.models import RoleAssignment
from qurb.accounts.selectors import areas_for, grant_area_names
from qurb.areas.models import AreaType
from qurb.areas.selectors import area_and_ancestors, area_points
from qurb.core.errors import NotFound
from qurb.language.similarity import jaccard, shingles, similar_groups
from qurb.reports.models import (
    OPEN_STATUSES,
    TRANSITIONS,
    ApiKey,
    Photo,
    Report,
    ResponseTemplate,
    Status,
    StatusChange,
)
from qurb.reports.policy import (
    access_report,
    public_day,
    public_day_end,
    publicly_listed,
    reports_for,
)
from qurb.reports.rollup import NOT_COUNTED_STATUSES, cell_range


def reports_visible_to(user: Actor) -> QuerySet[Report]:
    return reports_for(user, Capability.REPORT_READ).select_related(
        "district", "area", "assigned_to"
    )


def counted_reports() -> QuerySet[Report]:
    """The reports the analyses count: all but those merged into another (counted there)."""
    return Report.objects.exclude(status__in=NOT_COUNTED_STATUSES)


def can_see_triage(user: Actor) -> bool:
    return has(user, Capability.REPORT_READ)


def report_for_staff(user: Actor, report_id: int) -> Report:
    return access_report(user, report_id, Capability.REPORT_READ)


def photo_for_staff(user: Actor, report_id: int, photo_id: int) -> Photo:
    report = report_for_staff(user, report_id)
    photo = Photo.objects.filter(report=report, pk=photo_id).first()
    if photo is None:
        raise NotFound
    return photo


@dataclass(frozen=True)
class QueueFilters:
    category: str = ""
    status: str = "open"
    flag: str = ""
    area_id: int | None = None
    since: date | None = None
    until: date | None = None
    assigned: str = ""  # "me", "none" or ""
    cell: int | None = None  # an H3 hexagon (any resolution): the reports inside it


_FLAG_FIELDS = {
    "weapon": "flag_weapon",
    "minor_involved": "flag_minor",
    "near_school": "flag_near_school",
    "in_progress": "flag_in_progress",
}


# Urgent: a weapon, or happening now (the two heaviest weights of the queue's urgency).
URGENT = Q(flag_weapon=True) | Q(flag_in_progress=True)


@dataclass(frozen=True)
class ReportWork:
    """What waits for a user who triages: open reports in the grant of ``REPORT_TRIAGE``."""

    new: int  # received, nobody has acknowledged them yet
    urgent: int  # open, with a weapon or happening now
    mine: int  # open and assigned to the user
    areas: list[str]  # where the grant lies (empty: the whole force)
    everywhere: bool


def report_work(user: Actor) -> ReportWork | None:
    """Counts for the staff home, over the areas where ``user`` triages (None: nowhere)."""
    g = grant(user, Capability.REPORT_TRIAGE)
    if not g:
        return None
    counts = (
        reports_for(user, Capability.REPORT_TRIAGE)
        .filter(is_synthetic=False, status__in=OPEN_STATUSES)
        .aggregate(
            new=Count("pk", filter=Q(status=Status.RECEIVED)),
            urgent=Count("pk", filter=URGENT),
            mine=Count("pk", filter=Q(assigned_to_id=getattr(user, "pk", None))),
        )
    )
    return ReportWork(
        new=counts["new"],
        urgent=counts["urgent"],
        mine=counts["mine"],
        areas=grant_area_names(g),
        everywhere=g.everywhere,
    )


def triage_queue(user: Actor, filters: QueueFilters) -> QuerySet[Report]:
    """The staff queue: urgent first, then oldest waiting first.

    Urgency weighs a weapon and "happening now" (4 each), a minor (2) and a school nearby (1).
    """
    # Synthetic reports (scale tests, the demo's insights) feed the analyses, not the queue.
    qs = reports_visible_to(user).filter(is_synthetic=False)
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif filters.status and filters.status != "all":
        qs = qs.filter(status=filters.status)
    if filters.flag in _FLAG_FIELDS:
        qs = qs.filter(**{_FLAG_FIELDS[filters.flag]: True})
    elif filters.flag == "urgent":
        qs = qs.filter(URGENT)
    if filters.area_id:
        qs = qs.filter(
            Q(area_id=filters.area_id)
            | Q(district_id=filters.area_id)
            | Q(area__parent_id=filters.area_id)
        )
    if filters.cell is not None:
        low, high = cell_range(filters.cell)
        qs = qs.filter(h3_cell__gte=low, h3_cell__lte=high)
    tz = timezone.get_current_timezone()
    if filters.since:
        qs = qs.filter(created_at__gte=datetime.combine(filters.since, time.min, tzinfo=tz))
    if filters.until:
        end = datetime.combine(filters.until + timedelta(days=1), time.min, tzinfo=tz)
        qs = qs.filter(created_at__lt=end)
    if filters.assigned == "me":
        qs = qs.filter(assigned_to_id=getattr(user, "pk", None))
    elif filters.assigned == "none":
        qs = qs.filter(assigned_to__isnull=True)
    urgency = (
        Case(When(flag_weapon=True, then=Value(4)), default=Value(0), output_field=IntegerField())
        + Case(When(flag_minor=True, then=Value(2)), default=Value(0), output_field=IntegerField())
        + Case(
            When(flag_in_progress=True, then=Value(4)),
            default=Value(0),
            output_field=IntegerField(),
        )
    )
    return qs.annotate(urgency=urgency).order_by("-urgency", "created_at", "pk")


def queue_area_choices(user: Actor, *, limit: int = 500) -> list[tuple[int, str]]:
    """Areas the user may filter the queue by: report districts and the areas inside them."""
    district_type = AreaType.objects.filter(code=settings.REPORT_AREA_TYPE).first()
    qs = areas_for(user, Capability.REPORT_READ)
    if district_type is not None:
        qs = qs.filter(type__level__gte=district_type.level)
    return [(a.pk, f"{a.name} ({a.code})") for a in qs.order_by("code")[:limit]]


def status_history(report: Report) -> list[StatusChange]:
    """Every change with its staff note and who made it (staff only)."""
    return list(StatusChange.objects.filter(report=report).select_related("actor"))


def next_statuses(report: Report) -> list[tuple[str, Any]]:
    allowed = TRANSITIONS.get(report.status, frozenset())
    return [(value, label) for value, label in Status.choices if value in allowed]


def response_templates(report: Report) -> list[ResponseTemplate]:
    qs = ResponseTemplate.objects.filter(Q(category=report.category) | Q(category=""))
    return list(qs.order_by("status", "-category", "pk"))


def response_template_stored(template_id: int) -> ResponseTemplate:
    """A response template as stored (before an edit); NotFound when there is none."""
    found = ResponseTemplate.objects.filter(pk=template_id).first()
    if found is None:
        raise NotFound
    return found


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def duplicate_candidates(
    report: Report, *, reader: Actor, limit: int = 5
) -> list[tuple[Report, int, float]]:
    """Reports of the same district that ``reader`` may read, close in place and time, that
    say the same thing.

    A candidate has the same category or a similar text (shingles of the consonant skeleton,
    so Arabic-script and Latin-letter Darija meet); most similar first, then nearest.
    Returns (report, metres, text similarity).
    """
    metres = settings.REPORT_DUPLICATE_METRES
    days = settings.REPORT_DUPLICATE_DAYS
    dlat = metres / 111_320
    dlon = metres / (111_320 * max(0.1, math.cos(math.radians(report.lat))))
    qs = (
        reports_for(reader, Capability.REPORT_READ)
        .filter(
            district_id=report.district_id,
            duplicate_of__isnull=True,
            lat__range=(report.lat - dlat, report.lat + dlat),
            lon__range=(report.lon - dlon, report.lon + dlon),
            created_at__range=(
                report.created_at - timedelta(days=days),
                report.created_at + timedelta(days=days),
            ),
        )
        .exclude(pk=report.pk)
        .exclude(status=Status.DUPLICATE)
    )
    mine = shingles(report.description)
    found: list[tuple[Report, int, float]] = []
    for other in qs[:500]:
        distance = round(_metres(report.lat, report.lon, other.lat, other.lon))
        if distance > metres:
            continue
        # Two reports without a text do not say the same thing: only their category may.
        said = report.description.strip() and other.description.strip()
        text = round(jaccard(mine, shingles(other.description)), 2) if said else 0.0
        if other.category == report.category or text >= settings.REPORT_DUPLICATE_TEXT:
            found.append((other, distance, text))
    found.sort(key=lambda row: (-row[2], row[1], row[0].pk))
    return found[:limit]


def duplicate_groups(reports: list[Report]) -> dict[int, int]:
    """For reports listed together: report id → its group number, for near-duplicate texts
    within the same district (so the queue can show what to merge)."""
    by_district: dict[int, list[Report]] = {}
    for r in reports:
        if r.description.strip():  # without a text there is nothing to compare
            by_district.setdefault(r.district_id, []).append(r)
    out: dict[int, int] = {}
    number = 0
    for rows in by_district.values():
        if len(rows) < 2:
            continue
        for group in similar_groups(
            [(r.pk, r.description) for r in rows], threshold=settings.REPORT_DUPLICATE_TEXT
        ):
            number += 1
            for pk in group:
                out[int(pk)] = number  # type: ignore[call-overload]
    return out


def latest_public_notes(reports: Iterable[Report]) -> dict[int, str]:
    """Each report's latest public note (``status_notes``), in one query; never staff notes."""
    ids = [r.pk for r in reports]
    if not ids:
        return {}
    rows = (
        StatusChange.objects.filter(report_id__in=ids)
        .exclude(Q(public_note="") | Q(public_note__isnull=True))
        .order_by("created_at", "pk")
        .values_list("report_id", "public_note")
    )
    return dict(rows)  # later rows (newer notes) win


def report_by_token(token: str) -> Report | None:
    if not token or len(token) > 32:
        return None
    return Report.objects.filter(token=token).first()


def report_by_tracking_code(code: str) -> Report | None:
    if not code:
        return None
    return Report.objects.select_related("district", "area").filter(tracking_code=code).first()


def report_by_public_id(reference: str) -> Report | None:
    """A report by its public reference (``R-…``), whoever asks; the caller decides what of it
    to show (``policy.is_publicly_listed``)."""
    if not reference:
        return None
    return Report.objects.select_related("district", "area").filter(public_id=reference).first()


def public_requests(
    *,
    public_ids: Iterable[str] = (),
    tracking_codes: Iterable[str] = (),
    categories: Iterable[str] = (),
    start: datetime | None = None,
    end: datetime | None = None,
    is_open: bool | None = None,
    limit: int = 1000,
) -> list[Report]:
    """What Open311 lists to anyone (``GET requests`` without a key), newest day first.

    The reports ``policy.publicly_listed`` allows, by public reference when any is given (the
    other filters then do not apply), otherwise of the categories, received in the span
    widened to whole local days (``policy.public_day_end``), open or closed (None: both). A
    tracking code finds its report whatever it is: whoever holds it reads their own report.
    Within a day the order is the public references' (random), not the order of arrival.
    """
    qs = Report.objects.select_related("district", "area")
    ids, codes = list(public_ids), list(tracking_codes)
    if ids or codes:
        qs = qs.filter((publicly_listed() & Q(public_id__in=ids)) | Q(tracking_code__in=codes))
    else:
        qs = qs.filter(publicly_listed())
        chosen = list(categories)
        if chosen:
            qs = qs.filter(category__in=chosen)
        if start is not None:
            qs = qs.filter(created_at__gte=public_day(start))
        if end is not None:
            qs = qs.filter(created_at__lte=public_day_end(end))
        if is_open is True:
            qs = qs.filter(status__in=OPEN_STATUSES)
        elif is_open is False:
            qs = qs.exclude(status__in=OPEN_STATUSES)
    day = TruncDate("created_at", tzinfo=timezone.get_current_timezone())
    return list(qs.annotate(day=day).order_by("-day", "public_id", "pk")[:limit])


@dataclass(frozen=True)
class PublicPlace:
    """Where a report is, as the public may know it: its neighbourhood."""

    name: str
    lat: float | None
    lon: float | None


def public_places(reports: Iterable[Report]) -> dict[int, PublicPlace]:
    """Each report's neighbourhood (its smallest area): the name in the active language and a
    point inside its outline (the district's when the neighbourhood has none in the active
    generation; none at all when neither has). Never the report's own point."""
    rows = list(reports)
    points = area_points({r.area_id for r in rows} | {r.district_id for r in rows})
    places = {}
    for r in rows:
        point = points.get(r.area_id) or points.get(r.district_id)
        places[r.pk] = PublicPlace(
            name=r.area.name, lat=point[0] if point else None, lon=point[1] if point else None
        )
    return places


def public_history(report: Report) -> list[StatusChange]:
    """What the reporter sees: each status and its public note, never the staff notes."""
    return list(report.changes.all())


def reports_of_key(api_key: ApiKey) -> QuerySet[Report]:
    return Report.objects.filter(api_key=api_key).select_related("district", "area")


def officers_for_assignment(report: Report) -> list[Any]:
    ids = {a.pk for a in area_and_ancestors(report.area)}
    rows = RoleAssignment.objects.filter(
        area_id__in=ids,
        role__in=roles_with(Capability.REPORT_TRIAGE),
        user__is_active=True,
    ).select_related("user")
    seen: dict[int, Any] = {}
    for row in rows:
        seen.setdefault(row.user_id, row.user)
    return sorted(seen.values(), key=str)


# --- what the report pages and the API read ------------------------------------------------


def report_notes(report: Report) -> list[Any]:
    """The staff notes of a report the reader may see (report_for_staff first)."""
    return list(report.notes.select_related("author"))


def report_photos(report: Report) -> list[Photo]:
    return list(report.photos.all())


def merged_into(user: Actor, report: Report) -> QuerySet[Report]:
    """The reports merged into ``report`` that ``user`` may read."""
    return reports_visible_to(user).filter(duplicate_of=report)


def response_template(report: Report, template_id: int) -> ResponseTemplate | None:
    """One of the templates offered for ``report`` (response_templates), or None."""
    return next((t for t in response_templates(report) if t.pk == template_id), None)


def idempotency_key_used(key: str) -> bool:
    return Report.objects.filter(idempotency_key=key).exists()


def partner_reports(
    api_key: ApiKey, *, status: str = "", offset: int = 0, limit: int = 50
) -> list[Report]:
    """The reports a partner key submitted, newest first (one status, when given)."""
    qs = reports_of_key(api_key).order_by("-created_at", "-pk")
    if status:
        qs = qs.filter(status=status)
    return list(qs[offset : offset + limit])


def partner_requests(
    api_key: ApiKey,
    *,
    tracking_codes: Iterable[str] = (),
    public_ids: Iterable[str] = (),
    categories: Iterable[str] = (),
    start: datetime | None = None,
    end: datetime | None = None,
    is_open: bool | None = None,
    limit: int = 1000,
) -> list[Report]:
    """A partner key's own reports (Open311 ``GET requests``), newest first: those with the
    tracking codes or public references when given (the other filters then do not apply),
    otherwise those of the categories, created between ``start`` and ``end``, open or closed
    (None: both)."""
    qs = reports_of_key(api_key)
    codes, ids = list(tracking_codes), list(public_ids)
    if codes or ids:
        qs = qs.filter(Q(tracking_code__in=codes) | Q(public_id__in=ids))
    else:
        chosen = list(categories)
        if chosen:
            qs = qs.filter(category__in=chosen)
        if start is not None:
            qs = qs.filter(created_at__gte=start)
        if end is not None:
            qs = qs.filter(created_at__lte=end)
        if is_open is True:
            qs = qs.filter(status__in=OPEN_STATUSES)
        elif is_open is False:
            qs = qs.exclude(status__in=OPEN_STATUSES)
    return list(qs.order_by("-created_at", "-pk")[:limit])
