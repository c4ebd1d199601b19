"""The yearly district report on the co-production of security, generated from the data:
concerns by category and month, priorities and their assessed results, meetings and their
ratings, events and attendance, school reach, and the trust index. Public: every count below
QURB_PUBLIC_MIN_COUNT is withheld, as on the public figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.db.models.functions import ExtractYear, TruncMonth
from django.utils import timezone

from qurb.accounts.selectors import descendants_of
from qurb.areas.models import Area
from qurb.areas.selectors import areas_in_active_generation, leaf_type_level
from qurb.communication.models import Event
from qurb.communication.selectors import Reach, attendance, school_reach
from qurb.core import charts
from qurb.engagement.models import Priority
from qurb.engagement.policy import meetings_published
from qurb.engagement.selectors import (
    Performance,
    TrustPoint,
    district_performance,
    priority_assessment,
    trust_index,
)
from qurb.reports.models import Category
from qurb.reports.selectors import counted_reports


@dataclass
class CategoryYear:
    label: str
    months: list[int | None]  # 12 values; None: withheld (fewer than the minimum)
    chart: dict[str, Any]


@dataclass
class EventYear:
    event: Event
    entries: int
    by_kind: list[tuple[str, int]]


@dataclass
class YearlyReport:
    area: Area
    year: int
    concerns: list[CategoryYear]
    priorities: list[tuple[Priority, Any]]
    meetings_held: int
    performance: Performance
    events: list[EventYear]
    reach: list[Reach]
    trust: list[TrustPoint]

    @property
    def pupils(self) -> int:
        return sum(r.pupils for r in self.reach)


def yearly_report(area: Area, year: int) -> YearlyReport:
    first, last = date(year, 1, 1), date(year, 12, 31)
    ids = descendants_of({area.pk})
    least = settings.PUBLIC_MIN_COUNT
    rows = (
        counted_reports()
        .filter(area_id__in=ids, seen_on__gte=first, seen_on__lte=last)
        .annotate(month=TruncMonth("seen_on"))
        .values("category", "month")
        .annotate(n=Count("pk"))
        .values_list("category", "month", "n")
    )
    table: dict[str, list[int]] = {}
    for category, month, n in rows:
        table.setdefault(category, [0] * 12)[month.month - 1] += int(n)
    concerns = []
    for category in Category:
        if category.value not in table:
            continue
        months: list[int | None] = [
            v if v >= least or v == 0 else None for v in table[category.value]
        ]
        concerns.append(
            CategoryYear(str(category.label), months, charts.bars(months, width=180, height=36))
        )
    priorities = [
        (p, priority_assessment(p, today=min(last, timezone.localdate())))
        for p in Priority.objects.filter(area_id__in=ids, set_on__lte=last)
        .exclude(status="closed", set_on__lt=first)
        .prefetch_related("actions")
        .order_by("set_on")
    ]
    # Public meetings only, as in district_performance: the report is published.
    held = (
        meetings_published()
        .filter(area_id__in=ids, held_at__date__gte=first, held_at__date__lte=last)
        .count()
    )
    events = []
    for event in Event.objects.filter(
        area_id__in=ids, starts_on__lte=last, ends_on__gte=first, is_published=True
    ).order_by("starts_on"):
        figures = attendance(event)
        events.append(EventYear(event, figures.total, figures.by_kind))
    return YearlyReport(
        area=area,
        year=year,
        concerns=concerns,
        priorities=priorities,
        meetings_held=held,
        performance=district_performance(area, since=first, until=last),
        events=events,
        reach=school_reach(area, since=first, until=last),
        trust=[t for t in trust_index(area) if t.month.year == year],
    )


def yearly_reports_published(today: date | None = None) -> list[tuple[Area, int]]:
    """The yearly reports there is something to publish in: each area above the
    neighbourhoods (a prefecture, a district) of the active generation, for each year up to
    this one in which a counted report was made in it or below it. Outermost areas first,
    then by code and year (for the sitemap)."""
    this_year = (today or timezone.localdate()).year
    leaf = leaf_type_level()
    areas = list(areas_in_active_generation())
    parents = {a.pk: a.parent_id for a in areas}
    above = {a.pk: a for a in areas if leaf is not None and a.type.level < leaf}
    years: set[tuple[int, int]] = set()
    rows = (
        counted_reports()
        .annotate(year=ExtractYear("seen_on"))
        .values_list("area_id", "year")
        .distinct()
    )
    for area_id, year in rows:
        if year is None or not 2000 <= year <= this_year:
            continue
        current: int | None = area_id
        for _ in range(10):  # the hierarchy is a few levels deep
            if current is None or current not in parents:
                break
            if current in above:
                years.add((current, year))
            current = parents[current]
    return [
        (above[pk], year)
        for pk, year in sorted(
            years, key=lambda k: (above[k[0]].type.level, above[k[0]].code, k[1])
        )
    ]
