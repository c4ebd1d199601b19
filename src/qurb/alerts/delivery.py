"""Deliveries: who an alert must reach, and the workers that reach them, one copy at a time.

**Fan-out.** Once a message is committed, the task ``fan_out`` walks the subscribers it must
reach in chunks of ``ALERT_DELIVERY_CHUNK`` (by subscription id, so a chunk is one indexed
range), queues their deliveries with one ``INSERT … SELECT`` per chunk, and dispatches each
chunk as its own task at once: the first copies leave while later chunks are still being
queued, and every worker on every machine takes chunks from the broker. Subscribers whose
circle meets the alert's circle (haversine, after a bounding-box cut on the indexed point), or
whose district meets it; the unique (message, subscription) pair means nobody is queued twice,
so a fan-out run again after a crash adds nothing.

**Sending.** ``deliver_range`` sends the copies of one chunk one after the other. Each copy
has its own state: it is claimed (``pending`` → ``sending``, with a lease) in one committed
statement, sent, and its outcome committed at once: sent; gone (the push service no longer
knows the subscription, which is then switched off); back to ``pending`` with a growing delay
after a timeout, a 429 or a 5xx; failed after the last attempt or a refusal. A worker killed at
any instant therefore leaves at most one copy in ``sending``: when its lease runs out, a push
copy is sent again (its ``Topic`` lets the push service replace it rather than show it twice),
an e-mail copy is marked failed rather than risk a second one. The chunk task comes back by
itself for retries and leases (``come_back_at``), and the broker gives a killed worker's chunk
to another worker.

On PostgreSQL the per-copy commits are asynchronous (``synchronous_commit = off`` for the
sending connection): a crash of the database server itself could forget the last states
recorded and send those copies again; a crash of a worker loses nothing.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from qurb.alerts import push
from qurb.alerts.geo import EARTH_KM, bounding_box, districts_meeting
from qurb.alerts.models import (
    AlertCase,
    CapMessage,
    CaseStatus,
    Channel,
    Delivery,
    DeliveryState,
    MessageType,
    Subscription,
)
from qurb.core import copies
from qurb.core.bidi import isolated
from qurb.core.links import absolute


def _tables() -> tuple[str, str]:
    q = connection.ops.quote_name
    return q(Delivery._meta.db_table), q(Subscription._meta.db_table)


# --- who: the subscribers a message must reach ----------------------------------------------


def _audience(message: CapMessage) -> tuple[str, list[Any]]:
    """The SQL condition (on subscription ``s``) and its parameters for ``message``: those it
    reaches, less any address a neighbourhood copy of the same message was queued for already
    (a fan-out run again after a crash; see ``qurb.alerts.residents``)."""
    from qurb.alerts import residents

    condition, params = _reach(message)
    skip, more = residents.without_area_copy(message)
    return f"({condition}) AND {skip}", [*params, *more]


def _reach(message: CapMessage) -> tuple[str, list[Any]]:
    delivery, _subscription = _tables()
    if message.msg_type == MessageType.CANCEL:
        # The end reaches everyone an earlier message reached or was reaching.
        earlier = list(
            CapMessage.objects.filter(case_id=message.case_id)
            .exclude(pk=message.pk)
            .values_list("pk", flat=True)
        )
        if not earlier:
            return "1 = 0", []
        marks = ", ".join(["%s"] * len(earlier))
        reached = (
            f"s.active AND s.id IN (SELECT d.subscription_id FROM {delivery} d"  # noqa: S608
            f" WHERE d.message_id IN ({marks}) AND d.state IN ('sent', 'sending'))"
        )
        return reached, earlier
    case = message.case
    lat, lon, radius = case.last_seen_lat, case.last_seen_lon, float(case.radius_km)
    south, north, west, east = bounding_box(
        lat, lon, radius + settings.ALERT_SUBSCRIBER_MAX_RADIUS_KM
    )
    districts = districts_meeting(lat, lon, radius)
    by_district = ""
    params: list[Any] = []
    if districts:
        by_district = f"s.district_id IN ({', '.join(['%s'] * len(districts))}) OR "
        params += districts
    params += [south, north, west, east, lat, lat, lon, radius]
    # Two circles meet when their centres are closer than the sum of their radii (both radii
    # are bounded far below half the globe, where the haversine comparison stays monotonic).
    return (
        f"""s.active AND s.confirmed_at IS NOT NULL AND ({by_district}(
            s.lat BETWEEN %s AND %s AND s.lon BETWEEN %s AND %s
            AND POWER(SIN(RADIANS(s.lat - %s) / 2), 2)
                + COS(RADIANS(%s)) * COS(RADIANS(s.lat)) * POWER(SIN(RADIANS(s.lon - %s) / 2), 2)
                <= POWER(SIN((%s + s.radius_km) / (2 * {EARTH_KM})), 2)
        ))""",
        params,
    )


def _next_range(condition: str, params: list[Any], after: int, size: int) -> tuple[int, int]:
    """The first and last subscription ids of the next chunk after ``after`` (0, 0: none)."""
    return copies.next_chunk(Subscription, condition, params, after, size)


def _queue_range(
    message: CapMessage, condition: str, params: list[Any], lo: int, hi: int, now: datetime
) -> int:
    return copies.queue_chunk(
        Delivery,
        Subscription,
        message_id=message.pk,
        state="'pending'",
        condition=condition,
        params=params,
        lo=lo,
        hi=hi,
        now=now,
    )


@dataclass
class FanOut:
    queued: int = 0
    chunks: int = 0
    # The copies for neighbourhood subscribers (qurb.alerts.residents), queued afterwards.
    neighbourhood_queued: int = 0
    neighbourhood_chunks: int = 0


def fan_out(
    message_id: int,
    dispatch: Callable[[int, int, int], None],
    *,
    size: int | None = None,
    now: datetime | None = None,
    dispatch_copies: Callable[[int, int], None] | None = None,
) -> FanOut:
    """Queue the deliveries of a message chunk by chunk, calling ``dispatch(message, first,
    last)`` for each chunk as soon as it is committed; then the copies for neighbourhood
    subscribers (``qurb.alerts.residents``), calling ``dispatch_copies(first, last)`` (ids of
    ``qurb.messaging`` copies) for each of their chunks. Safe to run again: queued pairs are
    not queued twice, and every chunk is dispatched again (sending it twice sends nothing
    twice). The message counts as fanned out only once both are queued."""
    from qurb.alerts import residents

    chunk_size = size
    size = size or settings.ALERT_DELIVERY_CHUNK
    done = FanOut()
    message = CapMessage.objects.select_related("case").filter(pk=message_id).first()
    if message is None:
        return done
    CapMessage.objects.filter(pk=message_id).update(fanout_started_at=timezone.now())
    condition, params = _audience(message)
    after = 0
    live = True
    while True:
        if message.msg_type != MessageType.CANCEL and _ended(message):
            live = False  # the alert ended while it was being queued: the end notice takes over
            break
        lo, hi = _next_range(condition, params, after, size)
        if not lo:
            break
        with transaction.atomic():
            done.queued += _queue_range(message, condition, params, lo, hi, now or timezone.now())
        dispatch(message_id, lo, hi)
        done.chunks += 1
        after = hi
        if done.chunks % 50 == 0:  # still at work: the sweeper leaves it alone
            CapMessage.objects.filter(pk=message_id).update(fanout_started_at=timezone.now())
    if live:
        chunks = 0

        def dispatched(first: int, last: int) -> None:
            nonlocal chunks
            if dispatch_copies is not None:
                dispatch_copies(first, last)
            chunks += 1
            if chunks % 50 == 0:  # still at work: the sweeper leaves it alone
                CapMessage.objects.filter(pk=message_id).update(fanout_started_at=timezone.now())

        area = residents.fan_out(message, dispatched, size=chunk_size, now=now)
        done.neighbourhood_queued, done.neighbourhood_chunks = area.queued, area.chunks
    CapMessage.objects.filter(pk=message_id).update(fanned_out_at=timezone.now())
    return done


def enqueue_area(message: CapMessage, case: AlertCase, *, now: datetime | None = None) -> int:
    """Queue every delivery of ``message`` at once (no dispatch): how many were added."""
    condition, params = _audience(message)
    added, after = 0, 0
    while True:
        lo, hi = _next_range(condition, params, after, settings.ALERT_DELIVERY_CHUNK)
        if not lo:
            return added
        added += _queue_range(message, condition, params, lo, hi, now or timezone.now())
        after = hi


def drop_waiting(earlier: list[int]) -> int:
    """When an alert ends: its messages' copies still waiting are never sent."""
    return Delivery.objects.filter(message_id__in=earlier, state=DeliveryState.PENDING).update(
        state=DeliveryState.FAILED, error="the alert ended first"
    )


