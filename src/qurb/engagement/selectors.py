"""Reads for meetings and priorities: upcoming meetings, assessments, agendas, ratings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from scipy.stats import binomtest
from scipy.stats import t as student_t

from qurb.accounts.access import Capability, grant
from qurb.accounts.models import Association
from qurb.accounts.selectors import descendants_of
from qurb.areas.models import Area
from qurb.areas.selectors import area_and_ancestors, area_public
from qurb.engagement.models import (
    ActionItem,
    ActionItemStatus,
    Meeting,
    Priority,
    PriorityAction,
    PriorityRating,
    PriorityStatus,
    Proposal,
    ProposalAnswer,
    Question,
    QuestionKind,
    Rating,
    Registration,
    RegistrationStatus,
    Survey,
    SurveyAnswer,
)
from qurb.engagement.policy import (
    meetings_managed_by,
    meetings_published,
    meetings_visible_to,
    priorities_managed_by,
)
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


def recent_held_meetings(area: Area, *, limit: int = 3) -> list[Meeting]:
    """The last public meetings held for the area or the district above it (their closing
    report is on the meeting's page), latest first. Like every published document, this
    counts public meetings only: an invitation-only meeting stays with its invitees."""
    return list(
        meetings_published()
        .filter(area_id__in=_area_and_ancestor_ids(area), held_at__isnull=False)
        .order_by("-starts_at")[:limit]
    )


# --- the work waiting for staff (the staff home), over the areas where they manage meetings ----


def meetings_coming(
    user: Actor, *, days: int = 30, now: datetime | None = None
) -> QuerySet[Meeting]:
    """Meetings ``user`` holds in the next ``days`` days (``MEETING_MANAGE``), soonest first."""
    moment = now or timezone.now()
    return (
        meetings_managed_by(user)
        .filter(cancelled=False, starts_at__gte=moment, starts_at__lt=moment + timedelta(days=days))
        .select_related("area")
        .order_by("starts_at")
    )


def meetings_to_close(user: Actor, *, now: datetime | None = None) -> QuerySet[Meeting]:
    """Meetings that have taken place but whose closing report (attendance, minutes) is not
    recorded yet, latest first."""
    return (
        meetings_managed_by(user)
        .filter(cancelled=False, ends_at__lt=now or timezone.now(), held_at__isnull=True)
        .select_related("area")
        .order_by("-starts_at")
    )


def proposals_to_answer(user: Actor) -> QuerySet[Proposal]:
    """Proposals (from a meeting or an association) waiting for ``user``'s answer."""
    return (
        Proposal.objects.filter(grant(user, Capability.MEETING_MANAGE).q("area_id"))
        .filter(answer=ProposalAnswer.PENDING)
        .select_related("area", "association", "meeting")
        .order_by("pk")
    )


def priorities_without_action(user: Actor) -> QuerySet[Priority]:
    """Current priorities ``user`` manages on which nothing has been done yet."""
    return (
        priorities_managed_by(user)
        .filter(status=PriorityStatus.CURRENT, response_started_on__isnull=True)
        .select_related("area")
        .order_by("set_on")
    )


def last_held_meeting(area: Area) -> Meeting | None:
    """The last public meeting held in the area (the drafts start from it)."""
    return (
        meetings_published()
        .filter(area_id__in=descendants_of({area.pk}), held_at__isnull=False)
        .order_by("-held_at")
        .first()
    )


def agenda_draft(
    area: Area,
    *,
    now: datetime | None = None,
    top: int = 5,
    hotspots: Sequence[str] = (),
) -> str:
    """An agenda drafted from the data since the area's last meeting, for staff to edit:
    the top concerns, the hotspots (``hotspots``: lines composed by the caller, which sees
    insights), the places reported most, open priorities, open action items and the proposals
    still awaiting an answer in the area. Sections are numbered 1, 2, 3… in the order they
    appear; a section with nothing to say is left out, except the concerns, the priorities
    and the proposals, which say "none".

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
    lines = [
        str(_("Agenda drafted from the reports since %(date)s"))
        % {"date": date_format(since, "SHORT_DATE_FORMAT")}
    ]
    sections = 0

    def section(title: str, entries: Sequence[str], empty: str | None) -> None:
        nonlocal sections
        if not entries and empty is None:
            return
        sections += 1
        lines.append("")
        lines.append(f"{sections}. {title}")
        lines.extend(f"   - {entry}" for entry in (entries or [str(empty)]))

    concerns = list(
        counted.values("category").annotate(n=Count("pk")).order_by("-n", "category")[:top]
    )
    section(
        str(_("Top concerns")),
        [f"{Category(row['category']).label}: {row['n']}" for row in concerns],
        str(_("no report in this period")),
    )
    section(str(_("Hotspots of the last 90 days")), list(hotspots), None)
    places = list(
        counted.exclude(area_id=area.pk)
        .values("area_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "area_id")[:3]
    )
    names = Area.objects.in_bulk([p["area_id"] for p in places])
    section(
        str(_("Neighbourhoods reported most")),
        [f"{names[p['area_id']].name}: {p['n']}" for p in places],
        None,
    )
    priorities = list(
        Priority.objects.filter(area_id__in=area_ids, status=PriorityStatus.CURRENT)
        .prefetch_related("actions")
        .order_by("set_on")
    )
    progress_lines = []
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
        progress_lines.append(f"{priority.title}{latest} ({progress})")
    section(str(_("Open priorities and their progress")), progress_lines, str(_("none")))
    items = list(
        ActionItem.objects.filter(
            meeting__in=meetings_published().filter(area_id__in=area_ids),
            status=ActionItemStatus.OPEN,
        ).order_by("due_on")
    )
    section(
        str(_("Action items still open")),
        [f"{i.text} ({i.owner}, {date_format(i.due_on, 'SHORT_DATE_FORMAT')})" for i in items],
        None,
    )
    section(
        str(_("Proposals from residents and associations")),
        [_proposal_line(p) for p in pending_proposals(area)],
        str(_("none")),
    )
    return "\n".join(lines)


def pending_proposals(area: Area) -> QuerySet[Proposal]:
    """Proposals still awaiting an answer in the area or a neighbourhood within it: sent by an
    association between meetings, or raised at a public meeting (an invitation-only
    meeting's proposals stay with those invited)."""
    return (
        Proposal.objects.filter(
            Q(meeting__isnull=True) | Q(meeting__in=meetings_published()),
            area_id__in=descendants_of({area.pk}),
            answer=ProposalAnswer.PENDING,
        )
        .select_related("area", "association", "meeting")
        .order_by("created_at", "pk")
    )


def _proposal_line(proposal: Proposal) -> str:
    text = " ".join(proposal.text.split())
    if len(text) > 300:
        text = text[:299] + "…"
    if proposal.association is not None:
        who = proposal.association.name
    elif proposal.meeting is not None and proposal.meeting.held_at is not None:
        who = str(_("raised at the meeting of %(date)s")) % {
            "date": date_format(timezone.localdate(proposal.meeting.held_at), "SHORT_DATE_FORMAT")
        }
    else:
        who = str(_("raised at a meeting"))
    return f"{who} ({proposal.area.name}): {text}"


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


# --- what the meeting and priority pages read (access through engagement.policy) -----------


def registration_of(
    meeting: Meeting, user: Actor, *, cancelled: bool = False
) -> Registration | None:
    """``user``'s registration for the meeting (a cancelled one only when ``cancelled``)."""
    pk = getattr(user, "pk", None)
    if not pk:
        return None
    qs = Registration.objects.filter(meeting=meeting, user_id=pk)
    if not cancelled:
        qs = qs.exclude(status=RegistrationStatus.CANCELLED)
    return qs.order_by("pk").first()


def meeting_registrations(meeting: Meeting) -> list[Registration]:
    return list(meeting.registrations.select_related("association"))


def meeting_proposals(meeting: Meeting) -> list[Proposal]:
    return list(meeting.proposals.all())


def meeting_action_items(meeting: Meeting) -> list[ActionItem]:
    return list(meeting.action_items.all())


def meeting_proposal(meeting: Meeting, proposal_id: int) -> Proposal | None:
    return Proposal.objects.filter(pk=proposal_id, meeting=meeting).first()


def meeting_action_item(meeting: Meeting, item_id: int) -> ActionItem | None:
    return ActionItem.objects.filter(pk=item_id, meeting=meeting).first()


def public_priority(priority_id: int) -> Priority | None:
    """A priority residents may rate: one of an area of the active generation."""
    priority = Priority.objects.select_related("area").filter(pk=priority_id).first()
    if priority is None or area_public(priority.area_id) is None:
        return None
    return priority


def area_priorities(area: Area) -> QuerySet[Priority]:
    """The current priorities of the area and the neighbourhoods within it (staff page)."""
    return (
        Priority.objects.filter(
            area_id__in=descendants_of({area.pk}), status=PriorityStatus.CURRENT
        )
        .select_related("area")
        .prefetch_related("actions", "evidence_reports")
    )


def association_proposals_waiting(area: Area) -> QuerySet[Proposal]:
    """Proposals associations sent between meetings, in the area, still without an answer."""
    return Proposal.objects.filter(
        area_id__in=descendants_of({area.pk}),
        meeting__isnull=True,
        answer=ProposalAnswer.PENDING,
    ).select_related("area", "association")


def area_meetings(area: Area, user: Actor, limit: int = 20) -> list[Meeting]:
    """The latest meetings of the area and within it that ``user`` may see."""
    return list(
        meetings_visible_to(user)
        .filter(area_id__in=descendants_of({area.pk}))
        .order_by("-starts_at")[:limit]
    )


def association_proposals(association: Association) -> QuerySet[Proposal]:
    """What an association proposed (from its space or at meetings), latest first."""
    return association.proposals.select_related("area", "meeting").order_by("-pk")


def survey_by_id(survey_id: int) -> Survey | None:
    """A survey (surveys are public: anyone may answer an open one and read its results)."""
    return Survey.objects.select_related("area").filter(pk=survey_id).first()


def surveys_published() -> list[Survey]:
    """Every survey, oldest first, for the sitemap: each has public results, and an open one
    a public form."""
    return list(Survey.objects.select_related("area").order_by("pk"))


def survey_questions(survey: Survey) -> list[Question]:
    return list(survey.questions.all())


def survey_response_count(survey: Survey) -> int:
    return survey.responses.count()
