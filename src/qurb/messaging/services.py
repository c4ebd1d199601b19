"""Writes for neighbourhood messages: the district team's messages (write, send for review,
approve or return, publish, withdraw; each audited) and residents' subscriptions (no account:
double opt-in, one-click leave, preferences by token).

Publishing commits the message and then starts its fan-out (``qurb.messaging.tasks``); the
workers' sweep starts any fan-out whose start was lost.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qurb.accounts.models import User
from qurb.areas.models import Area
from qurb.audit.actions import AuditAction, change
from qurb.audit.services import audit_record, audited
from qurb.core import optin, webpush
from qurb.core.errors import Invalid, NotFound, Refused
from qurb.core.text import FIELD_LANGUAGES, languages_of
from qurb.messaging import delivery, policy, sms
from qurb.messaging.models import (
    WRITTEN_KINDS,
    AreaSubscription,
    Channel,
    DeliveryState,
    DistrictMessage,
    MessageDelivery,
    MessageKind,
    MessageStatus,
    Rhythm,
    SubscriptionArea,
    Topic,
    topics_mask,
)

MAX_AREAS = 10


# --- the district team's messages ------------------------------------------------------------


def _clean_texts(titles: Mapping[str, str], bodies: Mapping[str, str]) -> dict[str, str]:
    values: dict[str, str] = {}
    errors: dict[str, list[Any]] = {}
    for code in FIELD_LANGUAGES:
        title = " ".join(str(titles.get(code) or "").split())  # one line: it is a subject
        body = str(bodies.get(code) or "").strip()
        if bool(title) != bool(body):
            errors[f"title_{code}" if not title else f"body_{code}"] = [
                _("Give both the title and the text in this language, or neither.")
            ]
        if len(title) > 140:
            errors[f"title_{code}"] = [_("At most 140 characters.")]
        if len(body) > 2000:
            errors[f"body_{code}"] = [_("At most 2000 characters.")]
        values[f"title_{code}"], values[f"body_{code}"] = title, body
    if not any(values[f"title_{c}"] for c in FIELD_LANGUAGES) and not errors:
        errors["title_ar"] = [_("Write the message in at least one language.")]
    if errors:
        raise Invalid(errors, "invalid_message")
    return values


@audited(AuditAction.MESSAGING_SAVE)
def message_save(
    *,
    actor: User,
    area: Area,
    kind: str,
    titles: Mapping[str, str],
    bodies: Mapping[str, str],
    ends_on: date | None = None,
    message: DistrictMessage | None = None,
) -> DistrictMessage:
    """Write a message (a draft), or change a draft or one returned by its reviewer, in one or
    more of Arabic, French and English (the reader's language, else the others in turn)."""
    policy.require_write(actor, area)
    if message is not None:
        policy.require_write(actor, message.area)
        if message.status != MessageStatus.DRAFT:
            raise Invalid({"status": [_("Only a draft can be changed.")]}, "not_draft")
    if kind not in WRITTEN_KINDS:
        raise Invalid({"kind": [_("Choose the kind of message.")]}, "invalid_kind")
    values = _clean_texts(titles, bodies)
    if ends_on is not None and ends_on < timezone.localdate():
        raise Invalid({"ends_on": [_("The end date is already past.")]}, "ended")
    created = message is None
    if message is None:
        message = DistrictMessage(author=actor)
    message.area = area
    message.kind = kind
    message.ends_on = ends_on
    message.needs_review = policy.needs_review(area)
    for name, value in values.items():
        setattr(message, name, value)
    message.save()
    audit_record(
        actor=actor,
        action=AuditAction.MESSAGING_SAVE,
        target=message,
        area_id=area.pk,
        details={
            "created": created,
            "languages": languages_of({c: values[f"title_{c}"] for c in FIELD_LANGUAGES}),
        },
    )
    return message


def _locked(message: DistrictMessage) -> DistrictMessage:
    found = DistrictMessage.objects.select_for_update().filter(pk=message.pk).first()
    if found is None:
        raise NotFound
    return found


def _status_error(message: Any) -> Invalid:
    return Invalid({"status": [message]}, "wrong_status")


@audited(AuditAction.MESSAGING_SUBMIT)
def message_submit(*, actor: User, message: DistrictMessage) -> DistrictMessage:
    """Send a draft for review by a second person (required beyond one district)."""
    policy.require_write(actor, message.area)
    message = _locked(message)
    if message.status != MessageStatus.DRAFT:
        raise _status_error(_("Only a draft can be sent for review."))
    message.status = MessageStatus.REVIEW
    message.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action=AuditAction.MESSAGING_SUBMIT,
        target=message,
        area_id=message.area_id,
        details={"changes": {"status": change("draft", "review")}},
    )
    return message


