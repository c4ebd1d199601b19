"""Reads for meetings and priorities: upcoming meetings, assessments, agendas, ratings."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from scipy.stats import binomtest
from scipy.stats import t as student_t

from qurb.accounts.models import Association
from qurb.accounts.selectors import descendants_of
from qurb.areas.models import Area
from qurb.areas.selectors import area_and_ancestors
from qurb.engagement.models import (
    ActionItem,
    ActionItemStatus,
    Meeting,
    Priority,
    PriorityAction,
    PriorityRating,
    PriorityStatus,
    Question,
    QuestionKind,
    Rating,
    Survey,
    SurveyAnswer,
)
from qurb.engagement.policy import meetings_published, meetings_visible_to
from qurb.reports.models import Category, Report
from qurb.reports.rollup import cell_range
from qurb.reports.selectors import counted_reports

if TYPE_CHECKING:
    from qurb.accounts.access import Actor


def _area_and_ancestor_ids(area: Area) -> list[int]:
    return [a.pk for a in area_and_ancestors(area)]


def upcoming_meetings(area: Area, user: Actor = None) -> QuerySet[Meeting]:
    """The meetings ``user`` may see (without a user: the public ones) for the area or the
    district above it, soonest first."""
    return (
        meetings_visible_to(user)
        .filter(
            area_id__in=_area_and_ancestor_ids(area),
            cancelled=False,
            ends_at__gte=timezone.now(),
        )
        .order_by("starts_at")
    )


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
    # The same measure inside the priority's hotspot hexagons, when it has some.
    hotspot_before: int | None = None
    hotspot_after: int | None = None
    hotspot_p: float | None = None
    # Residents' ratings of how the priority is dealt with (1 to 5).
    rating: Score | None = None

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

    @property
    def hotspot_significant(self) -> bool:
        return self.hotspot_p is not None and self.hotspot_p < 0.05


def _equal_rates_p(before: int, after: int) -> float:
    """Two-sided exact test that two equal periods share one rate (binomial, one half)."""
    total = before + after
    return float(binomtest(after, total, 0.5).pvalue) if total else 1.0


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
    qs = counted_reports().filter(
        area_id__in=area_ids, seen_on__gte=before_since, seen_on__lte=after_until
    )
    if priority.category:
        qs = qs.filter(category=priority.category)
    split = {
        "before": Count("pk", filter=Q(seen_on__lt=start)),
        "after": Count("pk", filter=Q(seen_on__gte=start)),
    }
    counts = qs.aggregate(**split)
    before, after = int(counts["before"]), int(counts["after"])
    result = Assessment(
        before_since, start, after_until, days, before, after, _equal_rates_p(before, after)
    )
    extra: dict[str, object] = {"rating": priority_rating(priority)}
    if priority.hotspot_cells:
        inside = Q()
        for cell in priority.hotspot_cells:
            low, high = cell_range(int(cell, 16))
            inside |= Q(h3_cell__gte=low, h3_cell__lte=high)
        hot = qs.filter(inside).aggregate(**split)
        extra.update(
            hotspot_before=int(hot["before"]),
            hotspot_after=int(hot["after"]),
            hotspot_p=_equal_rates_p(int(hot["before"]), int(hot["after"])),
        )
    return replace(result, **extra)  # type: ignore[arg-type]


def priority_rating(priority: Priority) -> Score:
    return _score(
        list(PriorityRating.objects.filter(priority=priority).values_list("score", flat=True))
    )


def priority_evidence(priority: Priority) -> QuerySet[Report]:
    """The reports linked to a priority (for staff: the public sees only how many)."""
    return priority.evidence_reports.select_related("area").order_by("-created_at")


def priority_actions(priority: Priority) -> QuerySet[PriorityAction]:
    return priority.actions.all()


# --- meetings ------------------------------------------------------------------------------------


def association_meetings(association: Association, user: Actor = None) -> list[Meeting]:
    """The meetings an association is invited to, and the public ones of its area, as far as
    ``user`` may see them (without a user: the public ones only)."""
    invited = Meeting.invited.through.objects.filter(association=association).values("meeting_id")
    ours = Q(pk__in=invited) | Q(area_id__in=descendants_of({association.area_id}), is_public=True)
    return list(
        meetings_visible_to(user).filter(ours, cancelled=False).distinct().order_by("starts_at")
    )


def last_held_meeting(area: Area) -> Meeting | None:
    """The last public meeting held in the area (the drafts start from it)."""
    return (
        meetings_published()
        .filter(area_id__in=descendants_of({area.pk}), held_at__isnull=False)
        .order_by("-held_at")
        .first()
    )


def agenda_draft(area: Area, *, now: datetime | None = None, top: int = 5) -> str:
    """An agenda drafted from the data since the area's last meeting, for staff to edit:
    the top concerns, the places reported most, open priorities and open action items.

    The agenda is published on the meeting's page, so the draft draws only on public
    meetings: nothing said at an invitation-only meeting reaches it."""
    moment = now or timezone.now()
    last = last_held_meeting(area)
    since = (
        timezone.localdate(last.held_at)
        if last and last.held_at
        else (timezone.localdate(moment) - timedelta(days=90))
    )
    area_ids = descendants_of({area.pk})
    counted = counted_reports().filter(area_id__in=area_ids, seen_on__gte=since)
    lines = [str(_("Agenda drafted from the reports since %(date)s") % {"date": since.isoformat()})]
    concerns = list(
        counted.values("category").annotate(n=Count("pk")).order_by("-n", "category")[:top]
    )
    lines.append("")
    lines.append(str(_("1. Top concerns")))
    for row in concerns:
        lines.append(f"   - {Category(row['category']).label}: {row['n']}")
    if not concerns:
        lines.append(str(_("   - no report in this period")))
    places = list(
        counted.exclude(area_id=area.pk)
        .values("area_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "area_id")[:3]
    )
    if places:
        names = Area.objects.in_bulk([p["area_id"] for p in places])
        lines.append("")
        lines.append(str(_("2. Neighbourhoods reported most")))
        lines += [f"   - {names[p['area_id']].name}: {p['n']}" for p in places]
    priorities = list(
        Priority.objects.filter(area_id__in=area_ids, status=PriorityStatus.CURRENT)
        .prefetch_related("actions")
        .order_by("set_on")
    )
    lines.append("")
    lines.append(str(_("3. Open priorities and their progress")))
    for priority in priorities:
        actions = list(priority.actions.all())
        result = priority_assessment(priority, today=timezone.localdate(moment))
        progress = (
            str(_("%(before)s reports before, %(after)s since the response"))
            % {"before": result.before, "after": result.after}
            if result
            else str(_("no action yet"))
        )
        latest = f" — {actions[-1].description}" if actions else ""
        lines.append(f"   - {priority.title}{latest} ({progress})")
    if not priorities:
        lines.append(str(_("   - none")))
    items = list(
        ActionItem.objects.filter(
            meeting__in=meetings_published().filter(area_id__in=area_ids),
            status=ActionItemStatus.OPEN,
        ).order_by("due_on")
    )
    if items:
        lines.append("")
        lines.append(str(_("4. Action items still open")))
        lines += [f"   - {i.text} ({i.owner}, {i.due_on.isoformat()})" for i in items]
    lines.append("")
    lines.append(str(_("5. Proposals from residents and associations")))
    return "\n".join(lines)


@dataclass(frozen=True)
class Score:
    n: int
    mean: float | None
    low: float | None  # 95% confidence interval (Student's t)
    high: float | None


def _score(values: list[int]) -> Score:
    n = len(values)
    if n == 0:
        return Score(0, None, None, None)
    mean = sum(values) / n
    if n == 1:
        return Score(1, mean, None, None)
    sd = (sum((v - mean) ** 2 for v in values) / (n - 1)) ** 0.5
    half = float(student_t.ppf(0.975, n - 1)) * sd / n**0.5
    return Score(n, mean, max(1.0, mean - half), min(5.0, mean + half))


@dataclass(frozen=True)
class Performance:
    meetings: int
    meeting_score: Score
    performance_score: Score


def district_performance(
    area: Area, *, since: date | None = None, until: date | None = None
) -> Performance:
    """Attendees' ratings of the public meetings held in the area and below (between ``since``
    and ``until`` when given), with 95% intervals. Published on the neighbourhood page and in
    the yearly report, so invitation-only meetings are not counted."""
    held = meetings_published().filter(area_id__in=descendants_of({area.pk}), held_at__isnull=False)
    if since is not None:
        held = held.filter(held_at__date__gte=since)
    if until is not None:
        held = held.filter(held_at__date__lte=until)
    ratings = Rating.objects.filter(registration__meeting__in=held).values_list(
        "meeting_score", "performance_score"
    )
    pairs = list(ratings)
    return Performance(
        meetings=held.count(),
        meeting_score=_score([m for m, _p in pairs]),
        performance_score=_score([p for _m, p in pairs]),
    )


# --- surveys -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    label: str
    count: int
    share: float
    low: float  # Wilson 95% interval
    high: float


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score interval for a proportion k / n (95% by default)."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class QuestionResult:
    question: Question
    n: int
    score: Score | None = None  # scale questions: mean from 1 to 5
    shares: list[Share] | None = None  # yes/no and choice questions


def survey_results(survey: Survey) -> list[QuestionResult]:
    answers: dict[int, list[str]] = {}
    for question_id, value in SurveyAnswer.objects.filter(response__survey=survey).values_list(
        "question_id", "value"
    ):
        answers.setdefault(question_id, []).append(value)
    language = get_language() or "ar"
    out = []
    for question in survey.questions.all():
        values = answers.get(question.pk, [])
        result = QuestionResult(question, len(values))
        if question.kind == QuestionKind.SCALE:
            result.score = _score([int(v) for v in values])
        else:
            options = (
                [("yes", str(_("Yes"))), ("no", str(_("No")))]
                if question.kind == QuestionKind.YES_NO
                else [(c["value"], c.get(language[:2]) or c["value"]) for c in question.choices]
            )
            result.shares = []
            for value, label in options:
                k = values.count(value)
                low, high = wilson(k, len(values))
                share = k / len(values) if values else 0.0
                result.shares.append(Share(label, k, share, low, high))
        out.append(result)
    return out


@dataclass(frozen=True)
class TrustPoint:
    month: date
    n: int  # answers to the trust questions
    index: float  # 0 (no trust) to 100 (full trust)
    low: float | None
    high: float | None


def trust_index(area: Area) -> list[TrustPoint]:
    """The trust index per month: the trust questions' mean, from 1–5 to 0–100, with a 95%
    interval, over the surveys of the area and the areas below it."""
    rows = SurveyAnswer.objects.filter(
        question__measures_trust=True,
        response__survey__area_id__in=descendants_of({area.pk}),
    ).values_list("response__created_at", "value")
    by_month: dict[date, list[int]] = {}
    for created, value in rows:
        month = timezone.localtime(created).date().replace(day=1)
        by_month.setdefault(month, []).append(int(value))

    def scaled(v: float | None) -> float | None:
        return None if v is None else round((v - 1) / 4 * 100, 1)

    out = []
    for month in sorted(by_month):
        score = _score(by_month[month])
        out.append(
            TrustPoint(
                month, score.n, scaled(score.mean) or 0.0, scaled(score.low), scaled(score.high)
            )
        )
    return out


def open_surveys(area: Area) -> QuerySet[Survey]:
    """Surveys open today for the area or the areas above it."""
    today = timezone.localdate()
    return Survey.objects.filter(
        area_id__in=_area_and_ancestor_ids(area), opens_on__lte=today, closes_on__gte=today
    )
