"""Writes for neighbourhood priorities (SARA) and meetings with residents.

Priorities: set one, record what was done, close it. Meetings: plan one, register (with a
waiting list), hold it (attendance, minutes), record and answer proposals, action items, and
the attendees' ratings.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import h3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qurb.accounts.access import Capability
from qurb.accounts.models import Association, AssociationStatus, User
from qurb.areas.models import Area
from qurb.areas.selectors import descendants_of
from qurb.audit.actions import AuditAction
from qurb.audit.actions import change as change_of
from qurb.audit.services import audit_record, audited
from qurb.core.errors import Refused
from qurb.core.text import field_language
from qurb.engagement import policy
from qurb.engagement.models import (
    ActionItem,
    ActionItemStatus,
    ActionProgress,
    Invitation,
    Meeting,
    MeetingMode,
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
    SurveyResponse,
)
from qurb.reports.models import Category, Report
from qurb.reports.rollup import cell_range


@audited(AuditAction.ENGAGEMENT_SET_PRIORITY)
def priority_set(
    *,
    area: Area,
    title: str,
    description: str = "",
    category: str = "",
    set_on: date,
    language: str = "ar",
    evidence_reports: Sequence[int] = (),
    hotspot_cells: Sequence[str] = (),
    actor: User,
) -> Priority:
    """A neighbourhood priority, as agreed with residents (the SARA "scanning" step), with
    the reports and hotspots that show the problem (the "analysis")."""
    policy.require(actor, Capability.PRIORITY_MANAGE, area.pk)
    errors: dict[str, list[Any]] = {}
    if not title.strip():
        errors["title"] = [_("Give the priority a title.")]
    if category and category not in Category.values:
        errors["category"] = [_("Choose a category.")]
    reports, cells = _evidence(area, evidence_reports, hotspot_cells, errors)
    if errors:
        raise ValidationError(errors)
    lang = field_language(language)
    with transaction.atomic():
        priority = Priority.objects.create(
            area=area,
            category=category,
            set_on=set_on,
            hotspot_cells=cells,
            **{f"title_{lang}": title.strip()[:200], f"description_{lang}": description.strip()},
        )
        priority.evidence_reports.set(reports)
        audit_record(
            actor=actor,
            action=AuditAction.ENGAGEMENT_SET_PRIORITY,
            target=priority,
            area_id=area.pk,
            details={"reports": len(reports), "hotspots": len(cells)},
        )
    return priority


def _evidence(
    area: Area,
    report_ids: Sequence[int],
    cells: Sequence[str],
    errors: dict[str, list[Any]],
) -> tuple[list[Report], list[str]]:
    """Check the linked reports (in the area) and hexagons (at the hotspot resolution, with
    their centre in the area); record what is wrong in ``errors``."""
    wanted = set(report_ids)
    reports = list(
        Report.objects.filter(pk__in=wanted, area_id__in=descendants_of({area.pk})).only("pk")
    )
    missing = wanted - {r.pk for r in reports}
    if missing:
        errors["evidence_reports"] = [
            _("These reports are not in this area: %(ids)s")
            % {"ids": ", ".join(str(i) for i in sorted(missing))}
        ]
    clean: list[str] = []
    for cell in dict.fromkeys(c.strip().lower() for c in cells if c.strip()):
        if _hexagon_in(cell, area):
            clean.append(cell)
        else:
            errors.setdefault("hotspot_cells", []).append(
                _("The hexagon %(cell)s is not a hotspot hexagon of this area.") % {"cell": cell}
            )
    return reports, clean


def _hexagon_in(cell: str, area: Area) -> bool:
    """A hexagon at the hotspot resolution holding reports of the area."""
    try:
        valid = h3.is_valid_cell(cell) and h3.get_resolution(cell) == settings.HOTSPOT_H3_RESOLUTION
    except (ValueError, OverflowError, TypeError):  # not a hexadecimal cell index at all
        return False
    if not valid:
        return False
    low, high = cell_range(int(cell, 16))
    return Report.objects.filter(
        area_id__in=descendants_of({area.pk}), h3_cell__gte=low, h3_cell__lte=high
    ).exists()


@audited(AuditAction.ENGAGEMENT_ADD_EVIDENCE)
def priority_evidence_add(
    *,
    priority: Priority,
    evidence_reports: Sequence[int] = (),
    hotspot_cells: Sequence[str] = (),
    actor: User,
) -> Priority:
    """Link more reports or hotspot hexagons to a priority's evidence."""
    policy.require(actor, Capability.PRIORITY_MANAGE, priority.area_id)
    errors: dict[str, list[Any]] = {}
    reports, cells = _evidence(priority.area, evidence_reports, hotspot_cells, errors)
    if not errors and not reports and not cells:
        errors["evidence_reports"] = [_("Give report numbers or choose hotspots.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        priority.evidence_reports.add(*reports)
        priority.hotspot_cells = list(dict.fromkeys([*priority.hotspot_cells, *cells]))
        priority.save(update_fields=["hotspot_cells"])
        audit_record(
            actor=actor,
            action=AuditAction.ENGAGEMENT_ADD_EVIDENCE,
            target=priority,
            area_id=priority.area_id,
            details={"reports": len(reports), "hotspots": len(cells)},
        )
    return priority


def priority_rate(*, priority: Priority, score: int, identity: str) -> PriorityRating:
    """A resident says how well the priority is being dealt with (1 to 5), once, anonymously."""
    if priority.status != PriorityStatus.CURRENT or priority.response_started_on is None:
        raise ValidationError(
            {"score": [_("This priority can be rated once the police have acted on it.")]}
        )
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationError({"score": [_("Give a score from 1 to 5.")]})
    if not identity:
        raise ValidationError({"score": [_("Your browser must accept cookies to answer.")]})
    try:
        with transaction.atomic():
            return PriorityRating.objects.create(
                priority=priority,
                score=score,
                respondent=keyed_hash(f"priority:{priority.pk}", identity),
            )
    except IntegrityError:
        raise ValidationError({"score": [_("You have already rated this priority.")]}) from None


@audited(AuditAction.ENGAGEMENT_ADD_PRIORITY_ACTION)
def priority_action_add(
    *,
    priority: Priority,
    description: str,
    done_on: date,
    progress: str = ActionProgress.DONE,
    actor: User,
) -> PriorityAction:
    """What was done (the "response"); the first action starts the assessment's "after"."""
    policy.require(actor, Capability.PRIORITY_MANAGE, priority.area_id)
    errors: dict[str, list[Any]] = {}
    if not description.strip():
        errors["description"] = [_("Say what was done.")]
    if progress not in ActionProgress.values:
        errors["progress"] = [_("Choose the progress.")]
    if done_on < priority.set_on:
        errors["done_on"] = [_("An action cannot come before the priority was set.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        action = PriorityAction.objects.create(
            priority=priority,
            description=description.strip()[:2000],
            done_on=done_on,
            progress=progress,
        )
        if priority.response_started_on is None or done_on < priority.response_started_on:
            priority.response_started_on = done_on
            priority.save(update_fields=["response_started_on"])
        audit_record(
            actor=actor,
            action=AuditAction.ENGAGEMENT_ADD_PRIORITY_ACTION,
            target=priority,
            area_id=priority.area_id,
            details={"done_on": done_on.isoformat(), "progress": progress},
        )
    return action


@audited(AuditAction.ENGAGEMENT_CLOSE_PRIORITY)
def priority_close(*, priority: Priority, actor: User) -> Priority:
    policy.require(actor, Capability.PRIORITY_MANAGE, priority.area_id)
    with transaction.atomic():
        before = priority.status
        priority.status = PriorityStatus.CLOSED
        priority.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action=AuditAction.ENGAGEMENT_CLOSE_PRIORITY,
            target=priority,
            area_id=priority.area_id,
            details={"changes": {"status": change_of(before, priority.status)}},
        )
    return priority


# --- meetings ----------------------------------------------------------------------------------


@audited(AuditAction.ENGAGEMENT_CREATE_MEETING)
def meeting_create(
    *,
    area: Area,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    location: str,
    mode: str = MeetingMode.IN_PERSON,
    online_url: str = "",
    capacity: int | None = None,
    is_public: bool = True,
    invited: Sequence[Association] = (),
    agenda: str = "",
    language: str = "ar",
    actor: User,
) -> Meeting:
    """Plan a meeting; ``agenda`` is usually the draft from ``agenda_draft``, edited."""
    policy.require(actor, Capability.MEETING_MANAGE, area.pk)
    errors: dict[str, list[Any]] = {}
    if not title.strip():
        errors["title"] = [_("Give the meeting a title.")]
    if ends_at <= starts_at:
        errors["ends_at"] = [_("The meeting must end after it starts.")]
    if mode not in MeetingMode.values:
        errors["mode"] = [_("Choose a format.")]
    elif mode != MeetingMode.IN_PERSON and not online_url:
        errors["online_url"] = [_("An online meeting needs its link.")]
    if mode != MeetingMode.ONLINE and not location.strip():
        errors["location"] = [_("Say where the meeting takes place.")]
    if capacity is not None and capacity < 1:
        errors["capacity"] = [_("There must be at least one place.")]
    if errors:
        raise ValidationError(errors)
    lang = field_language(language)
    with transaction.atomic():
        meeting = Meeting.objects.create(
            area=area,
            starts_at=starts_at,
            ends_at=ends_at,
            location=location.strip()[:300],
            mode=mode,
            online_url=online_url,
            capacity=capacity,
            is_public=is_public,
            agenda=agenda.strip(),
            **{f"title_{lang}": title.strip()[:200]},
        )
        meeting.invited.set(invited)
        for association in invited:
            if association.contact_email:
                invitation = Invitation.objects.create(meeting=meeting, association=association)
                transaction.on_commit(
                    lambda pk=invitation.pk: _enqueue_invitation(pk)  # type: ignore[misc]
                )
        audit_record(
            actor=actor,
            action=AuditAction.ENGAGEMENT_CREATE_MEETING,
            target=meeting,
            area_id=area.pk,
            details={"public": is_public, "invited": [a.pk for a in invited]},
        )
    return meeting


def _enqueue_invitation(invitation_id: int) -> None:
    from qurb.engagement.tasks import send_invitation

    send_invitation.enqueue(invitation_id)


def meetings_remind(*, now: datetime | None = None, hours: int = 24) -> int:
    """Enqueue a reminder for every confirmed registration with an e-mail address, for the
    meetings starting within ``hours``; each is sent once (run it hourly). Returns how many."""
    from qurb.engagement.tasks import send_reminder

    moment = now or timezone.now()
    due = Registration.objects.filter(
        status=RegistrationStatus.CONFIRMED,
        reminded_at__isnull=True,
        meeting__cancelled=False,
        meeting__held_at__isnull=True,
        meeting__starts_at__gt=moment,
        meeting__starts_at__lte=moment + timedelta(hours=hours),
    ).exclude(email="")
    ids = list(due.values_list("pk", flat=True))
    for pk in ids:
        send_reminder.enqueue(pk)
    return len(ids)


def meeting_register(
    *,
    meeting: Meeting,
    name: str,
    email: str = "",
    user: Any = None,
    association: Association | None = None,
    language: str = "ar",
) -> Registration:
    """A place at the meeting, or a place on its waiting list once it is full.

    Registering twice with the same account returns the first registration.
    """
    errors: dict[str, list[Any]] = {}
    if meeting.cancelled or meeting.held_at is not None or meeting.starts_at <= timezone.now():
        errors["meeting"] = [_("Registration for this meeting is closed.")]
    elif not meeting.is_public and (
        association is None
        or association.status != AssociationStatus.VERIFIED
        or getattr(user, "association_id", None) != association.pk
        or not meeting.invited.filter(pk=association.pk).exists()
    ):
        errors["meeting"] = [_("This meeting is by invitation: your association is not invited.")]
    if not name.strip():
        errors["name"] = [_("Give your name.")]
    if errors:
        raise ValidationError(errors)
    account = user if getattr(user, "pk", None) else None
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
        existing = (
            Registration.objects.filter(meeting=locked, user=account).first() if account else None
        )
        if existing is not None and existing.status != RegistrationStatus.CANCELLED:
            return existing
        taken = locked.registrations.filter(status=RegistrationStatus.CONFIRMED).count()
        full = locked.capacity is not None and taken >= locked.capacity
        registration = existing or Registration(meeting=locked, user=account)
        registration.name = name.strip()[:150]
        registration.email = email.strip()
        registration.association = association
        registration.language = field_language(language)
        registration.status = (
            RegistrationStatus.WAITLISTED if full else RegistrationStatus.CONFIRMED
        )
        registration.save()
    return registration


def registration_cancel(*, registration: Registration) -> Registration:
    """Give the place back; the first on the waiting list takes it."""
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=registration.meeting_id)
        was_confirmed = registration.status == RegistrationStatus.CONFIRMED
        registration.status = RegistrationStatus.CANCELLED
        registration.save(update_fields=["status"])
        if was_confirmed:
            waiting = meeting.registrations.filter(status=RegistrationStatus.WAITLISTED).first()
            if waiting is not None:
                waiting.status = RegistrationStatus.CONFIRMED
                waiting.save(update_fields=["status"])
    return registration


@audited(AuditAction.ENGAGEMENT_HOLD_MEETING)
def meeting_hold(
    *, meeting: Meeting, attended: Sequence[int], minutes: str, actor: User
) -> Meeting:
    """Record that the meeting took place: who came (registration ids) and the minutes."""
    policy.require(actor, Capability.MEETING_MANAGE, meeting.area_id)
    if meeting.starts_at > timezone.now():
        raise ValidationError({"meeting": [_("A meeting cannot be held before it starts.")]})
    if not minutes.strip():
        raise ValidationError({"minutes": [_("Write the minutes.")]})
    with transaction.atomic():
        meeting.held_at = timezone.now()
        meeting.minutes = minutes.strip()
        meeting.save(update_fields=["held_at", "minutes"])
        meeting.registrations.update(attended=False)
        meeting.registrations.filter(pk__in=list(attended)).exclude(
            status=RegistrationStatus.CANCELLED
        ).update(attended=True)
        audit_record(
            actor=actor,
            action=AuditAction.ENGAGEMENT_HOLD_MEETING,
            target=meeting,
            area_id=meeting.area_id,
            details={"attended": len(attended)},
        )
    return meeting


@audited(AuditAction.ENGAGEMENT_ADD_PROPOSAL)
def proposal_add(
    *, meeting: Meeting, text: str, association: Association | None = None, actor: User
) -> Proposal:
    """A proposal made at a meeting, recorded by its staff."""
    policy.require(actor, Capability.MEETING_MANAGE, meeting.area_id)
    if not text.strip():
        raise ValidationError({"text": [_("Write the proposal.")]})
    proposal = Proposal.objects.create(
        meeting=meeting, area=meeting.area, text=text.strip()[:2000], association=association
    )
    audit_record(
        actor=actor,
        action=AuditAction.ENGAGEMENT_ADD_PROPOSAL,
        target=proposal,
        area_id=meeting.area_id,
        details={"meeting": meeting.pk},
    )
    return proposal


@audited(AuditAction.ENGAGEMENT_SUBMIT_PROPOSAL)
def proposal_submit(*, association: Association, area: Area, text: str, actor: User) -> Proposal:
    """A verified association sends a proposal from its space, between meetings, for its area
    or a neighbourhood within it; the police answer it like a meeting's proposals."""
    errors: dict[str, list[Any]] = {}
    if getattr(actor, "association_id", None) != association.pk or not actor.is_active:
        raise Refused("not_owner")
    if association.status != AssociationStatus.VERIFIED:
        errors["association"] = [_("Only a verified association can send proposals.")]
    if area.pk not in descendants_of({association.area_id}):
        errors["area"] = [_("Choose a neighbourhood where the association works.")]
    if not text.strip():
        errors["text"] = [_("Write the proposal.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        proposal = Proposal.objects.create(
            area=area, association=association, text=text.strip()[:2000]
        )
        audit_record(
            actor=actor,
            action=AuditAction.ENGAGEMENT_SUBMIT_PROPOSAL,
            target=proposal,
            area_id=area.pk,
            details={"association": association.pk},
        )
    return proposal


@audited(AuditAction.ENGAGEMENT_ANSWER_PROPOSAL)
def proposal_answer(*, proposal: Proposal, answer: str, reason: str = "", actor: User) -> Proposal:
    """Accepted, under study, or rejected (a rejection says why)."""
    policy.require(actor, Capability.MEETING_MANAGE, proposal.area_id)
    if answer not in {ProposalAnswer.ACCEPTED, ProposalAnswer.UNDER_STUDY, ProposalAnswer.REJECTED}:
        raise ValidationError({"answer": [_("Choose an answer.")]})
    if answer == ProposalAnswer.REJECTED and not reason.strip():
        raise ValidationError({"reason": [_("Say why the proposal is rejected.")]})
    with transaction.atomic():
        before = {"answer": proposal.answer, "reason": proposal.reason}
        proposal.answer = answer
        proposal.reason = reason.strip()
        proposal.answered_at = timezone.now()
        proposal.save(update_fields=["answer", "reason", "answered_at"])
        audit_record(
            actor=actor,
            action=AuditAction.ENGAGEMENT_ANSWER_PROPOSAL,
            target=proposal,
            area_id=proposal.area_id,
            details={
                "changes": {
                    "answer": change_of(before["answer"], answer),
                    "reason": change_of(before["reason"], proposal.reason),
                }
            },
        )
    return proposal


@audited(AuditAction.ENGAGEMENT_ADD_ACTION_ITEM)
def action_item_add(
    *, meeting: Meeting, text: str, owner: str, due_on: date, actor: User
) -> ActionItem:
    policy.require(actor, Capability.MEETING_MANAGE, meeting.area_id)
    errors: dict[str, list[Any]] = {}
    if not text.strip():
        errors["text"] = [_("Say what is to be done.")]
    if not owner.strip():
        errors["owner"] = [_("Say who does it.")]
    if errors:
        raise ValidationError(errors)
    item = ActionItem.objects.create(
        meeting=meeting, text=text.strip()[:2000], owner=owner.strip()[:150], due_on=due_on
    )
    audit_record(
        actor=actor,
        action=AuditAction.ENGAGEMENT_ADD_ACTION_ITEM,
        target=item,
        area_id=meeting.area_id,
        details={"meeting": meeting.pk},
    )
    return item


@audited(AuditAction.ENGAGEMENT_COMPLETE_ACTION_ITEM)
def action_item_done(*, item: ActionItem, actor: User) -> ActionItem:
    policy.require(actor, Capability.MEETING_MANAGE, item.meeting.area_id)
    with transaction.atomic():
        before = item.status
        item.status = ActionItemStatus.DONE
        item.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action=AuditAction.ENGAGEMENT_COMPLETE_ACTION_ITEM,
            target=item,
            area_id=item.meeting.area_id,
            details={"changes": {"status": change_of(before, item.status)}},
        )
    return item


def rating_record(
    *, registration: Registration, meeting_score: int, performance_score: int, comment: str = ""
) -> Rating:
    """An attendee rates the meeting and the district's performance, once, after it is held."""
    meeting = registration.meeting
    if meeting.held_at is None or not registration.attended:
        raise ValidationError({"rating": [_("Only those who attended can rate the meeting.")]})
    scores = (meeting_score, performance_score)
    if any(not isinstance(s, int) or not 1 <= s <= 5 for s in scores):
        raise ValidationError({"rating": [_("Give a score from 1 to 5.")]})
    if Rating.objects.filter(registration=registration).exists():
        raise ValidationError({"rating": [_("You have already rated this meeting.")]})
    return Rating.objects.create(
        registration=registration,
        meeting_score=meeting_score,
        performance_score=performance_score,
        comment=comment.strip()[:2000],
    )


# --- surveys -------------------------------------------------------------------------------------

# The standard trust and satisfaction questionnaire: (kind, measures trust, texts, choices).
STANDARD_SURVEY: list[tuple[str, bool, dict[str, str], list[dict[str, str]]]] = [
    (
        QuestionKind.SCALE,
        True,
        {
            "ar": "إلى أي حد تثق في الشرطة في حيك؟",
            "fr": "Quelle confiance accordez-vous à la police de votre quartier ?",
            "en": "How much do you trust the police in your neighbourhood?",
        },
        [],
    ),
    (
        QuestionKind.SCALE,
        True,
        {
            "ar": "هل تتعامل الشرطة في حيك مع الناس بإنصاف؟",
            "fr": "La police de votre quartier traite-t-elle les gens équitablement ?",
            "en": "Do the police in your neighbourhood treat people fairly?",
        },
        [],
    ),
    (
        QuestionKind.SCALE,
        False,
        {
            "ar": "ما مدى شعورك بالأمان عند المشي في حيك بعد حلول الظلام؟",
            "fr": "Vous sentez-vous en sécurité en marchant dans votre quartier la nuit ?",
            "en": "How safe do you feel walking in your neighbourhood after dark?",
        },
        [],
    ),
    (
        QuestionKind.YES_NO,
        False,
        {
            "ar": "هل تواصلت مع الشرطة خلال الاثني عشر شهرًا الماضية؟",
            "fr": "Avez-vous contacté la police au cours des douze derniers mois ?",
            "en": "Have you contacted the police in the last twelve months?",
        },
        [],
    ),
    (
        QuestionKind.CHOICE,
        False,
        {
            "ar": "كم مرة ترى دوريات الشرطة في حيك؟",
            "fr": "À quelle fréquence voyez-vous des patrouilles dans votre quartier ?",
            "en": "How often do you see police patrols in your neighbourhood?",
        },
        [
            {"value": "never", "ar": "أبدًا", "fr": "Jamais", "en": "Never"},
            {
                "value": "monthly",
                "ar": "مرة في الشهر تقريبًا",
                "fr": "Environ une fois par mois",
                "en": "About once a month",
            },
            {"value": "weekly", "ar": "كل أسبوع", "fr": "Chaque semaine", "en": "Every week"},
            {"value": "daily", "ar": "كل يوم", "fr": "Chaque jour", "en": "Every day"},
        ],
    ),
]


@audited(AuditAction.ENGAGEMENT_OPEN_SURVEY)
def survey_open(*, area: Area, opens_on: date, closes_on: date, actor: User) -> Survey:
    """Open the standard trust and satisfaction survey for an area."""
    policy.require(actor, Capability.SURVEY_OPEN, area.pk)
    if closes_on < opens_on:
        raise ValidationError({"closes_on": [_("A survey must close after it opens.")]})
    with transaction.atomic():
        survey = Survey.objects.create(
            area=area,
            opens_on=opens_on,
            closes_on=closes_on,
            title_ar=f"استطلاع الثقة والرضا — {area.name_ar}",
            title_fr=f"Enquête de confiance et de satisfaction — {area.name_fr or area.name_ar}",
            title_en=f"Trust and satisfaction survey — {area.name_en or area.name_ar}",
        )
        for order, (kind, trust, texts, choices) in enumerate(STANDARD_SURVEY):
            Question.objects.create(
                survey=survey,
                order=order,
                kind=kind,
                measures_trust=trust,
                choices=choices,
                text_ar=texts["ar"],
                text_fr=texts["fr"],
                text_en=texts["en"],
            )
        audit_record(
            actor=actor, action=AuditAction.ENGAGEMENT_OPEN_SURVEY, target=survey, area_id=area.pk
        )
    return survey


def keyed_hash(scope: str, identity: str) -> str:
    """A keyed hash of the person (account or device) within ``scope``: enough to answer
    once, no more."""
    return hmac.new(
        settings.SECRET_KEY.encode(), f"{scope}:{identity}".encode(), hashlib.sha256
    ).hexdigest()


def respondent_key(survey: Survey, identity: str) -> str:
    return keyed_hash(f"survey:{survey.pk}", identity)


def survey_answer(*, survey: Survey, answers: dict[int, str], identity: str) -> SurveyResponse:
    """Store one person's answers, anonymously; a second answer from them is refused."""
    today = timezone.localdate()
    if not survey.opens_on <= today <= survey.closes_on:
        raise ValidationError({"survey": [_("This survey is not open.")]})
    if not identity:
        raise ValidationError({"survey": [_("Your browser must accept cookies to answer.")]})
    questions = {q.pk: q for q in survey.questions.all()}
    clean: dict[int, str] = {}
    for pk, raw in answers.items():
        question = questions.get(pk)
        value = (raw or "").strip()
        if question is None or not value:
            continue
        if question.kind == QuestionKind.SCALE and value not in {"1", "2", "3", "4", "5"}:
            raise ValidationError({f"q{pk}": [_("Give a score from 1 to 5.")]})
        if question.kind == QuestionKind.YES_NO and value not in {"yes", "no"}:
            raise ValidationError({f"q{pk}": [_("Answer yes or no.")]})
        if question.kind == QuestionKind.CHOICE and value not in {
            c["value"] for c in question.choices
        }:
            raise ValidationError({f"q{pk}": [_("Choose one of the answers.")]})
        clean[pk] = value
    if not clean:
        raise ValidationError({"survey": [_("Answer at least one question.")]})
    try:
        with transaction.atomic():
            response = SurveyResponse.objects.create(
                survey=survey, respondent=respondent_key(survey, identity)
            )
            SurveyAnswer.objects.bulk_create(
                SurveyAnswer(response=response, question_id=pk, value=v) for pk, v in clean.items()
            )
    except IntegrityError:
        raise ValidationError({"survey": [_("You have already answered this survey.")]}) from None
    return response