def _publish(message: DistrictMessage) -> None:
    message.status = MessageStatus.PUBLISHED
    message.published_at = timezone.now()
    message.save(update_fields=["status", "published_at", "reviewer", "review_note"])
    pk = message.pk
    transaction.on_commit(lambda: _start_fan_out(pk))


def _start_fan_out(message_id: int) -> None:
    from qurb.messaging.tasks import fan_out_message

    fan_out_message.enqueue(message_id)


@audited(AuditAction.MESSAGING_PUBLISH)
def message_publish(*, actor: User, message: DistrictMessage) -> DistrictMessage:
    """Publish a draft addressed to one district or less, without review."""
    policy.require_write(actor, message.area)
    message = _locked(message)
    if message.status != MessageStatus.DRAFT:
        raise _status_error(_("Only a draft can be published."))
    if policy.needs_review(message.area):
        raise Invalid(
            {"status": [_("A message to more than one district needs a second person's review.")]},
            "review_needed",
        )
    _publish(message)
    audit_record(
        actor=actor,
        action=AuditAction.MESSAGING_PUBLISH,
        target=message,
        area_id=message.area_id,
        details={"changes": {"status": change("draft", "published")}},
    )
    return message


@audited(AuditAction.MESSAGING_REVIEW)
def message_review(
    *, actor: User, message: DistrictMessage, approve: bool, note: str = ""
) -> DistrictMessage:
    """A second person (never the author) approves a message, which is published, or returns
    it to its author as a draft with a note."""
    policy.require_review(actor, message)
    message = _locked(message)
    if message.status != MessageStatus.REVIEW:
        raise _status_error(_("This message is not waiting for review."))
    note = note.strip()[:500]
    if not approve and not note:
        raise Invalid({"note": [_("Say what should change.")]}, "note_needed")
    message.reviewer = actor
    message.review_note = note
    if approve:
        _publish(message)
    else:
        message.status = MessageStatus.DRAFT
        message.save(update_fields=["status", "reviewer", "review_note"])
    details: dict[str, Any] = {
        "decision": "approve" if approve else "return",
        "changes": {"status": change("review", str(message.status))},
    }
    if note:
        details["note"] = note
    audit_record(
        actor=actor,
        action=AuditAction.MESSAGING_REVIEW,
        target=message,
        area_id=message.area_id,
        details=details,
    )
    return message


@audited(AuditAction.MESSAGING_WITHDRAW)
def message_withdraw(*, actor: User, message: DistrictMessage) -> DistrictMessage:
    """Take a published message down: off the pages and feeds; copies not yet sent (waiting
    for a digest, or for the end of quiet hours) are never sent."""
    policy.require_write(actor, message.area)
    message = _locked(message)
    if message.status != MessageStatus.PUBLISHED:
        raise _status_error(_("Only a published message can be withdrawn."))
    message.status = MessageStatus.WITHDRAWN
    message.withdrawn_at = timezone.now()
    message.save(update_fields=["status", "withdrawn_at"])
    MessageDelivery.objects.filter(
        message=message, state__in=[DeliveryState.WAITING, DeliveryState.PENDING]
    ).update(state=DeliveryState.FAILED, error="withdrawn")
    audit_record(
        actor=actor,
        action=AuditAction.MESSAGING_WITHDRAW,
        target=message,
        area_id=message.area_id,
        details={"changes": {"status": change("published", "withdrawn")}},
    )
    return message


def message_automatic(
    *,
    source: str,
    area: Area,
    kind: str,
    titles: Mapping[str, str],
    bodies: Mapping[str, str],
    ends_on: date | None = None,
) -> DistrictMessage | None:
    """An item Qurb writes itself (a meeting planned, a priority set or closed, the yearly
    report): published at once, written once per ``source``. None if it exists already."""
    values = _clean_texts(titles, bodies)
    message = DistrictMessage(
        area=area,
        kind=kind,
        ends_on=ends_on,
        source=source[:60],
        needs_review=False,
        **values,
    )
    try:
        with transaction.atomic():
            message.save()
            _publish(message)
    except IntegrityError:
        return None
    return message


