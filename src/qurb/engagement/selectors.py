from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from scipy.stats import binomtest

from qurb.accounts.selectors import descendants_of
from qurb.areas.models import Area
from qurb.areas.selectors import area_and_ancestors
from qurb.engagement.models import Meeting, Priority, PriorityAction, PriorityStatus
from qurb.reports.models import Report
from qurb.reports.rollup import NOT_COUNTED_STATUSES


def _area_and_ancestor_ids(area: Area) -> list[int]:
    return [a.pk for a in area_and_ancestors(area)]


def upcoming_meetings(area: Area) -> QuerySet[Meeting]:
    """Public meetings for the area or the district above it, soonest first."""
    return Meeting.objects.filter(
        area_id__in=_area_and_ancestor_ids(area),
        is_public=True,
        cancelled=False,
        ends_at__gte=timezone.now(),
    ).order_by("starts_at")


def current_priorities(area: Area) -> QuerySet[Priority]:
    return Priority.objects.filter(
        area_id__in=_area_and_ancestor_ids(area), status=PriorityStatus.CURRENT
    ).order_by("-set_on")


# --- assessment: the same measure before and after the response --------------------------------

MAX_ASSESSMENT_DAYS = 180


@dataclass(frozen=True)
class Assessment:
    """Counted reports of the priority's category in its area, over two equal periods."""

    before_since: date
    after_since: date  # the response's first day
    after_until: date
    days: int
    before: int
    after: int
    p: float  # two-sided exact test of equal rates

    @property
    def change(self) -> float | None:
        """Relative change from before to after (-0.5 = halved), None without a "before"."""
        return (self.after - self.before) / self.before if self.before else None

    @property
    def significant(self) -> bool:
        return self.p < 0.05

    @property
    def change_percent(self) -> int | None:
        return None if self.change is None else round(self.change * 100)


def priority_assessment(priority: Priority, *, today: date | None = None) -> Assessment | None:
    """Reports before and after the response began, over equal periods (at most 180 days).

    Under an unchanged rate, the "after" count given the total of both periods is binomial
    with probability one half: the p-value is that exact test, two-sided. None until the
    response has started and a full day has passed.
    """
    start = priority.response_started_on
    end = today or timezone.localdate()
    if start is None or end <= start:
        return None
    days = min((end - start).days, MAX_ASSESSMENT_DAYS)
    after_until = start + timedelta(days=days - 1)
    before_since = start - timedelta(days=days)
    area_ids = descendants_of({priority.area_id})
    qs = Report.objects.exclude(status__in=NOT_COUNTED_STATUSES).filter(
        area_id__in=area_ids, seen_on__gte=before_since, seen_on__lte=after_until
    )
    if priority.category:
        qs = qs.filter(category=priority.category)
    counts = qs.aggregate(
        before=Count("pk", filter=Q(seen_on__lt=start)),
        after=Count("pk", filter=Q(seen_on__gte=start)),
    )
    before, after = int(counts["before"]), int(counts["after"])
    total = before + after
    p = float(binomtest(after, total, 0.5).pvalue) if total else 1.0
    return Assessment(before_since, start, after_until, days, before, after, p)


def priority_actions(priority: Priority) -> QuerySet[PriorityAction]:
    return priority.actions.all()