def _ended(message: CapMessage) -> bool:
    from qurb.alerts.selectors import is_live

    case = AlertCase.objects.filter(pk=message.case_id).first()
    return case is None or not is_live(case)


# --- what is sent ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """A message rendered in one language: the push payload and the e-mail."""

    payload: bytes
    subject: str
    body: str
    topic: str


def notice_texts(case: AlertCase, msg_type: str, lang: str) -> tuple[str, str]:
    """The title and the text of a notification of ``case`` in ``lang``: an alert or an
    update (the child's first name and age, the last-seen place, the number to call), or the
    end (nothing about the child)."""
    with translation.override(lang):
        exercise = _("EXERCISE — ") if case.is_exercise else ""
        if msg_type == MessageType.CANCEL:
            return (
                exercise + _("Alert ended"),
                _("The missing child alert is over. Thank you for sharing it."),
            )
        # The inserted values isolated (FSI … PDI): "Yasmine، 9 سنوات" stays in that order
        # in an Arabic notification.
        title = exercise + (
            _("Missing child: %(name)s, %(age)s years old")
            % isolated({"name": case.child_first_name, "age": case.child_age})
        )
        text = _(
            "Last seen: %(place)s. If you see this child, do not intervene: call %(number)s."
        ) % isolated({"place": case.last_seen_place, "number": case.call_number})
        return title, text