# --- subscriptions ---------------------------------------------------------------------------


def _subscribable(areas: Iterable[Area]) -> list[Area]:
    found = list(dict.fromkeys(areas))
    if not found:
        raise Invalid({"areas": [_("Choose at least one neighbourhood.")]}, "no_area")
    if len(found) > MAX_AREAS:
        raise Invalid(
            {"areas": [_("At most %(n)s areas per subscription.") % {"n": MAX_AREAS}]},
            "too_many_areas",
        )
    return found


def _preferences(
    topics: Iterable[str], rhythm: str, quiet_start: time | None, quiet_end: time | None
) -> tuple[int, dict[str, list[Any]]]:
    errors: dict[str, list[Any]] = {}
    chosen = [t for t in topics if t in Topic.values]
    mask = topics_mask(chosen)
    if not mask:
        errors["topics"] = [_("Choose at least one thing to hear about.")]
    if rhythm not in Rhythm.values:
        errors["rhythm"] = [_("Choose how often.")]
    if (quiet_start is None) != (quiet_end is None):
        errors["quiet_end"] = [_("Give both the start and the end of the quiet hours.")]
    return mask, errors


def subscription_create(
    *,
    channel: str,
    areas: Iterable[Area],
    topics: Iterable[str] = tuple(Topic.values),
    rhythm: str = Rhythm.NOW,
    quiet_start: time | None = None,
    quiet_end: time | None = None,
    language: str = "ar",
    email: str = "",
    endpoint: str = "",
    p256dh: str = "",
    auth: str = "",
    number: str = "",
) -> AreaSubscription:
    """Subscribe to areas. E-mail: confirmed by a link (one confirmation e-mail per address a
    day); SMS: confirmed by the 6-digit code texted to the number; Web Push: the browser that
    asked holds the keys, so it is confirmed at once. Raises ``Refused("not_owner")`` when a
    known push endpoint comes back without its keys."""
    chosen = _subscribable(areas)
    mask, errors = _preferences(topics, rhythm, quiet_start, quiet_end)
    normalised = ""
    if channel == Channel.EMAIL:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = [_("Give a valid e-mail address.")]
    elif channel == Channel.PUSH:
        if not p256dh or not auth or not webpush.endpoint_allowed(endpoint):
            errors["endpoint"] = [_("This browser did not give a usable push subscription.")]
    elif channel == Channel.SMS:
        try:
            normalised = sms.normalise(number)
        except ValidationError as exc:
            errors["number"] = exc.messages
    else:
        errors["channel"] = [_("Choose e-mail, notifications or text messages.")]
    if errors:
        raise Invalid(errors, "invalid_subscription")
    subscription = AreaSubscription(
        channel=channel,
        language=language if language in FIELD_LANGUAGES else "ar",
        email=email.strip() if channel == Channel.EMAIL else "",
        endpoint=endpoint if channel == Channel.PUSH else "",
        p256dh=p256dh if channel == Channel.PUSH else "",
        auth=auth if channel == Channel.PUSH else "",
        number=normalised,
        number_hash=sms.number_hash(normalised) if normalised else "",
        topics=mask,
        rhythm=rhythm,
        quiet_start=quiet_start,
        quiet_end=quiet_end,
        confirmed_at=timezone.now() if channel == Channel.PUSH else None,
        token=secrets.token_urlsafe(24),
    )
    if channel == Channel.EMAIL and not optin.confirmation_due(subscription.email):
        # A confirmation already went to this address today: nothing stored or sent, so that
        # no one floods someone else's mailbox (the caller answers as usual).
        return subscription
    try:
        with transaction.atomic():
            subscription.save()
            SubscriptionArea.objects.bulk_create(
                [SubscriptionArea(subscription=subscription, area=a) for a in chosen]
            )
            if channel == Channel.EMAIL:
                pk = subscription.pk
                transaction.on_commit(lambda: _send_confirmation(pk))
            elif channel == Channel.SMS:  # no code may go (STOP, too many): nothing is kept
                sms.send_code(
                    number=normalised, language=subscription.language, scope=subscription.token
                )
    except IntegrityError:
        return _push_again(subscription, chosen)
    except ValidationError as exc:
        raise Invalid({"number": exc.messages}, "no_code") from exc
    return subscription


