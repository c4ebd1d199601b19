"""Deliveries: who an alert must reach, and the worker that reaches them.

Queueing is one ``INSERT … SELECT`` in the database: the subscribers whose circle meets the
alert's circle (haversine, after a bounding-box cut on the indexed point) or whose district
meets it; the unique (message, subscription) pair means nobody is queued twice.

The worker claims batches of due deliveries (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
several workers share the queue), sends them concurrently from one event loop (Web Push over
aiohttp, e-mail through Django's mail connection), and records each outcome: sent; gone (the
push service no longer knows the subscription, which is then switched off); retried later
with a growing delay after a timeout, a 429 or a 5xx; failed after the last attempt or a
refusal. A push message carries a ``Topic``, so that if a worker dies between sending and
recording, the retry replaces the undelivered copy at the push service instead of adding one.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from qurb.alerts import push
from qurb.alerts.geo import EARTH_KM, bounding_box, districts_meeting
from qurb.alerts.models import (
    AlertCase,
    CapMessage,
    Channel,
    Delivery,
    DeliveryState,
    MessageType,
    Subscription,
)
from qurb.core.bidi import isolated
from qurb.core.links import absolute


def _tables() -> tuple[str, str]:
    q = connection.ops.quote_name
    return q(Delivery._meta.db_table), q(Subscription._meta.db_table)


def enqueue_area(message: CapMessage, case: AlertCase, *, now: datetime | None = None) -> int:
    """Queue ``message`` for every confirmed subscriber whose area meets the alert's circle.
    Returns how many deliveries were added."""
    delivery, subscription = _tables()
    lat, lon, radius = case.last_seen_lat, case.last_seen_lon, float(case.radius_km)
    south, north, west, east = bounding_box(
        lat, lon, radius + settings.ALERT_SUBSCRIBER_MAX_RADIUS_KM
    )
    districts = districts_meeting(lat, lon, radius)
    by_district = ""
    params: list[Any] = [message.pk, now or timezone.now()]
    if districts:
        by_district = f"s.district_id IN ({', '.join(['%s'] * len(districts))}) OR "
        params += districts
    params += [south, north, west, east, lat, lat, lon, radius]
    # Two circles meet when their centres are closer than the sum of their radii (both radii
    # are bounded far below half the globe, where the haversine comparison stays monotonic).
    sql = f"""
        INSERT INTO {delivery}
            (message_id, subscription_id, state, attempts, next_attempt_at, error)
        SELECT %s, s.id, 'pending', 0, %s, '' FROM {subscription} s
        WHERE s.active AND s.confirmed_at IS NOT NULL AND ({by_district}(
            s.lat BETWEEN %s AND %s AND s.lon BETWEEN %s AND %s
            AND POWER(SIN(RADIANS(s.lat - %s) / 2), 2)
                + COS(RADIANS(%s)) * COS(RADIANS(s.lat)) * POWER(SIN(RADIANS(s.lon - %s) / 2), 2)
                <= POWER(SIN((%s + s.radius_km) / (2 * {EARTH_KM})), 2)
        ))
        ON CONFLICT DO NOTHING
    """  # noqa: S608 - table names come from the models; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(int(cursor.rowcount), 0)


def enqueue_end(message: CapMessage, earlier: Iterable[int], *, now: datetime | None = None) -> int:
    """Queue the end notice for everyone an earlier message reached or is reaching now;
    earlier messages still waiting are dropped (the alert is over)."""
    ids = list(earlier)
    if not ids:
        return 0
    Delivery.objects.filter(message_id__in=ids, state=DeliveryState.PENDING).update(
        state=DeliveryState.FAILED, error="the alert ended first"
    )
    delivery, subscription = _tables()
    marks = ", ".join(["%s"] * len(ids))
    sql = f"""
        INSERT INTO {delivery}
            (message_id, subscription_id, state, attempts, next_attempt_at, error)
        SELECT DISTINCT %s, d.subscription_id, 'pending', 0, %s, '' FROM {delivery} d
        JOIN {subscription} s ON s.id = d.subscription_id
        WHERE d.message_id IN ({marks}) AND d.state IN ('sent', 'sending') AND s.active
        ON CONFLICT DO NOTHING
    """  # noqa: S608 - table names come from the models; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [message.pk, now or timezone.now(), *ids])
        return max(int(cursor.rowcount), 0)


# --- the worker -----------------------------------------------------------------------------


@dataclass
class Claimed:
    delivery_id: int
    attempts: int
    message_id: int
    subscription: dict[str, Any]


@dataclass
class Outcome:
    sent: list[int] = field(default_factory=list)
    gone: list[tuple[int, int]] = field(default_factory=list)  # (delivery, subscription)
    retry: list[tuple[int, int, str]] = field(default_factory=list)  # (delivery, attempts, why)
    failed: list[tuple[int, str]] = field(default_factory=list)

    def add(self, other: Outcome) -> None:
        self.sent += other.sent
        self.gone += other.gone
        self.retry += other.retry
        self.failed += other.failed


def release_stale(now: datetime | None = None) -> int:
    """Deliveries whose worker died while sending: push ones go back to the queue (their
    Topic keeps the push service from showing them twice); e-mails are marked failed rather
    than risk a second copy."""
    moment = now or timezone.now()
    stale = Delivery.objects.filter(state=DeliveryState.SENDING, lease_until__lt=moment)
    mailed = stale.filter(subscription__channel=Channel.EMAIL).update(
        state=DeliveryState.FAILED, error="interrupted while sending"
    )
    pushed = stale.update(state=DeliveryState.PENDING, next_attempt_at=moment)
    return mailed + pushed


def claim(
    limit: int, *, message_id: int | None = None, now: datetime | None = None
) -> list[Claimed]:
    """Take up to ``limit`` due deliveries for this worker (leased for two minutes)."""
    moment = now or timezone.now()
    delivery, _subscription = _tables()
    only = "AND message_id = %s" if message_id else ""
    lock = "FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    params: list[Any] = [moment + timedelta(minutes=2), moment]
    if message_id:
        params.append(message_id)
    params.append(limit)
    sql = f"""
        UPDATE {delivery} SET state = 'sending', lease_until = %s, attempts = attempts + 1
        WHERE id IN (
            SELECT id FROM {delivery} WHERE state = 'pending' AND next_attempt_at <= %s {only}
            ORDER BY id LIMIT %s {lock}
        )
        RETURNING id, attempts, message_id, subscription_id
    """  # noqa: S608 - table names come from the models; values are parameters
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return []
    subs = {
        s["id"]: s
        for s in Subscription.objects.filter(pk__in=[r[3] for r in rows]).values(
            "id", "channel", "email", "endpoint", "p256dh", "auth", "language", "token", "active"
        )
    }
    return [Claimed(r[0], r[1], r[2], dict(subs[r[3]])) for r in rows if r[3] in subs]


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))


def record(outcome: Outcome, *, now: datetime | None = None) -> None:
    moment = now or timezone.now()
    max_attempts: int = settings.ALERT_DELIVERY_ATTEMPTS
    with transaction.atomic():
        if outcome.sent:
            for chunk in _chunks(outcome.sent):
                Delivery.objects.filter(pk__in=chunk).update(
                    state=DeliveryState.SENT, sent_at=moment, lease_until=None
                )
        if outcome.gone:
            for chunk in _chunks(outcome.gone):
                Delivery.objects.filter(pk__in=[d for d, _s in chunk]).update(
                    state=DeliveryState.GONE, lease_until=None
                )
                Subscription.objects.filter(pk__in=[s for _d, s in chunk]).update(active=False)
        retry: dict[int, list[int]] = defaultdict(list)
        for delivery_id, attempts, why in outcome.retry:
            if attempts >= max_attempts:
                outcome.failed.append((delivery_id, why))
            else:
                retry[attempts].append(delivery_id)
        for attempts, ids in retry.items():
            for chunk in _chunks(ids):
                Delivery.objects.filter(pk__in=chunk).update(
                    state=DeliveryState.PENDING,
                    next_attempt_at=moment + backoff(attempts),
                    lease_until=None,
                )
        failed: dict[str, list[int]] = defaultdict(list)
        for delivery_id, why in outcome.failed:
            failed[why[:200]].append(delivery_id)
        for why, ids in failed.items():
            for chunk in _chunks(ids):
                Delivery.objects.filter(pk__in=chunk).update(
                    state=DeliveryState.FAILED, error=why, lease_until=None
                )


def _chunks(items: list[Any], size: int = 5000) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# --- what is sent ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """A message rendered in one language: the push payload and the e-mail."""

    payload: bytes
    subject: str
    body: str
    topic: str


def notices(message: CapMessage) -> dict[str, Notice]:
    """The message in each language (rendered once per batch, not per subscriber)."""
    case = message.case
    url = absolute(reverse("alerts:page", args=[case.public_id]))
    out = {}
    for lang in ("ar", "fr", "en"):
        with translation.override(lang):
            exercise = _("EXERCISE — ") if case.is_exercise else ""
            if message.msg_type == MessageType.CANCEL:
                title = exercise + _("Alert ended")
                text = _("The missing child alert is over. Thank you for sharing it.")
            else:
                # The inserted values isolated (FSI … PDI): "Yasmine، 9 سنوات" stays in
                # that order in an Arabic notification.
                title = exercise + (
                    _("Missing child: %(name)s, %(age)s years old")
                    % isolated({"name": case.child_first_name, "age": case.child_age})
                )
                text = _(
                    "Last seen: %(place)s. If you see this child, do not intervene: call "
                    "%(number)s."
                ) % isolated({"place": case.last_seen_place, "number": case.call_number})
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


async def _push_all(
    session: aiohttp.ClientSession,
    rows: list[Claimed],
    texts: dict[int, dict[str, Notice]],
    key: Any,
    concurrency: int,
) -> Outcome:
    outcome = Outcome()
    gate = asyncio.Semaphore(concurrency)
    ttl: int = settings.ALERT_PUSH_TTL

    async def one(row: Claimed) -> None:
        sub = row.subscription
        notice = texts[row.message_id].get(sub["language"]) or texts[row.message_id]["ar"]
        try:
            request = push.push_request(
                endpoint=sub["endpoint"],
                p256dh=sub["p256dh"],
                auth=sub["auth"],
                payload=notice.payload,
                topic=notice.topic,
                ttl=ttl,
                key=key,
            )
        except Exception as exc:  # a malformed key cannot be sent, now or later
            outcome.failed.append((row.delivery_id, f"encryption: {exc}"[:200]))
            return
        async with gate:
            try:
                async with session.post(
                    request.endpoint, data=request.body, headers=request.headers
                ) as answer:
                    status = answer.status
                    await answer.read()
            except (TimeoutError, aiohttp.ClientError) as exc:
                outcome.retry.append((row.delivery_id, row.attempts, type(exc).__name__))
                return
        if status in (200, 201, 202):
            outcome.sent.append(row.delivery_id)
        elif status in (404, 410):
            outcome.gone.append((row.delivery_id, sub["id"]))
        elif status == 429 or status >= 500:
            outcome.retry.append((row.delivery_id, row.attempts, f"HTTP {status}"))
        else:
            outcome.failed.append((row.delivery_id, f"HTTP {status}"))

    await asyncio.gather(*(one(r) for r in rows))
    return outcome


def _mail_all(rows: list[Claimed], texts: dict[int, dict[str, Notice]]) -> Outcome:
    outcome = Outcome()
    if not rows:
        return outcome
    mails = []
    for row in rows:
        sub = row.subscription
        notice = texts[row.message_id].get(sub["language"]) or texts[row.message_id]["ar"]
        leave = absolute(reverse("alerts:unsubscribe", args=[sub["token"]]))
        mails.append(
            EmailMessage(
                notice.subject,
                notice.body + "\n" + leave,
                settings.DEFAULT_FROM_EMAIL,
                [sub["email"]],
                headers={
                    "List-Unsubscribe": f"<{leave}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                },
            )
        )
    try:
        with mailers.default as mailer:
            for row, mail in zip(rows, mails, strict=True):
                try:
                    mailer.send_messages([mail])
                    outcome.sent.append(row.delivery_id)
                except OSError as exc:
                    outcome.retry.append((row.delivery_id, row.attempts, type(exc).__name__))
    except OSError as exc:  # the mail server could not be reached at all
        done = set(outcome.sent)
        outcome.retry += [
            (r.delivery_id, r.attempts, type(exc).__name__)
            for r in rows
            if r.delivery_id not in done
        ]
    return outcome


@dataclass
class Stats:
    sent: int = 0
    gone: int = 0
    retried: int = 0
    failed: int = 0
    batches: int = 0


class _Loop:
    """One event loop in a thread, with one HTTP session, for the worker's whole run."""

    def __init__(self, concurrency: int) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.session = asyncio.run_coroutine_threadsafe(self._open(concurrency), self.loop).result()

    async def _open(self, concurrency: int) -> aiohttp.ClientSession:
        timeout = aiohttp.ClientTimeout(total=settings.ALERT_PUSH_TIMEOUT)
        connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
        return aiohttp.ClientSession(timeout=timeout, connector=connector)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.session.close(), self.loop).result()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