def notices(message: CapMessage) -> dict[str, Notice]:
    """The message in each language (rendered once per batch, not per subscriber)."""
    case = message.case
    url = absolute(reverse("alerts:page", args=[case.public_id]))
    out = {}
    for lang in ("ar", "fr", "en"):
        title, text = notice_texts(case, message.msg_type, lang)
        with translation.override(lang):
            payload = json.dumps(
                {
                    "title": title,
                    "body": text,
                    "url": url,
                    "tag": f"alert-{case.public_id}",
                    "type": message.msg_type,
                    "lang": lang,
                },
                ensure_ascii=False,
            ).encode()
            body = f"{text}\n\n{url}\n\n" + _(
                "You receive this because you subscribed to missing-child alerts near you."
            )
            out[lang] = Notice(payload, title, body, f"alert-{case.public_id}")
    return out


# --- sending, one copy at a time -------------------------------------------------------------


@dataclass
class Stats:
    sent: int = 0
    gone: int = 0
    retried: int = 0
    failed: int = 0

    def add(self, other: Stats) -> None:
        self.sent += other.sent
        self.gone += other.gone
        self.retried += other.retried
        self.failed += other.failed


@dataclass
class RangeResult:
    stats: Stats
    come_back_at: datetime | None  # a copy of the range waits for a retry or a lease


backoff = copies.backoff
lease = copies.push_lease


def _notices(message: CapMessage) -> dict[str, Notice]:
    return _notices_of(message.pk, message.identifier)


@lru_cache(maxsize=64)
def _notices_of(message_id: int, identifier: str) -> dict[str, Notice]:
    # Keyed by the identifier too (it names the case): a database whose ids start again
    # (a test's, rolled back) never gets another case's notices.
    return notices(CapMessage.objects.select_related("case").get(pk=message_id))