def _push_again(subscription: AreaSubscription, areas: list[Area]) -> AreaSubscription:
    """A push endpoint already subscribed: the same browser (the same secret keys) changes its
    choices; anyone else changes nothing and learns nothing."""
    existing = AreaSubscription.objects.get(endpoint=subscription.endpoint)
    if not (
        secrets.compare_digest(existing.p256dh.encode(), subscription.p256dh.encode())
        and secrets.compare_digest(existing.auth.encode(), subscription.auth.encode())
    ):
        raise Refused("not_owner") from None
    with transaction.atomic():
        for name in ("language", "topics", "rhythm", "quiet_start", "quiet_end"):
            setattr(existing, name, getattr(subscription, name))
        existing.active = True
        existing.save()
        _set_areas(existing, areas)
    return existing


def _set_areas(subscription: AreaSubscription, areas: list[Area]) -> None:
    SubscriptionArea.objects.filter(subscription=subscription).exclude(area__in=areas).delete()
    have = set(
        SubscriptionArea.objects.filter(subscription=subscription).values_list("area_id", flat=True)
    )
    SubscriptionArea.objects.bulk_create(
        [SubscriptionArea(subscription=subscription, area=a) for a in areas if a.pk not in have]
    )


def _send_copies(first: int, last: int) -> None:
    from qurb.messaging.tasks import deliver_copies

    deliver_copies.enqueue(first, last)


def _send_confirmation(subscription_id: int) -> None:
    from qurb.messaging.tasks import send_confirmation

    send_confirmation.enqueue(subscription_id)


def subscription_confirm(token: str) -> AreaSubscription | None:
    """The e-mail's confirmation link (a button: a mail scanner does not confirm)."""
    return optin.confirm(AreaSubscription.objects.exclude(channel=Channel.SMS), token)


def subscription_confirm_code(token: str, code: str) -> AreaSubscription:
    """An SMS subscription confirmed by the code texted to its number."""
    subscription = AreaSubscription.objects.filter(
        token=token, channel=Channel.SMS, active=True
    ).first()
    if subscription is None:
        raise NotFound
    if subscription.confirmed_at is None:
        code = code.strip()
        if len(code) > 12 or not sms.check_code(
            number=subscription.number, code=code, scope=subscription.token
        ):
            raise Invalid({"code": [_("This code is not the one we sent.")]}, "wrong_code")
        AreaSubscription.objects.filter(pk=subscription.pk, confirmed_at__isnull=True).update(
            confirmed_at=timezone.now()
        )
        subscription.refresh_from_db()
    return subscription


def subscription_cancel(token: str) -> AreaSubscription | None:
    """One-click leave: nothing more is sent, including copies already queued."""
    left = optin.leave(AreaSubscription.objects.all(), token)
    if left is not None:
        MessageDelivery.objects.filter(
            subscription=left, state__in=[DeliveryState.WAITING, DeliveryState.PENDING]
        ).update(state=DeliveryState.FAILED, error="unsubscribed")
    return left


def subscription_update(
    *,
    token: str,
    areas: Iterable[Area],
    topics: Iterable[str],
    rhythm: str,
    quiet_start: time | None,
    quiet_end: time | None,
    language: str,
) -> AreaSubscription:
    """Preferences, by the subscription's token (the link in every message)."""
    subscription = AreaSubscription.objects.filter(token=token, active=True).first()
    if subscription is None:
        raise NotFound
    chosen = _subscribable(areas)
    mask, errors = _preferences(topics, rhythm, quiet_start, quiet_end)
    if errors:
        raise Invalid(errors, "invalid_subscription")
    with transaction.atomic():
        waiting = MessageDelivery.objects.filter(
            subscription=subscription, state=DeliveryState.WAITING
        )
        if rhythm == Rhythm.NOW:  # what waited for a digest goes now
            ids = list(waiting.values_list("pk", flat=True))
            waiting.update(state=DeliveryState.PENDING, next_attempt_at=timezone.now())
            if ids:
                transaction.on_commit(lambda: _send_copies(min(ids), max(ids)))
        subscription.topics = mask
        subscription.rhythm = rhythm
        subscription.quiet_start, subscription.quiet_end = quiet_start, quiet_end
        subscription.language = language if language in FIELD_LANGUAGES else "ar"
        subscription.save()
        _set_areas(subscription, chosen)
    return subscription


