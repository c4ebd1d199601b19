"""Missing-child alerts for the residents subscribed to neighbourhood messages
(``qurb.messaging``) who chose the missing-child topic.

Each CAP message of a case (the alert, an update, the end) is also a neighbourhood message of
kind ``missing_child`` (``source`` ``cap:<identifier>``), written in the transaction that
writes the CAP message. Its copies are queued by the alert's own fan-out task, right after the
copies for the alert's subscribers, and sent by messaging's workers: at once whatever the
subscriber's rhythm (never held for a digest) and through their quiet hours, by e-mail, Web
Push or SMS (``qurb.sms``, its caps per number and per area applying). Each copy opens the
alert's page, which answers 410 Gone once the alert has ended.

**Who.** An alert or an update: the subscriptions with an area (prefecture, district or
neighbourhood) whose outline meets the alert's circle (``geo.areas_meeting``; the alert's own
district subscribers are chosen the same way). The end: those an earlier copy reached, as for
the alert's own subscribers.

**One copy per person.** Someone subscribed both ways gets one copy of each CAP message: the
alert's own subscription wins. A neighbourhood copy is not queued for an e-mail address
(compared without regard to case) or a push endpoint that the alert's fan-out queued a copy of
the same CAP message for, in whatever state (a copy marked failed may still have left). The
alert's own subscription wins because it is the narrower choice (a circle or a district for
alerts only), and its copy carries the alert's own leave link and push ``Topic``. The two
fan-outs run one after the other in one task; when it is run again after a crash, the alert's
fan-out in turn skips any address that already has a neighbourhood copy (a person who
subscribed to alerts in between), so whichever copy was queued first stands, run after run.
The unique (message, subscription) pair of each side means nothing is queued twice.

**Ended.** When the alert ends, its earlier messages are withdrawn: their copies not sent yet
are never sent (messaging takes a copy only of a published message and before its
``send_until``, the alert's expiry, so not even between the expiry and the job that ends it),
and SMS handed to the gateway but not yet sent are withdrawn too. **Purged** with the case:
the texts and the link are erased from its messages, their copies deleted and the texts of the
SMS sent erased.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.urls import reverse

from qurb.alerts.geo import areas_meeting
from qurb.alerts.models import AlertCase, CapMessage, Delivery, MessageType, Subscription
from qurb.core.links import absolute
from qurb.core.text import FIELD_LANGUAGES
from qurb.messaging import delivery as messaging
from qurb.messaging import selectors as messaging_selectors
from qurb.messaging import services as messaging_services
from qurb.messaging.models import (
    AreaSubscription,
    DeliveryState,
    DistrictMessage,
    MessageDelivery,
    MessageKind,
    Topic,
)


def source_of(message: CapMessage) -> str:
    return f"cap:{message.identifier}"


def _sources(case: AlertCase, *, exclude: CapMessage | None = None) -> list[str]:
    messages = case.messages.all()
    if exclude is not None:
        messages = messages.exclude(pk=exclude.pk)
    return [f"cap:{identifier}" for identifier in messages.values_list("identifier", flat=True)]


def message_write(case: AlertCase, message: CapMessage) -> DistrictMessage:
    """The neighbourhood message of ``message``, in Arabic, French and English (the same
    texts as the alert's notifications), written in the caller's transaction."""
    from qurb.alerts.delivery import notice_texts

    titles, bodies = {}, {}
    for code in FIELD_LANGUAGES:
        title, text = notice_texts(case, message.msg_type, code)
        titles[code], bodies[code] = title[:140], text
    return messaging_services.missing_child_publish(
        source=source_of(message),
        area=case.area,
        titles=titles,
        bodies=bodies,
        link=absolute(reverse("alerts:page", args=[case.public_id])),
        send_until=None if message.msg_type == MessageType.CANCEL else case.expires_at,
    )


def area_message_ids(message_ids: list[int] | None = None) -> list[int]:
    """The neighbourhood messages of these CAP messages (of every alert when None)."""
    found = DistrictMessage.objects.filter(kind=MessageKind.MISSING_CHILD)
    if message_ids is None:
        found = found.filter(source__startswith="cap:")
    else:
        identifiers = CapMessage.objects.filter(pk__in=message_ids).values_list(
            "identifier", flat=True
        )
        found = found.filter(source__in=[f"cap:{i}" for i in identifiers])
    return list(found.values_list("pk", flat=True))


def _area_message(message: CapMessage) -> DistrictMessage | None:
    return DistrictMessage.objects.filter(
        kind=MessageKind.MISSING_CHILD, source=source_of(message)
    ).first()


# --- who -------------------------------------------------------------------------------------


def _same_person(
    copies: str, people: str, message_id: int, *, joined_on: str = "subscription_id"
) -> tuple[str, list[Any]]:
    """An SQL condition on subscription ``s``: no copy of ``message_id`` in table ``copies``
    was queued for a subscription of table ``people`` with the same e-mail address (without
    regard to case) or the same push endpoint as ``s``."""
    # One probe per subscription, by the indexes both sides keep (LOWER(email), the endpoint,
    # the unique (message, subscription) pair of each copy): a subquery with LIMIT stays a
    # per-row probe whatever the planner believes of a table the fan-out has just filled.
    base = (
        f"SELECT 1 FROM {people} p JOIN {copies} c ON c.{joined_on} = p.id"  # noqa: S608
        " WHERE c.message_id = %s"
    )
    email = (
        f"(s.channel <> 'email' OR ({base} AND p.email <> ''"
        " AND LOWER(p.email) = LOWER(s.email) LIMIT 1) IS NULL)"
    )
    push = (
        f"(s.channel <> 'push' OR ({base} AND p.endpoint <> ''"
        " AND p.endpoint = s.endpoint LIMIT 1) IS NULL)"
    )
    return f"{email} AND {push}", [message_id, message_id]


def without_area_copy(message: CapMessage) -> tuple[str, list[Any]]:
    """For the alert's own fan-out (on ``alerts`` subscription ``s``): not an address that a
    neighbourhood copy of ``message`` was queued for already. Nothing to check until there is
    one (the first run queues the alert's own copies first)."""
    area = _area_message(message)
    if area is None or not MessageDelivery.objects.filter(message=area).exists():
        return "1 = 1", []
    q = connection.ops.quote_name
    return _same_person(
        q(MessageDelivery._meta.db_table), q(AreaSubscription._meta.db_table), area.pk
    )


def _audience(message: CapMessage) -> tuple[str, list[Any]]:
    """The neighbourhood subscriptions (``s``) a copy of ``message`` is for."""
    case = message.case
    if message.msg_type == MessageType.CANCEL:
        earlier = list(
            DistrictMessage.objects.filter(
                kind=MessageKind.MISSING_CHILD, source__in=_sources(case, exclude=message)
            ).values_list("pk", flat=True)
        )
        condition, params = messaging.reached_by(earlier, Topic.MISSING_CHILD)
    else:
        areas = areas_meeting(case.last_seen_lat, case.last_seen_lon, float(case.radius_km))
        condition, params = messaging.in_areas(areas, Topic.MISSING_CHILD)
    q = connection.ops.quote_name
    skip, more = _same_person(
        q(Delivery._meta.db_table), q(Subscription._meta.db_table), message.pk
    )
    return f"({condition}) AND {skip}", [*params, *more]


def fan_out(
    message: CapMessage,
    dispatch: Callable[[int, int], None],
    *,
    size: int | None = None,
    now: datetime | None = None,
) -> messaging.FanOut:
    """Queue the neighbourhood copies of ``message`` (after the alert's own: see the module's
    docstring), chunk by chunk, calling ``dispatch(first, last)`` with each chunk's copy ids
    for messaging's ``deliver_copies``."""
    area = _area_message(message)
    if area is None:
        return messaging.FanOut()
    condition, params = _audience(message)
    return messaging.fan_out_to(area, condition, params, dispatch, size=size, now=now)


# --- sending (through messaging's workers) ---------------------------------------------------


def deliver(*, message_id: int | None = None) -> messaging.Stats:
    """The neighbourhood copies due, of ``message_id`` or of every alert, here and now."""
    stats = messaging.Stats()
    ids = area_message_ids(None if message_id is None else [message_id])
    if ids:
        for first, last in list(messaging.due_ranges(message_ids=ids)):
            stats.add(messaging.deliver_range(first, last).stats)
    return stats


def _copies(message_id: int) -> QuerySet[MessageDelivery]:
    return MessageDelivery.objects.filter(message_id__in=area_message_ids([message_id]))


def copies_stranded(message_id: int, cutoff: datetime) -> bool:
    """For the workers' sweep: neighbourhood copies of ``message_id`` due since before
    ``cutoff`` (pending, or left ``sending`` by a dead worker)."""
    return (
        _copies(message_id)
        .filter(
            Q(state=DeliveryState.PENDING, next_attempt_at__lt=cutoff)
            | Q(state=DeliveryState.SENDING, lease_until__lt=cutoff)
        )
        .exists()
    )


def copies_leaving(message_id: int, since: datetime) -> bool:
    """A neighbourhood copy of ``message_id`` has left since ``since``."""
    return _copies(message_id).filter(sent_at__gte=since).exists()


def due_ranges(message_id: int, now: datetime) -> list[tuple[int, int]]:
    """Ranges of the neighbourhood copies of ``message_id`` due at ``now`` (for messaging's
    ``deliver_copies``)."""
    ids = area_message_ids([message_id])
    return list(messaging.due_ranges(message_ids=ids, now=now)) if ids else []


# --- the end and the purge -------------------------------------------------------------------


def end(case: AlertCase, cancel: CapMessage) -> int:
    """The alert ended (``cancel`` is its end): its earlier neighbourhood messages are
    withdrawn and their copies not sent yet never leave. Returns how many were stopped."""
    return messaging_services.missing_child_end(sources=_sources(case, exclude=cancel))


def erase(case: AlertCase) -> int:
    """The case purged: the child's details leave its neighbourhood messages, their copies
    and the texts of their SMS."""
    return messaging_services.missing_child_erase(sources=_sources(case))


def reached(case: AlertCase) -> int:
    """Neighbourhood subscriptions a copy of the case reached (for the reach figure)."""
    return messaging_selectors.missing_child_reached(_sources(case))