def _claim(row: Mapping[str, Any], now: datetime, *, live_only: bool) -> bool:
    """Take one copy (``qurb.core.copies.claim``) and, for an alert or an update, only while
    the alert is live: a copy queued while the alert was ending is never taken after it."""
    rows = Delivery.objects.all()
    if live_only:
        rows = rows.filter(
            Q(message__case__expires_at__isnull=True) | Q(message__case__expires_at__gt=now),
            message__case__status=CaseStatus.PUBLISHED,
        )
    return copies.claim(rows, row, now, lease())


def _settle(delivery_id: int, attempts: int, **fields: Any) -> bool:
    return copies.settle(Delivery, delivery_id, attempts, **fields)


def _send_push(sub: Mapping[str, Any], notice: Notice, key: Any) -> tuple[str, str]:
    """One push copy: ('sent' | 'gone' | 'retry' | 'failed', why)."""
    try:
        request = push.push_request(
            endpoint=sub["subscription__endpoint"],
            p256dh=sub["subscription__p256dh"],
            auth=sub["subscription__auth"],
            payload=notice.payload,
            topic=notice.topic,
            ttl=settings.ALERT_PUSH_TTL,
            key=key,
        )
    except Exception as exc:  # a malformed key cannot be sent, now or later
        return "failed", f"encryption: {exc}"
    return push.send(request)


