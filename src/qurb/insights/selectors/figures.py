"""Public figures: reports per neighbourhood, category and month, small counts withheld; and
the count of synthetic (demo) reports."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Count
from django.db.models.functions import TruncMonth

from qurb.areas.models import Area
from qurb.insights.selectors.periods import today
from qurb.reports.models import Category, Report
from qurb.reports.selectors import counted_reports


@dataclass(frozen=True)
class PublicCount:
    area: Area
    month: date
    category: str
    count: int | None  # None: fewer than PUBLIC_MIN_COUNT, not published

    @property
    def category_label(self) -> str:
        return str(Category(self.category).label)


def public_counts(area_ids: Iterable[int] | None = None, months: int = 12) -> list[PublicCount]:
    """Reports per neighbourhood, category and month; small counts withheld.

    Only cells are published, never totals next to them, so that a withheld count cannot be
    recovered by subtraction.
    """
    end = today()
    first = (end.replace(day=1) - timedelta(days=31 * (months - 1))).replace(day=1)
    qs = counted_reports().filter(seen_on__gte=first, seen_on__lte=end)
    if area_ids is not None:
        qs = qs.filter(area_id__in=list(area_ids))
    rows = (
        qs.annotate(month=TruncMonth("seen_on"))
        .values("area_id", "month", "category")
        .annotate(n=Count("*"))
        .values_list("area_id", "month", "category", "n")
    )
    data = list(rows)
    areas = Area.objects.select_related("type", "parent").in_bulk({r[0] for r in data})
    least = settings.PUBLIC_MIN_COUNT
    out = [
        PublicCount(areas[a], m if isinstance(m, date) else m.date(), c, n if n >= least else None)
        for a, m, c, n in data
    ]
    out.sort(key=lambda p: (p.area.name, p.month, p.category))
    return out


def synthetic_share() -> int:
    return Report.objects.filter(is_synthetic=True).count()
