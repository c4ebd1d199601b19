"""Writes for meetings with residents: plan one (inviting associations), remind those
registered, and record that it was held (attendance, minutes)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qurb.accounts.access import Capability
from qurb.accounts.models import Association, User
from qurb.accounts.selectors import invitable_associations
from qurb.areas.models import Area
from qurb.audit.actions import AuditAction
from qurb.audit.services import audit_record, audited
from qurb.core.errors import Invalid
from qurb.core.text import Texts, field_values, languages_of, texts_of
from qurb.engagement import policy, signals
from qurb.engagement.models import (
    Invitation,
    Meeting,
    MeetingMode,
    Registration,
    RegistrationStatus,
)


@audited(AuditAction.ENGAGEMENT_CREATE_MEETING)
def meeting_create(
    *,
    area: Area,
    title: Texts,
    starts_at: datetime,
    ends_at: datetime,
    location: Texts,
    mode: str = MeetingMode.IN_PERSON,
    online_url: str = "",
    capacity: int | None = None,
    is_public: bool = True,
    invited: Sequence[Association] = (),
    agenda: Texts = "",
    language: str | None = None,
    actor: User,
) -> Meeting:
    """Plan a meeting; ``agenda`` is usually the draft from ``agenda_draft``, edited. The
    title, place and agenda in one language (``language``) or as ``{"ar": …, "fr": …,
    "en": …}``."""
    policy.require(actor, Capability.MEETING_MANAGE, area.pk)
    invitable = set(invitable_associations(area).values_list("pk", flat=True))
    if any(a.pk not in invitable for a in invited):
        raise Invalid(
            {"invited": [_("Only verified associations of the meeting's area can be invited.")]},
            code="association_not_invitable",
        )
    titles, locations, agendas = (
        texts_of(title, language),
        texts_of(location, language),
        texts_of(agenda, language),
    )
    errors: dict[str, list[Any]] = {}
    if not any(titles.values()):
        errors["title"] = [_("Give the meeting a title.")]
    if ends_at <= starts_at:
        errors["ends_at"] = [_("The meeting must end after it starts.")]
    if mode not in MeetingMode.values:
        errors["mode"] = [_("Choose a format.")]
    elif mode != MeetingMode.IN_PERSON and not online_url:
        errors["online_url"] = [_("An online meeting needs its link.")]
    if mode != MeetingMode.ONLINE and not any(locations.values()):
        errors["location"] = [_("Say where the meeting takes place.")]
    if capacity is not None and capacity < 1:
        errors["capacity"] = [_("There must be at least one place.")]
    if errors:
        raise ValidationError(errors)
    meeting = Meeting.objects.create(
        area=area,
        starts_at=starts_at,
        ends_at=ends_at,
        mode=mode,
        online_url=online_url,
        capacity=capacity,
        is_public=is_public,
        **field_values("title", titles, 200),
        **field_values("location", locations, 300),
        **field_values("agenda", agendas),
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
        details={
            "public": is_public,
            "invited": [a.pk for a in invited],
            "languages": languages_of(titles),
        },
    )
    if is_public:
        planned = meeting.pk
        transaction.on_commit(
            lambda: signals.meeting_planned.send(sender=Meeting, meeting_id=planned)
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
