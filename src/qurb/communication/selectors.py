"""Reads for public communication: what the public sees (published events and articles) and
the figures (attendance per day, hour and kind of visitor; school reach)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from qurb.accounts.selectors import descendants_of
from qurb.areas.models import Area
from qurb.communication.models import (
    Article,
    ArticleStatus,
    CheckIn,
    Event,
    SchoolSession,
    Topic,
    VisitorKind,
)


def public_events() -> QuerySet[Event]:
    return Event.objects.filter(is_published=True).select_related("area")


def upcoming_events(area: Area | None = None) -> QuerySet[Event]:
    qs = public_events().filter(ends_on__gte=timezone.localdate()).order_by("starts_on")
    if area is not None:
        qs = qs.filter(area_id__in=descendants_of({area.pk}))
    return qs


def public_articles(now: Any = None) -> QuerySet[Article]:
    """Published articles, and scheduled ones whose time has come (no job needed)."""
    moment = now or timezone.now()
    return Article.objects.filter(
        Q(status=ArticleStatus.PUBLISHED)
        | Q(status=ArticleStatus.SCHEDULED, publish_at__lte=moment)
    ).order_by("-publish_at", "-pk")


@dataclass
class Attendance:
    total: int
    by_day: list[tuple[date, int]]
    by_hour: dict[date, list[int]]  # 24 counts per day
    by_kind: list[tuple[str, int]]
    tickets: int
    today: int
    last_hour: int
    kinds_by_day: dict[date, dict[str, int]] = field(default_factory=dict)


def attendance(event: Event, now: Any = None) -> Attendance:
    moment = now or timezone.now()
    rows = list(CheckIn.objects.filter(event=event).values_list("day", "at", "visitor_kind"))
    days: dict[date, int] = {}
    hours: dict[date, list[int]] = {}
    kinds: dict[str, int] = {}
    kinds_by_day: dict[date, dict[str, int]] = {}
    last_hour = 0
    for day, at, kind in rows:
        days[day] = days.get(day, 0) + 1
        hours.setdefault(day, [0] * 24)[timezone.localtime(at).hour] += 1
        kinds[kind] = kinds.get(kind, 0) + 1
        per = kinds_by_day.setdefault(day, {})
        per[kind] = per.get(kind, 0) + 1
        if (moment - at).total_seconds() <= 3600:
            last_hour += 1
    labels = dict(VisitorKind.choices)
    return Attendance(
        total=len(rows),
        by_day=sorted(days.items()),
        by_hour=hours,
        by_kind=[(str(labels[k]), n) for k, n in sorted(kinds.items(), key=lambda kv: -kv[1])],
        tickets=event.tickets.count(),
        today=days.get(timezone.localtime(moment).date(), 0),
        last_hour=last_hour,
        kinds_by_day=kinds_by_day,
    )


@dataclass(frozen=True)
class Reach:
    area: str
    topic: str
    sessions: int
    pupils: int


def school_reach(
    area: Area, *, since: date | None = None, until: date | None = None
) -> list[Reach]:
    """Sessions held and pupils reached, per district (the school's area) and topic."""
    qs = SchoolSession.objects.filter(area_id__in=descendants_of({area.pk}), pupils__isnull=False)
    if since:
        qs = qs.filter(held_on__gte=since)
    if until:
        qs = qs.filter(held_on__lte=until)
    labels = dict(Topic.choices)
    rows = (
        qs.values("area__name_ar", "area__name_fr", "topic")
        .annotate(sessions=Count("pk"), pupils=Sum("pupils"))
        .order_by("area__name_ar", "topic")
    )
    return [
        Reach(
            r["area__name_fr"] or r["area__name_ar"],
            str(labels[r["topic"]]),
            int(r["sessions"]),
            int(r["pupils"] or 0),
        )
        for r in rows
    ]
