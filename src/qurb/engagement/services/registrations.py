"""Writes for those who attend a meeting: register (with a waiting list), give the place
back, and rate the meeting once it is held."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qurb.accounts.models import Association, AssociationStatus
from qurb.core.text import field_language
from qurb.engagement.models import Meeting, Rating, Registration, RegistrationStatus


def email_key(email: str) -> str:
    """An e-mail address as one mailbox: case-insensitive, without a sub-address tag
    ("Amina+2@Example.org" is "amina@example.org")."""
    local, at, domain = email.strip().casefold().rpartition("@")
    if not at:
        return domain
    return f"{local.split('+', 1)[0] or local}@{domain}"


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

    Registering twice with the same account returns the first registration. An e-mail address
    holds one live registration per meeting: a second one with the same address (whatever its
    case or sub-address tag) is refused.
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
        wanted = email_key(email)
        if wanted:
            live = locked.registrations.exclude(status=RegistrationStatus.CANCELLED).exclude(
                email=""
            )
            if any(email_key(other) == wanted for other in live.values_list("email", flat=True)):
                raise ValidationError(
                    {"email": [_("This e-mail address already has a place at this meeting.")]}
                )
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
