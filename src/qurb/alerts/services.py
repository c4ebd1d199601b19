"""Writes for missing-child alerts: open a case, validate it (publish) or refuse it, update,
close, expire, purge; subscriptions without an account.

Every step is audited. Publication, updates and the end each make one CAP message, and its
neighbourhood message (``residents``), in the same transaction; the fan-out task starts once
it commits.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import IO, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qurb.accounts import access
from qurb.accounts.access import Capability
from qurb.accounts.models import User
from qurb.alerts import policy, residents, selectors
from qurb.alerts.cap import Earlier, cap_message
from qurb.alerts.delivery import drop_waiting
from qurb.alerts.models import (
    AlertCase,
    CapMessage,
    CaseStatus,
    Channel,
    Delivery,
    EndReason,
    GuardianRelation,
    IdentityDocument,
    MessageType,
    Subscription,
)
from qurb.areas.models import Area
from qurb.areas.selectors import areas_at
from qurb.audit.actions import AuditAction
from qurb.audit.services import audit_record, audited
from qurb.core import optin
from qurb.core.errors import NotFound, Refused
from qurb.core.links import absolute
from qurb.core.photos import photo_clean, photo_store

CRITERIA = {
    "criteria_minor": _("The child is a minor."),
    "criteria_confirmed": _("The disappearance is confirmed."),
    "criteria_helpful": _("The information can help find the child."),
    "criteria_safe": _("Publishing will not put the child at risk."),
}


@audited(AuditAction.ALERTS_OPEN)
def case_open(
    *,
    actor: User,
    child_first_name: str,
    child_age: int | None,
    description: str,
    last_seen_at: datetime | None,
    lat: float | None,
    lon: float | None,
    last_seen_place: str,
    guardian_name: str,
    guardian_relation: str,
    guardian_document: str,
    guardian_document_number: str,
    guardian_phone: str,
    guardian_checked: bool,
    clothing: str = "",
    places: str = "",
    photo: IO[bytes] | None = None,
    radius_km: int | None = None,
    language: str = "ar",
    is_exercise: bool = False,
) -> AlertCase:
    """An officer opens a case when a parent or legal guardian reports; it waits for the
    prefecture's validation unit."""
    errors: dict[str, list[Any]] = {}

    def add(name: str, message: Any) -> None:
        errors.setdefault(name, []).append(message)

    if not child_first_name.strip():
        add("child_first_name", _("Give the child's first name."))
    if child_age is None or not 0 <= child_age < 18:
        add("child_age", _("An alert is for a minor: the age must be under 18."))
    if not description.strip():
        add("description", _("Describe the child."))
    now = timezone.now()
    if last_seen_at is None or last_seen_at > now + timedelta(minutes=5):
        add("last_seen_at", _("Say when the child was last seen (not in the future)."))
    if not last_seen_place.strip():
        add("last_seen_place", _("Say where the child was last seen."))
    area = None
    if lat is None or lon is None:
        add("lat", _("Place the last-seen point on the map or type its coordinates."))
    else:
        found = areas_at(lat=lat, lon=lon)
        area = found[-1] if found else None
        if area is None:
            add("lat", _("This point is outside every area Qurb covers."))
    if not guardian_name.strip():
        add("guardian_name", _("Give the name of the parent or legal guardian."))
    if guardian_relation not in GuardianRelation.values:
        add("guardian_relation", _("Say whether the person is the mother, father or guardian."))
    if guardian_document not in IdentityDocument.values or not guardian_document_number.strip():
        add("guardian_document", _("Record the identity document checked and its number."))
    if not guardian_phone.strip():
        add("guardian_phone", _("Record the guardian's telephone number."))
    if not guardian_checked:
        add(
            "guardian_checked",
            _("Confirm that the guardian's identity and documents were checked."),
        )
    radius = radius_km or settings.ALERT_RADIUS_KM
    if not 1 <= radius <= settings.ALERT_MAX_RADIUS_KM:
        add(
            "radius_km",
            _("The radius must be between 1 and %(max)s km.")
            % {"max": settings.ALERT_MAX_RADIUS_KM},
        )
    clean_photo = None
    if photo is not None:
        try:
            clean_photo = photo_clean(photo)
        except ValidationError as exc:
            errors.setdefault("photo", []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    if area is None or lat is None or lon is None or child_age is None or last_seen_at is None:
        raise ValidationError(errors)  # reported above; this narrows the types
    access.require(actor, Capability.ALERT_MANAGE, area.pk)
    case = AlertCase.objects.create(
        area=area,
        is_exercise=is_exercise,
        child_first_name=child_first_name.strip()[:80],
        child_age=child_age,
        description=description.strip()[:2000],
        clothing=clothing.strip()[:1000],
        places=places.strip()[:1000],
        language=language,
        photo=photo_store(clean_photo, folder="alerts") if clean_photo else "",
        last_seen_at=last_seen_at,
        last_seen_lat=lat,
        last_seen_lon=lon,
        last_seen_place=last_seen_place.strip()[:300],
        radius_km=radius,
        call_number=settings.EMERGENCY_NUMBER,
        guardian_name=guardian_name.strip()[:150],
        guardian_relation=guardian_relation,
        guardian_document=guardian_document,
        guardian_document_number=guardian_document_number.strip()[:40],
        guardian_phone=guardian_phone.strip()[:30],
        guardian_checked=True,
        opened_by=actor,
    )
    audit_record(actor=actor, action=AuditAction.ALERTS_OPEN, target=case, area_id=area.pk)
    return case


def _message(case: AlertCase, msg_type: str, now: datetime) -> CapMessage:
    earlier = [
        Earlier(settings.ALERT_CAP_SENDER, m.identifier, m.sent) for m in case.messages.all()
    ]
    identifier = f"qurb-alert-{case.public_id}-{len(earlier) + 1}"
    urls = {"page": absolute(reverse("alerts:page", args=[case.public_id]))}
    if case.photo:
        urls["photo"] = absolute(reverse("alerts:photo", args=[case.public_id]))
    xml = cap_message(
        case,
        sender=settings.ALERT_CAP_SENDER,
        identifier=identifier,
        sent=now,
        msg_type=msg_type,
        references=earlier,
        urls=urls,
    )
    message = CapMessage.objects.create(
        case=case, identifier=identifier, msg_type=msg_type, sent=now, xml=xml
    )
    # The same message for neighbourhood subscribers who chose missing-child alerts.
    residents.message_write(case, message)
    return message


def _start_sending(message_id: int) -> None:
    """After commit: the fan-out task queues the copies and dispatches them chunk by chunk
    (if this enqueue is lost, the workers' sweeper starts the fan-out; see tasks.sweep)."""
    from qurb.alerts.tasks import fan_out_message

    fan_out_message.enqueue(message_id)


@audited(AuditAction.ALERTS_READ_CASE)
def case_read(*, actor: User, case_id: int) -> AlertCase:
    """A staff member opens a case (the child's and the guardian's details): each read is
    recorded."""
    case = policy.access_case(actor, case_id)
    audit_record(
        actor=actor,
        action=AuditAction.ALERTS_READ_CASE,
        target=case,
        area_id=case.area_id,
        details={"status": case.status},
    )
    return case


@audited(AuditAction.ALERTS_READ_PHOTO)
def case_photo_read(*, actor: User, case_id: int) -> AlertCase:
    """A staff member opens the child's photo from the case page: each read is recorded, as
    a read of the case is. NotFound when the case is out of the actor's areas or has no
    photo (any more)."""
    case = policy.access_case(actor, case_id)
    if not case.photo:
        raise NotFound
    audit_record(
        actor=actor,
        action=AuditAction.ALERTS_READ_PHOTO,
        target=case,
        area_id=case.area_id,
        details={"status": case.status},
    )
    return case


@audited(AuditAction.ALERTS_VALIDATE)
def case_validate(
    *, actor: User, case: AlertCase, approve: bool, criteria: dict[str, bool], reason: str = ""
) -> AlertCase:
    """The unit approves (every criterion met: the alert is published and sent) or refuses,
    saying why."""
    policy.require(actor, Capability.ALERT_VALIDATE, case)
    if case.status != CaseStatus.PENDING:
        raise ValidationError({"case": [_("This case has already been decided.")]})
    now = timezone.now()
    if approve:
        missing = [str(text) for name, text in CRITERIA.items() if not criteria.get(name)]
        if missing:
            raise ValidationError(
                {
                    "criteria": [
                        _("Every criterion must be met to publish: %(missing)s")
                        % {"missing": " ".join(missing)}
                    ]
                }
            )
    elif not reason.strip():
        raise ValidationError({"reason": [_("Say why the alert is refused.")]})
    case = AlertCase.objects.select_for_update().get(pk=case.pk)
    if case.status != CaseStatus.PENDING:
        raise ValidationError({"case": [_("This case has already been decided.")]})
    for name in CRITERIA:
        setattr(case, name, bool(criteria.get(name)))
    case.validated_by = actor
    case.validated_at = now
    if approve:
        case.status = CaseStatus.PUBLISHED
        case.published_at = now
        case.expires_at = now + timedelta(hours=settings.ALERT_HOURS)
    else:
        case.status = CaseStatus.REFUSED
        case.refusal_reason = reason.strip()
    case.save()
    audit_record(
        actor=actor,
        action=AuditAction.ALERTS_VALIDATE,
        target=case,
        area_id=case.area_id,
        details={
            "decision": "publish" if approve else "refuse",
            "criteria": {n: bool(criteria.get(n)) for n in CRITERIA},
        },
    )
    if approve:
        message = _message(case, MessageType.ALERT, now)
        transaction.on_commit(lambda: _start_sending(message.pk))
    return case


@audited(AuditAction.ALERTS_UPDATE)
def case_update(
    *,
    actor: User,
    case: AlertCase,
    description: str | None = None,
    clothing: str | None = None,
    places: str | None = None,
    last_seen_place: str | None = None,
) -> CapMessage:
    """New information about a published alert: a CAP Update, sent to the same area."""
    policy.require(actor, Capability.ALERT_MANAGE, case)
    if not selectors.is_live(case):
        raise ValidationError({"case": [_("Only a published alert can be updated.")]})
    changes = {
        k: v.strip()
        for k, v in {
            "description": description,
            "clothing": clothing,
            "places": places,
            "last_seen_place": last_seen_place,
        }.items()
        if v is not None and v.strip() != getattr(case, k)
    }
    if not changes:
        raise ValidationError({"case": [_("Nothing has changed.")]})
    if "description" in changes and not changes["description"]:
        raise ValidationError({"description": [_("Describe the child.")]})
    now = timezone.now()
    # Locked and checked again: an update must never follow the end of the alert.
    case = AlertCase.objects.select_for_update().get(pk=case.pk)
    if not selectors.is_live(case):
        raise ValidationError({"case": [_("Only a published alert can be updated.")]})
    for name, value in changes.items():
        setattr(case, name, value)
    case.save(update_fields=list(changes))
    message = _message(case, MessageType.UPDATE, now)
    audit_record(
        actor=actor,
        action=AuditAction.ALERTS_UPDATE,
        target=case,
        area_id=case.area_id,
        details={"fields": sorted(changes)},
    )
    transaction.on_commit(lambda: _start_sending(message.pk))
    return message


def _end(case: AlertCase, reason: str, now: datetime, actor: User | None) -> AlertCase:
    earlier = list(case.messages.values_list("pk", flat=True))
    case.status = CaseStatus.ENDED
    case.ended_at = now
    case.end_reason = reason
    case.save(update_fields=["status", "ended_at", "end_reason"])
    message = _message(case, MessageType.CANCEL, now)
    drop_waiting(earlier)
    residents.end(case, message)
    case.end_notified_at = now
    case.save(update_fields=["end_notified_at"])
    audit_record(
        actor=actor,
        action=AuditAction.ALERTS_END,
        target=case,
        area_id=case.area_id,
        details={"reason": reason},
    )
    transaction.on_commit(lambda: _start_sending(message.pk))
    return case


@audited(AuditAction.ALERTS_END)
def case_close(*, actor: User, case: AlertCase, reason: str) -> AlertCase:
    """The child is found (or the alert withdrawn): the alert ends at once."""
    policy.require(actor, Capability.ALERT_MANAGE, case)
    if reason not in {EndReason.FOUND, EndReason.WITHDRAWN}:
        raise ValidationError({"reason": [_("Say why the alert ends.")]})
    locked = AlertCase.objects.select_for_update().get(pk=case.pk)
    if locked.status == CaseStatus.PENDING:
        raise ValidationError({"case": [_("This case has not been published.")]})
    if locked.status != CaseStatus.PUBLISHED:
        raise ValidationError({"case": [_("This alert has already ended.")]})
    return _end(locked, reason, timezone.now(), actor)


def alerts_expire(*, now: datetime | None = None) -> int:
    """End the alerts past their expiry (run every minute; pages stop showing them at once)."""
    moment = now or timezone.now()
    ended = 0
    for pk in AlertCase.objects.filter(
        status=CaseStatus.PUBLISHED, expires_at__lte=moment
    ).values_list("pk", flat=True):
        with transaction.atomic():
            case = AlertCase.objects.select_for_update().get(pk=pk)
            if case.status == CaseStatus.PUBLISHED:
                _end(case, EndReason.EXPIRED, moment, None)
                ended += 1
    return ended


def alerts_purge(*, now: datetime | None = None) -> int:
    """Erase the child's and the guardian's data from cases ended (or refused) longer than the
    retention period ago; keep only anonymous figures: dates, area, radius, reach."""
    moment = now or timezone.now()
    limit = moment - timedelta(days=settings.ALERT_RETENTION_DAYS)
    due = AlertCase.objects.filter(purged_at__isnull=True).filter(
        Q(status=CaseStatus.ENDED, ended_at__lte=limit)
        | Q(status=CaseStatus.REFUSED, validated_at__lte=limit)
    )
    purged = 0
    for case in due:
        with transaction.atomic():
            case.reached = selectors.reach(case)
            if case.photo:
                default_storage.delete(case.photo)
            for name, value in {
                "child_first_name": "",
                "description": "",
                "clothing": "",
                "places": "",
                "photo": "",
                "last_seen_place": "",
                "guardian_name": "",
                "guardian_document_number": "",
                "guardian_phone": "",
                "refusal_reason": "",
            }.items():
                setattr(case, name, value)
            # The point is rounded to about 10 km: enough for figures, not for a home.
            case.last_seen_lat = round(case.last_seen_lat, 1)
            case.last_seen_lon = round(case.last_seen_lon, 1)
            case.purged_at = moment
            case.save()
            case.messages.update(xml="")
            Delivery.objects.filter(message__case=case).delete()
            residents.erase(case)
            audit_record(
                actor=None, action=AuditAction.ALERTS_PURGE, target=case, area_id=case.area_id
            )
            purged += 1
    return purged


# --- subscriptions ---------------------------------------------------------------------------


def push_endpoint_allowed(endpoint: str) -> bool:
    """Only the known push services are contacted (never an arbitrary or internal address):
    HTTPS to a host in QURB_ALERT_PUSH_HOSTS, or plain HTTP to a loopback host listed there."""
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    if not host or len(endpoint) > 1000:
        return False
    listed = any(
        host == entry or (entry.startswith(".") and host.endswith(entry))
        for entry in (e.lower() for e in settings.ALERT_PUSH_HOSTS)
    )
    if not listed:
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and host in {"127.0.0.1", "localhost", "::1"}


def subscription_create(
    *,
    channel: str,
    language: str = "ar",
    email: str = "",
    endpoint: str = "",
    p256dh: str = "",
    auth: str = "",
    lat: float | None = None,
    lon: float | None = None,
    radius_km: float | None = None,
    district: Area | None = None,
) -> Subscription:
    """Alerts for a point and radius, or a district. An e-mail address must confirm (double
    opt-in, one confirmation e-mail per address a day); a push subscription comes from the
    browser that asked for it. Raises ``Refused("not_owner")`` when a push endpoint already
    subscribed comes back without the same keys."""
    errors: dict[str, list[Any]] = {}
    if channel == Channel.EMAIL:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = [_("Give a valid e-mail address.")]
    elif channel == Channel.PUSH:
        if not p256dh or not auth or not push_endpoint_allowed(endpoint):
            errors["endpoint"] = [_("This browser did not give a usable push subscription.")]
    else:
        errors["channel"] = [_("Choose e-mail or notifications.")]
    if district is None:
        max_radius = settings.ALERT_SUBSCRIBER_MAX_RADIUS_KM
        if lat is None or lon is None:
            errors["lat"] = [_("Choose a district, or a place on the map and a radius.")]
        elif not areas_at(lat=lat, lon=lon):
            errors["lat"] = [_("This point is outside every area Qurb covers.")]
        if radius_km is None or not 1 <= radius_km <= max_radius:
            errors["radius_km"] = [
                _("The radius must be between 1 and %(max)s km.") % {"max": max_radius}
            ]
    elif district_of_area(district) is None:
        errors["district"] = [_("Choose a district.")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    subscription = Subscription(
        channel=channel,
        language=language if language in {"ar", "fr", "en"} else "ar",
        email=email.strip() if channel == Channel.EMAIL else "",
        endpoint=endpoint if channel == Channel.PUSH else "",
        p256dh=p256dh,
        auth=auth,
        lat=None if district else lat,
        lon=None if district else lon,
        radius_km=None if district else radius_km,
        district=district,
        confirmed_at=now if channel == Channel.PUSH else None,
        token=secrets.token_urlsafe(24),
    )
    if channel == Channel.EMAIL and not optin.confirmation_due(subscription.email):
        # A confirmation already went to this address today: nothing is stored or sent, so
        # that no one can flood someone else's mailbox (the caller answers as usual).
        return subscription
    try:
        with transaction.atomic():
            subscription.save()
            if channel == Channel.EMAIL:
                transaction.on_commit(lambda: _send_confirmation(subscription.pk))
    except IntegrityError:
        existing = Subscription.objects.get(endpoint=endpoint)
        # The Web Push keys are secrets only the subscribing browser holds: the same keys
        # are the same browser, whose area is replaced. Anyone else who knows the endpoint
        # changes nothing and learns nothing (not even the unsubscribe link).
        if not (
            secrets.compare_digest(existing.p256dh.encode(), p256dh.encode())
            and secrets.compare_digest(existing.auth.encode(), auth.encode())
        ):
            raise Refused("not_owner") from None
        for name in ("language", "lat", "lon", "radius_km", "district"):
            setattr(existing, name, getattr(subscription, name))
        existing.active = True
        existing.save()
        return existing
    return subscription


def district_of_area(area: Area) -> Area | None:
    return area if area.type.code == settings.REPORT_AREA_TYPE else None


def _send_confirmation(subscription_id: int) -> None:
    from qurb.alerts.tasks import send_confirmation

    send_confirmation.enqueue(subscription_id, timezone.now().isoformat())


def subscription_confirm(token: str) -> Subscription | None:
    return optin.confirm(Subscription.objects.all(), token)


def subscription_cancel(token: str) -> Subscription | None:
    return optin.leave(Subscription.objects.all(), token)