def _send_mail(sub: Mapping[str, Any], notice: Notice, mailer: Any) -> tuple[str, str]:
    leave = absolute(reverse("alerts:unsubscribe", args=[sub["subscription__token"]]))
    mail = EmailMessage(
        notice.subject,
        notice.body + "\n" + leave,
        settings.DEFAULT_FROM_EMAIL,
        [sub["subscription__email"]],
        headers={
            "List-Unsubscribe": f"<{leave}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    try:
        mailer.send_messages([mail])
    except OSError as exc:
        return "retry", type(exc).__name__
    return "sent", ""


def deliver_range(message_id: int, first: int, last: int) -> RangeResult:
    """Send the due copies of ``message_id`` to subscriptions ``first``…``last``, one at a
    time, each claimed before and recorded right after it is sent."""
    stats = Stats()
    come_back: datetime | None = None
    message = CapMessage.objects.select_related("case").filter(pk=message_id).first()
    if message is None:
        return RangeResult(stats, None)
    mine = Delivery.objects.filter(
        message_id=message_id,
        subscription_id__gte=first,
        subscription_id__lte=last,
        state__in=[DeliveryState.PENDING, DeliveryState.SENDING],
    )
    if message.msg_type != MessageType.CANCEL and _ended(message):
        stats.failed += mine.filter(state=DeliveryState.PENDING).update(
            state=DeliveryState.FAILED, error="the alert ended first"
        )
        return RangeResult(stats, None)
    rows = list(
        mine.order_by("subscription_id").values(
            "id",
            "state",
            "attempts",
            "next_attempt_at",
            "lease_until",
            "subscription__channel",
            "subscription__email",
            "subscription__endpoint",
            "subscription__p256dh",
            "subscription__auth",
            "subscription__language",
            "subscription__token",
            "subscription__active",
            "subscription_id",
        )
    )
    texts = _notices(message)
    key = push.vapid()
    live_only = message.msg_type != MessageType.CANCEL
    max_attempts: int = settings.ALERT_DELIVERY_ATTEMPTS
    with contextlib.ExitStack() as stack, copies.fast_commits():
        mailer: Any = None
        for row in rows:
            now = timezone.now()
            if row["state"] == DeliveryState.PENDING and row["next_attempt_at"] > now:
                come_back = min(come_back or row["next_attempt_at"], row["next_attempt_at"])
                continue
            if row["state"] == DeliveryState.SENDING:
                if row["lease_until"] and row["lease_until"] > now:  # another worker has it
                    come_back = min(come_back or row["lease_until"], row["lease_until"])
                    continue
                if row["subscription__channel"] == Channel.EMAIL:
                    # Its worker died while sending: the e-mail may have left; not twice.
                    stats.failed += Delivery.objects.filter(
                        pk=row["id"], state=DeliveryState.SENDING, attempts=row["attempts"]
                    ).update(state=DeliveryState.FAILED, error="interrupted while sending")
                    continue
            if not row["subscription__active"]:
                stats.failed += Delivery.objects.filter(
                    pk=row["id"], state=row["state"], attempts=row["attempts"]
                ).update(state=DeliveryState.FAILED, error="unsubscribed")
                continue
            if not _claim(row, now, live_only=live_only):
                continue
            attempts = row["attempts"] + 1
            notice = texts.get(row["subscription__language"]) or texts["ar"]
            if row["subscription__channel"] == Channel.PUSH:
                verdict, why = _send_push(row, notice, key)
            else:
                if mailer is None:
                    mailer = stack.enter_context(mailers.default)
                verdict, why = _send_mail(row, notice, mailer)
            pk = row["id"]
            if verdict == "sent":
                stats.sent += _settle(
                    pk, attempts, state=DeliveryState.SENT, sent_at=timezone.now()
                )
            elif verdict == "gone":
                if _settle(pk, attempts, state=DeliveryState.GONE):
                    Subscription.objects.filter(pk=row["subscription_id"]).update(active=False)
                    stats.gone += 1
            elif verdict == "retry" and attempts < max_attempts:
                due = timezone.now() + backoff(attempts)
                if _settle(
                    pk, attempts, state=DeliveryState.PENDING, next_attempt_at=due, error=why
                ):
                    come_back = min(come_back or due, due)
                    stats.retried += 1
            else:
                stats.failed += _settle(pk, attempts, state=DeliveryState.FAILED, error=why[:200])
    return RangeResult(stats, come_back)


def deliver(*, message_id: int | None = None) -> Stats:
    """Everything due, here and now, without a broker (the ``alerts deliver`` command, the
    tests): the fan-out of every message not yet fanned out, then every range with copies
    due, one copy at a time."""
    stats = Stats()
    waiting = CapMessage.objects.filter(fanned_out_at__isnull=True)
    if message_id:
        waiting = waiting.filter(pk=message_id)
    for pk in list(waiting.order_by("pk").values_list("pk", flat=True)):
        fan_out(pk, lambda *_chunk: None)
    for mid, first, last in due_ranges(message_id=message_id):
        stats.add(deliver_range(mid, first, last).stats)
    from qurb.alerts import residents

    area = residents.deliver(message_id=message_id)
    stats.add(Stats(sent=area.sent, gone=area.gone, retried=area.retried, failed=area.failed))
    return stats


def due_ranges(
    *, message_id: int | None = None, now: datetime | None = None, size: int | None = None
) -> Iterator[tuple[int, int, int]]:
    """(message, first, last) ranges covering the copies that are due: pending and due, or
    left ``sending`` by a worker whose lease ran out."""
    moment = now or timezone.now()
    size = size or settings.ALERT_DELIVERY_CHUNK
    due = Delivery.objects.filter(
        Q(state=DeliveryState.PENDING, next_attempt_at__lte=moment)
        | Q(state=DeliveryState.SENDING, lease_until__lt=moment)
    )
    if message_id:
        due = due.filter(message_id=message_id)
    for mid in sorted(set(due.values_list("message_id", flat=True))):
        ids = list(
            due.filter(message_id=mid)
            .order_by("subscription_id")
            .values_list("subscription_id", flat=True)
        )
        for first, last in copies.spans(ids, size):
            yield mid, first, last


def next_retry(message_id: int | None = None) -> datetime | None:
    qs = Delivery.objects.filter(state=DeliveryState.PENDING)
    if message_id:
        qs = qs.filter(message_id=message_id)
    return qs.order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first()