def deliver(
    *,
    message_id: int | None = None,
    batch: int = 1000,
    concurrency: int | None = None,
    max_batches: int | None = None,
) -> Stats:
    """Send every due delivery (of one message, or all), batch after batch, until none is
    due. While one batch is on the wire, the next is claimed and the last one recorded."""
    width = concurrency or settings.ALERT_DELIVERY_CONCURRENCY
    release_stale()
    stats = Stats()
    texts: dict[int, dict[str, Notice]] = {}
    key = push.vapid()
    runner = _Loop(width)
    in_flight: Any = None
    try:
        while True:
            rows = (
                []
                if max_batches is not None and stats.batches >= max_batches
                else claim(batch, message_id=message_id)
            )
            future = None
            if rows:
                stats.batches += 1
                for mid in {r.message_id for r in rows} - texts.keys():
                    texts[mid] = notices(CapMessage.objects.select_related("case").get(pk=mid))
                ended = _ended_messages({r.message_id for r in rows})
                dropped = Outcome(
                    failed=[
                        (r.delivery_id, "unsubscribed")
                        for r in rows
                        if not r.subscription["active"]
                    ]
                    + [
                        (r.delivery_id, "the alert ended first")
                        for r in rows
                        if r.subscription["active"] and r.message_id in ended
                    ]
                )
                record(dropped)
                rows = [r for r in rows if r.subscription["active"] and r.message_id not in ended]
                pushes = [r for r in rows if r.subscription["channel"] == Channel.PUSH]
                future = asyncio.run_coroutine_threadsafe(
                    _push_all(runner.session, pushes, texts, key, width), runner.loop
                )
            if in_flight is not None:  # record the last batch before mailing this one
                done: Outcome = in_flight.result()
                in_flight = None
                _note(stats, done)
                record(done)
            if rows:
                mailed = _mail_all(
                    [r for r in rows if r.subscription["channel"] == Channel.EMAIL], texts
                )
                _note(stats, mailed)
                record(mailed)
            in_flight = future
            if in_flight is None:
                break
    finally:
        if in_flight is not None:
            done = in_flight.result()
            _note(stats, done)
            record(done)
        runner.close()
    return stats


def _ended_messages(message_ids: set[int]) -> set[int]:
    """Alerts and updates whose alert has ended since they were queued: not sent any more."""
    from qurb.alerts.selectors import is_live

    found = CapMessage.objects.filter(pk__in=message_ids).exclude(msg_type=MessageType.CANCEL)
    return {m.pk for m in found.select_related("case") if not is_live(m.case)}


def _note(stats: Stats, outcome: Outcome) -> None:
    stats.sent += len(outcome.sent)
    stats.gone += len(outcome.gone)
    stats.retried += len(outcome.retry)
    stats.failed += len(outcome.failed)


def next_retry(message_id: int | None = None) -> datetime | None:
    qs = Delivery.objects.filter(state=DeliveryState.PENDING)
    if message_id:
        qs = qs.filter(message_id=message_id)
    first = qs.order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first()
    return first
