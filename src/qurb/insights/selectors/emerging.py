"""Emerging problems: categories and neighbourhoods whose recent weeks exceed the weeks
before them (the trends)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from django.conf import settings
from django.db.models import Case, IntegerField, Sum, When

from qurb.areas.models import Area
from qurb.insights import stats
from qurb.insights.selectors.periods import Period, _filters, last_days, today
from qurb.reports.models import Category, CellDay
from qurb.reports.selectors import counted_reports


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
        counted_reports()
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
