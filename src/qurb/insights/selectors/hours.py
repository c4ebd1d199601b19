"""The hour-of-week profile: reports per hour of the week (168, Monday 0h first), for
districts from the daily counts and for a neighbourhood from the reports."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from django.db.models import Count, Sum

from qurb.accounts.selectors import descendants_of
from qurb.areas.models import Area
from qurb.insights.selectors.periods import HOURS_IN_WEEK, Period, _filters
from qurb.reports.models import HourDay
from qurb.reports.selectors import counted_reports


def hour_counts(district_ids: Iterable[int], period: Period, category: str = "") -> np.ndarray:
    hours = np.zeros(HOURS_IN_WEEK, dtype=np.int64)
    rows = (
        HourDay.objects.filter(_filters(district_ids, period, category))
        .values("hour_of_week")
        .annotate(total=Sum("n"))
        .values_list("hour_of_week", "total")
    )
    for hour, total in rows:
        hours[hour] = total
    return hours


def area_hours(area: Area, period: Period, category: str = "") -> np.ndarray:
    """Hour-of-week counts for one neighbourhood (read from the reports)."""
    qs = counted_reports().filter(
        area_id__in=descendants_of({area.pk}),
        seen_on__gte=period.since,
        seen_on__lte=period.until,
        hour_of_week__isnull=False,
    )
    if category:
        qs = qs.filter(category=category)
    hours = np.zeros(HOURS_IN_WEEK, dtype=np.int64)
    for hour, n in (
        qs.values("hour_of_week").annotate(n=Count("*")).values_list("hour_of_week", "n")
    ):
        hours[hour] = n
    return hours