def numbers_stopped(number_hash: str) -> int:
    """A ``STOP`` texted from a number: each of its SMS subscriptions is switched off."""
    subscriptions = AreaSubscription.objects.filter(
        channel=Channel.SMS, number_hash=number_hash, active=True
    )
    ids = list(subscriptions.values_list("pk", flat=True))
    with transaction.atomic():
        MessageDelivery.objects.filter(
            subscription_id__in=ids, state__in=[DeliveryState.WAITING, DeliveryState.PENDING]
        ).update(state=DeliveryState.FAILED, error="unsubscribed")
        return AreaSubscription.objects.filter(pk__in=ids).update(active=False)


def delivery_opened(reference: str) -> bool:
    """A copy's link was followed (push notifications and e-mails tell this way)."""
    delivery_id = delivery.opened_id(reference)
    if delivery_id is None:
        return False
    return bool(
        MessageDelivery.objects.filter(pk=delivery_id, opened_at__isnull=True).update(
            opened_at=timezone.now()
        )
    )


# --- missing-child alerts (written by qurb.alerts) ---------------------------------------------


def missing_child_publish(
    *,
    source: str,
    area: Area,
    titles: Mapping[str, str],
    bodies: Mapping[str, str],
    link: str,
    send_until: datetime | None,
) -> DistrictMessage:
    """A missing-child alert's message (one per CAP message, ``source``) for the
    neighbourhood subscribers who chose the missing-child topic: published at once, in the
    caller's transaction, and written once (the existing one is returned). It is not on the
    pages, feeds or staff lists (the alert's own page, ``link``, is its public face, and ends
    with it); ``qurb.alerts`` queues its copies (``delivery.fan_out_to``), which go at once
    whatever the rhythm and the quiet hours, and none after ``send_until``."""
    existing = DistrictMessage.objects.filter(source=source).first()
    if existing is not None:
        return existing
    now = timezone.now()
    message = DistrictMessage(
        area=area,
        kind=MessageKind.MISSING_CHILD,
        source=source[:60],
        link=link,
        send_until=send_until,
        needs_review=False,
        status=MessageStatus.PUBLISHED,
        published_at=now,
        **_clean_texts(titles, bodies),
    )
    message.full_clean()
    message.save()
    return message


def _missing_child(sources: Iterable[str]) -> QuerySet[DistrictMessage]:
    return DistrictMessage.objects.filter(kind=MessageKind.MISSING_CHILD, source__in=sources)


def missing_child_end(*, sources: Iterable[str]) -> int:
    """The alert ended: its messages are withdrawn, and their copies not sent yet (queued, or
    handed to the SMS gateway and waiting there) are never sent. Returns how many copies
    were stopped."""
    messages = _missing_child(sources)
    ids = list(messages.values_list("pk", flat=True))
    with transaction.atomic():
        messages.filter(status=MessageStatus.PUBLISHED).update(
            status=MessageStatus.WITHDRAWN, withdrawn_at=timezone.now()
        )
        stopped = MessageDelivery.objects.filter(
            message_id__in=ids,
            state__in=[DeliveryState.WAITING, DeliveryState.PENDING],
        ).update(state=DeliveryState.FAILED, error="the alert ended first")
        stopped += sms.withdraw(ids)
    return stopped


def missing_child_erase(*, sources: Iterable[str]) -> int:
    """The alert purged: the child's details leave its messages (titles, texts, link), the
    copies are deleted and the texts of the SMS sent are erased; what stays is anonymous
    (kind, area, dates). Returns how many messages were erased."""
    messages = _missing_child(sources)
    ids = list(messages.values_list("pk", flat=True))
    if not ids:
        return 0
    now = timezone.now()
    with transaction.atomic():
        sms.withdraw(ids, erase=True)
        MessageDelivery.objects.filter(message_id__in=ids).delete()
        messages.filter(withdrawn_at__isnull=True).update(withdrawn_at=now)
        return messages.update(
            status=MessageStatus.WITHDRAWN,
            link="",
            **{f"{part}_{code}": "" for part in ("title", "body") for code in FIELD_LANGUAGES},
        )
