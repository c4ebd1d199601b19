"""Periods of days in the local time zone, and the filter that reads the daily counts kept
beside the reports (``reports.CellDay`` and ``reports.HourDay``) over one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q
from django.utils import timezone

from qurb.reports.rollup import local_zone

HOURS_IN_WEEK = 168


@dataclass(frozen=True)
class Period:
    since: date
    until: date  # inclusive

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1


def today() -> date:
    return timezone.localtime(timezone.now(), local_zone()).date()


def last_days(days: int, *, ending: date | None = None) -> Period:
    end = ending or today()
    return Period(end - timedelta(days=days - 1), end)


def _filters(district_ids: Iterable[int], period: Period, category: str) -> Q:
    q = Q(district_id__in=list(district_ids), day__gte=period.since, day__lte=period.until)
    return q & Q(category=category) if category else q
