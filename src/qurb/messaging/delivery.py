"""Deliveries of neighbourhood messages: who a message reaches, digests, and the workers that
send each copy on its own.

**Fan-out.** Once a message is published (committed), ``fan_out`` walks its audience in chunks
of ``MESSAGE_DELIVERY_CHUNK`` subscriptions (by id: one indexed range each), queues their
copies with one ``INSERT … SELECT`` per chunk, and dispatches the chunk's copies (a range of
delivery ids) as their own task at once. The audience is one query: confirmed, active
subscriptions wanting the message's topic with an area among the message's area, the areas
inside it and the areas around it (``SubscriptionArea``, indexed by area). Subscribers "at once"
get a ``pending`` copy; those on a daily or weekly digest a ``waiting`` one, which the digest
command bundles. The unique (message, subscription) pair means a fan-out run again adds nothing.

**Sending.** ``deliver_range`` sends the due copies of a range one after the other: each is
claimed (``pending`` → ``sending``, with a lease) in one committed statement, sent, and its
outcome committed at once (sent; gone, which switches a push subscription off; back to
``pending`` with a growing delay after a timeout, a 429 or a 5xx; failed after the last
attempt). A worker killed at any instant leaves at most one copy ``sending``; when its lease
runs out the range is taken again and that copy is sent once more (a push copy carries a
``Topic``, so the push service replaces rather than repeats it): nothing is lost, and at most
one copy per dead worker is sent twice. A copy due in the subscriber's quiet hours (local time)
is held until they end, unless it is a missing-child alert.

**Digests.** ``build_digests`` (the ``qurb messages digest daily|weekly`` command, run by cron)
makes one ``Digest`` per subscriber of that rhythm who has waiting copies, and nobody else:
their waiting copies become ``bundled`` in it, and the digest itself is one copy
(``MessageDelivery`` without a message) sent as above.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, mailers
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Min, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from qurb.areas.selectors import area_and_ancestors, descendants_of
from qurb.core import copies, webpush
from qurb.core.links import absolute
from qurb.messaging import sms
from qurb.messaging.models import (
    TOPIC_BITS,
    AreaSubscription,
    Channel,
    DeliveryState,
    Digest,
    DistrictMessage,
    MessageDelivery,
    MessageKind,
    MessageStatus,
    Rhythm,
    SubscriptionArea,
)

OPENED_SALT = "qurb.messaging.opened"


def _tables() -> tuple[str, str, str]:
    q = connection.ops.quote_name
    return (
        q(MessageDelivery._meta.db_table),
        q(AreaSubscription._meta.db_table),
        q(SubscriptionArea._meta.db_table),
    )


# --- who ---------------------------------------------------------------------------------------


def audience_areas(message: DistrictMessage) -> list[int]:
    """The message's area, the areas inside it and the areas around it."""
    around = {a.pk for a in area_and_ancestors(message.area)}
    return sorted(descendants_of({message.area_id}) | around)


def _audience(message: DistrictMessage) -> tuple[str, list[Any]]:
    """The SQL condition (on subscription ``s``) and its parameters: one indexed query."""
    return in_areas(audience_areas(message), message.topic)


def in_areas(area_ids: list[int], topic: str) -> tuple[str, list[Any]]:
    """The confirmed, active subscriptions wanting ``topic`` with an area among ``area_ids``
    exactly (no area inside or around them is added): an SQL condition on subscription ``s``
    and its parameters."""
    if not area_ids:
        return "1 = 0", []
    _delivery, _subscription, membership = _tables()
    marks = ", ".join(["%s"] * len(area_ids))
    # Table names come from the models; values are parameters.
    member = f"m.subscription_id = s.id AND m.area_id IN ({marks})"
    exists = f"EXISTS (SELECT 1 FROM {membership} m WHERE {member})"  # noqa: S608
    condition = f"s.active AND s.confirmed_at IS NOT NULL AND (s.topics & %s) <> 0 AND {exists}"
    return condition, [TOPIC_BITS[topic], *area_ids]


def reached_by(message_ids: list[int], topic: str) -> tuple[str, list[Any]]:
    """The subscriptions (still active and wanting ``topic``) that a copy of one of
    ``message_ids`` reached or was reaching (sent, or on the wire): who an end notice is for."""
    if not message_ids:
        return "1 = 0", []
    delivery, _subscription, _membership = _tables()
    marks = ", ".join(["%s"] * len(message_ids))
    reached = (
        f"s.id IN (SELECT r.subscription_id FROM {delivery} r"  # noqa: S608
        f" WHERE r.message_id IN ({marks}) AND r.state IN ('sent', 'sending'))"
    )
    condition = f"s.active AND s.confirmed_at IS NOT NULL AND (s.topics & %s) <> 0 AND {reached}"
    return condition, [TOPIC_BITS[topic], *message_ids]


def audience_count(message: DistrictMessage) -> int:
    _delivery, subscription, _membership = _tables()
    condition, params = _audience(message)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {subscription} s WHERE {condition}", params)  # noqa: S608
        return int(cursor.fetchone()[0])


def _next_range(condition: str, params: list[Any], after: int, size: int) -> tuple[int, int]:
    return copies.next_chunk(AreaSubscription, condition, params, after, size)


def _queue_range(
    message: DistrictMessage, condition: str, params: list[Any], lo: int, hi: int, now: datetime
) -> int:
    # A missing-child alert goes at once whatever the rhythm; the rest waits for a digest.
    at_once = "1 = 1" if message.kind == MessageKind.MISSING_CHILD else "s.rhythm = 'now'"
    return copies.queue_chunk(
        MessageDelivery,
        AreaSubscription,
        message_id=message.pk,
        state=f"CASE WHEN {at_once} THEN 'pending' ELSE 'waiting' END",
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


Dispatch = Callable[[int, int], None]


def fan_out(
    message_id: int, dispatch: Dispatch, *, size: int | None = None, now: datetime | None = None
) -> FanOut:
    """Queue a published message's copies chunk by chunk, calling ``dispatch(first, last)``
    (delivery ids) for each chunk's copies due at once, as soon as the chunk is committed.
    Safe to run again: nothing is queued twice, and a range sent twice sends nothing twice.

    A missing-child alert's copy is not fanned out here: ``qurb.alerts`` gives its audience
    (the areas the alert's circle meets, less the people its own subscriptions reach) to
    :func:`fan_out_to`."""
    message = DistrictMessage.objects.select_related("area").filter(pk=message_id).first()
    if message is None or message.kind == MessageKind.MISSING_CHILD:
        return FanOut()
    condition, params = _audience(message)
    return fan_out_to(message, condition, params, dispatch, size=size, now=now)


def fan_out_to(
    message: DistrictMessage,
    condition: str,
    params: list[Any],
    dispatch: Dispatch,
    *,
    size: int | None = None,
    now: datetime | None = None,
) -> FanOut:
    """Queue the copies of a published ``message`` to the subscriptions meeting ``condition``
    (SQL on subscription ``s``, with ``params``), chunk by chunk, as :func:`fan_out` does. The
    caller's condition is its own: it must hold for every chunk, run after run."""
    size = size or settings.MESSAGE_DELIVERY_CHUNK
    done = FanOut()
    message_id = message.pk
    if message.status != MessageStatus.PUBLISHED:
        return done
    if message.fanned_out_at is not None:
        # A fan-out task given again after the message went out (a broker's redelivery, an
        # old task in a backlog): its audience was fixed then. Those who subscribed since do
        # not get an old message; copies already queued and never sent still go.
        _dispatch_pending(message_id, 0, None, dispatch)
        return done
    DistrictMessage.objects.filter(pk=message_id).update(fanout_started_at=timezone.now())
    after = 0
    while True:
        lo, hi = _next_range(condition, params, after, size)
        if not lo:
            break
        if not DistrictMessage.objects.filter(pk=message_id, status="published").exists():
            break  # withdrawn while being queued
        with transaction.atomic():
            done.queued += _queue_range(message, condition, params, lo, hi, now or timezone.now())
        if lo > after + 1:  # copies an earlier run queued for those the condition now skips
            _dispatch_pending(message_id, after + 1, lo - 1, dispatch)
        _dispatch_pending(message_id, lo, hi, dispatch)
        done.chunks += 1
        after = hi
    _dispatch_pending(message_id, after + 1, None, dispatch)
    DistrictMessage.objects.filter(pk=message_id).update(fanned_out_at=timezone.now())
    return done


def _dispatch_pending(message_id: int, lo: int, hi: int | None, dispatch: Dispatch) -> None:
    """Dispatch the pending copies of ``message_id`` to subscriptions ``lo``…``hi`` (no upper
    bound: None) as one range of copy ids. A fan-out run again after a crash thus also sends
    the copies its first run queued and never dispatched, even to a subscription its caller's
    condition skips now (a missing-child copy is not queued for an address the alert's own
    fan-out took since, but the one queued before stands)."""
    rows = MessageDelivery.objects.filter(
        message_id=message_id, subscription_id__gte=lo, state=DeliveryState.PENDING
    )
    if hi is not None:
        rows = rows.filter(subscription_id__lte=hi)
    span = rows.aggregate(first=Min("pk"), last=Max("pk"))
    if span["first"] is not None:
        dispatch(span["first"], span["last"])


# --- digests ---------------------------------------------------------------------------------


def period_of(rhythm: str, moment: datetime) -> str:
    local = timezone.localtime(moment).date()
    if rhythm == Rhythm.WEEKLY:
        year, week, _day = local.isocalendar()
        return f"{year}-W{week:02d}"
    return local.isoformat()


def _drop_stale_waiting(now: datetime) -> int:
    """Waiting copies of messages withdrawn, or ended before the digest: never sent."""
    today = timezone.localtime(now).date()
    stale = MessageDelivery.objects.filter(state=DeliveryState.WAITING).filter(
        ~Q(message__status=MessageStatus.PUBLISHED) | Q(message__ends_on__lt=today)
    )
    return stale.update(state=DeliveryState.FAILED, error="withdrawn or ended before the digest")


def build_digests(rhythm: str, dispatch: Dispatch, *, now: datetime | None = None) -> int:
    """One digest for each subscriber of ``rhythm`` who has something waiting (nobody else),
    each dispatched as it is made. Run twice in one period, it makes nothing twice. Returns
    how many digests were made."""
    moment = now or timezone.now()
    period = period_of(rhythm, moment)
    _drop_stale_waiting(moment)
    waiting = MessageDelivery.objects.filter(
        state=DeliveryState.WAITING,
        subscription__rhythm=rhythm,
        subscription__active=True,
    )
    subscribers = sorted(set(waiting.values_list("subscription_id", flat=True)))
    made = 0
    batch: list[int] = []
    for subscription_id in subscribers:
        try:
            with transaction.atomic():
                digest = Digest.objects.create(
                    subscription_id=subscription_id, rhythm=rhythm, period=period
                )
                copy = MessageDelivery.objects.create(
                    digest=digest,
                    subscription_id=subscription_id,
                    state=DeliveryState.PENDING,
                    next_attempt_at=moment,
                )
                waiting.filter(subscription_id=subscription_id).update(
                    state=DeliveryState.BUNDLED, digest=digest
                )
        except IntegrityError:
            continue  # this period's digest was made already: the rest waits for the next
        made += 1
        batch.append(copy.pk)
        if len(batch) >= settings.MESSAGE_DELIVERY_CHUNK:
            dispatch(batch[0], batch[-1])
            batch = []
    if batch:
        dispatch(batch[0], batch[-1])
    return made


# --- what is sent ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    title: str
    text: str  # the body, without the links
    url: str  # the page to open (an ``r`` parameter is added per copy)
    tag: str
    urgent: bool = False
    final: bool = False  # the url carries the copy's reference already
    tracked: bool = True  # the url is Qurb's message page, which counts the copy opened


def _link(notice: Notice, delivery_id: int) -> str:
    if notice.final or not notice.tracked:
        return notice.url
    return _with_reference(notice.url, delivery_id)


def opened_reference(delivery_id: int) -> str:
    return signing.Signer(salt=OPENED_SALT).sign(str(delivery_id))


def opened_id(reference: str) -> int | None:
    try:
        value = signing.Signer(salt=OPENED_SALT).unsign(reference)
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None


def message_url(message_id: int) -> str:
    return absolute(reverse("messaging:message", args=[message_id]))


def _message_notice(message: DistrictMessage, language: str) -> Notice:
    urgent = message.kind == MessageKind.MISSING_CHILD
    with translation.override(language):
        kind = str(MessageKind(message.kind).label)
        # A missing-child alert's title says what it is ("Missing child: …", "Alert ended").
        title = message.title_in(language) if urgent else f"{kind}: {message.title_in(language)}"
        text = message.body_in(language)
        if message.ends_on:
            text += "\n" + _("Until %(date)s.") % {"date": message.ends_on.isoformat()}
    if message.link:
        # Copies opening the same page share a push Topic: the push service replaces one not
        # yet delivered by the next (an alert's end replaces the alert on a phone left off).
        tag = "page-" + hashlib.sha256(message.link.encode()).hexdigest()[:24]
        return Notice(
            title=title, text=text, url=message.link, tag=tag, urgent=urgent, tracked=False
        )
    return Notice(
        title=title,
        text=text,
        url=message_url(message.pk),
        tag=f"message-{message.pk}",
        urgent=urgent,
    )


def digest_notice(digest_id: int, language: str, delivery_id: int) -> Notice | None:
    """A digest in the subscriber's language: each message's title, text and link (the links
    carry the digest copy's reference, so that opening one counts the digest as opened)."""
    rows = (
        MessageDelivery.objects.filter(
            digest_id=digest_id,
            state=DeliveryState.BUNDLED,
            message__status=MessageStatus.PUBLISHED,  # not those withdrawn since
        )
        .select_related("message")
        .order_by("message__published_at", "message_id")
    )
    digest = Digest.objects.get(pk=digest_id)
    parts, first = [], ""
    for row in rows:
        if row.message is None:
            continue
        notice = _message_notice(row.message, language)
        link = _with_reference(notice.url, delivery_id)
        first = first or link
        parts.append(f"{notice.title}\n{notice.text}\n{link}")
    if not parts:
        return None
    with translation.override(language):
        if digest.rhythm == Rhythm.WEEKLY:
            title = ngettext(
                "Your week: %(count)s message from the police of your neighbourhood",
                "Your week: %(count)s messages from the police of your neighbourhood",
                len(parts),
            ) % {"count": len(parts)}
        else:
            title = ngettext(
                "Your day: %(count)s message from the police of your neighbourhood",
                "Your day: %(count)s messages from the police of your neighbourhood",
                len(parts),
            ) % {"count": len(parts)}
    return Notice(
        title=title, text="\n\n".join(parts), url=first, tag=f"digest-{digest_id}", final=True
    )


def _with_reference(url: str, delivery_id: int) -> str:
    return f"{url}?r={opened_reference(delivery_id)}"


# --- sending, one copy at a time -------------------------------------------------------------


@dataclass
class Stats:
    sent: int = 0
    gone: int = 0
    retried: int = 0
    failed: int = 0
    held: int = 0  # quiet hours

    def add(self, other: Stats) -> None:
        self.sent += other.sent
        self.gone += other.gone
        self.retried += other.retried
        self.failed += other.failed
        self.held += other.held


@dataclass
class RangeResult:
    stats: Stats
    come_back_at: datetime | None


backoff = copies.backoff
lease = copies.push_lease


def quiet_until(subscription: Mapping[str, Any], now: datetime) -> datetime | None:
    """When the subscriber's quiet hours end, if ``now`` falls in them (local time)."""
    probe = AreaSubscription(
        quiet_start=subscription["subscription__quiet_start"],
        quiet_end=subscription["subscription__quiet_end"],
    )
    local = timezone.localtime(now)
    if probe.quiet_end is None or not probe.quiet_at(local.time()):
        return None
    end = datetime.combine(local.date(), probe.quiet_end, tzinfo=local.tzinfo)
    if end <= local:
        end = datetime.combine(local.date() + timedelta(days=1), probe.quiet_end, local.tzinfo)
    return end


def _claim(row: Mapping[str, Any], now: datetime) -> bool:
    """Take one copy (``qurb.core.copies.claim``), a message's only while it is published and
    before its ``send_until``: a copy read before a withdrawal, or before a missing-child
    alert ended, is never taken after it."""
    rows = MessageDelivery.objects.filter(
        Q(message__isnull=True)
        | (
            Q(message__status=MessageStatus.PUBLISHED)
            & (Q(message__send_until__isnull=True) | Q(message__send_until__gt=now))
        )
    )
    return copies.claim(rows, row, now, lease())


def _settle(delivery_id: int, attempts: int, **fields: Any) -> bool:
    return copies.settle(MessageDelivery, delivery_id, attempts, **fields)


def _send_push(row: Mapping[str, Any], notice: Notice, key: Any) -> tuple[str, str]:
    payload = json.dumps(
        {
            "title": notice.title,
            "body": notice.text[:500],
            "url": _link(notice, row["id"]),
            "tag": notice.tag,
            "lang": row["subscription__language"],
        },
        ensure_ascii=False,
    ).encode()
    try:
        request = webpush.push_request(
            endpoint=row["subscription__endpoint"],
            p256dh=row["subscription__p256dh"],
            auth=row["subscription__auth"],
            payload=payload,
            topic=notice.tag[:32],
            ttl=settings.MESSAGE_PUSH_TTL,
            key=key,
        )
    except Exception as exc:  # a malformed key cannot be sent, now or later
        return "failed", f"encryption: {exc}"
    if not notice.urgent:
        request.headers["Urgency"] = "normal"
    return webpush.send(request)


def _send_mail(row: Mapping[str, Any], notice: Notice, mailer: Any) -> tuple[str, str]:
    token = row["subscription__token"]
    leave = absolute(reverse("messaging:unsubscribe", args=[token]))
    manage = absolute(reverse("messaging:preferences", args=[token]))
    with translation.override(row["subscription__language"]):
        footer = _(
            "You receive this because you subscribed to the messages of the police of your "
            "neighbourhood.\nChoose what you receive: %(manage)s\nStop with one click: %(leave)s"
        ) % {"manage": manage, "leave": leave}
    link = "" if notice.final else f"{_link(notice, row['id'])}\n\n"
    body = f"{notice.text}\n\n{link}{footer}"
    mail = EmailMessage(
        notice.title,
        body,
        settings.DEFAULT_FROM_EMAIL,
        [row["subscription__email"]],
        headers={
            "List-Unsubscribe": f"<{leave}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    try:
        mailer.send_messages([mail])
    except OSError as exc:
        return "retry", type(exc).__name__
    except ValueError as exc:  # a header this copy cannot carry: this copy only fails
        return "failed", f"{type(exc).__name__}: {exc}"[:200]
    return "sent", ""


def _send_sms(row: Mapping[str, Any], notice: Notice, area_id: int | None) -> tuple[str, str]:
    with translation.override(row["subscription__language"]):
        stop = _("STOP to leave")
    text = f"{notice.title}\n{notice.text}"[:300] + f"\n{notice.url.split('?')[0]}\n{stop}"
    purpose = "messages"
    if row["message__kind"] == MessageKind.MISSING_CHILD:
        # Found again by it when the alert ends (not sent yet: never) and is purged (erased),
        # and before it is sent: one SMS of the alert per number, even when a worker died
        # between handing it over and recording it.
        purpose = sms.missing_child_purpose(row["message_id"])
        if sms.already_queued(number=row["subscription__number"], purpose=purpose):
            return "sent", ""
    try:
        sent = sms.send(
            number=row["subscription__number"], text=text, area_id=area_id, purpose=purpose
        )
    except ValidationError as exc:  # the number is no longer usable
        return "failed", f"refused: {exc.messages[0]}"[:200]
    if sent is None:
        return "failed", "not sent (SMS cap or refused)"
    return "sent", ""


_FIELDS = (
    "id",
    "state",
    "attempts",
    "next_attempt_at",
    "lease_until",
    "message_id",
    "digest_id",
    "message__kind",
    "message__status",
    "message__area_id",
    "message__send_until",
    "subscription_id",
    "subscription__channel",
    "subscription__email",
    "subscription__endpoint",
    "subscription__p256dh",
    "subscription__auth",
    "subscription__number",
    "subscription__language",
    "subscription__token",
    "subscription__active",
    "subscription__quiet_start",
    "subscription__quiet_end",
)


def deliver_range(first: int, last: int) -> RangeResult:
    """Send the due copies with ids ``first``…``last``, one at a time, each claimed before
    and recorded right after it is sent."""
    stats = Stats()
    come_back: datetime | None = None

    def later(moment: datetime) -> None:
        nonlocal come_back
        come_back = min(come_back or moment, moment)

    rows = list(
        MessageDelivery.objects.filter(
            pk__gte=first,
            pk__lte=last,
            state__in=[DeliveryState.PENDING, DeliveryState.SENDING],
        )
        .order_by("pk")
        .values(*_FIELDS)
    )
    key = webpush.vapid() if any(r["subscription__channel"] == Channel.PUSH for r in rows) else None
    max_attempts: int = settings.MESSAGE_DELIVERY_ATTEMPTS
    notices: dict[tuple[int, str], Notice] = {}  # each message rendered once per language
    with contextlib.ExitStack() as stack, copies.fast_commits():
        mailer: Any = None
        for row in rows:
            now = timezone.now()
            if row["state"] == DeliveryState.PENDING and row["next_attempt_at"] > now:
                later(row["next_attempt_at"])
                continue
            if row["state"] == DeliveryState.SENDING and row["lease_until"] > now:
                later(row["lease_until"])  # another worker has it
                continue
            same = MessageDelivery.objects.filter(
                pk=row["id"], state=row["state"], attempts=row["attempts"]
            )
            why_not = ""
            if not row["subscription__active"]:
                why_not = "unsubscribed"
            elif row["message_id"] and row["message__status"] != MessageStatus.PUBLISHED:
                why_not = "withdrawn"
            elif row["message__send_until"] is not None and row["message__send_until"] <= now:
                why_not = "ended"
            if why_not:
                stats.failed += same.update(state=DeliveryState.FAILED, error=why_not)
                continue
            urgent = row["message__kind"] == MessageKind.MISSING_CHILD
            if (
                urgent
                and row["state"] == DeliveryState.SENDING
                and row["subscription__channel"] == Channel.EMAIL
            ):
                # Its worker died while sending: the e-mail may have left. An alert's e-mail
                # is not sent twice (as the alert's own copies).
                stats.failed += same.update(
                    state=DeliveryState.FAILED, error="interrupted while sending"
                )
                continue
            quiet = None if urgent else quiet_until(row, now)
            if quiet is not None:
                stats.held += same.update(
                    state=DeliveryState.PENDING, next_attempt_at=quiet, lease_until=None
                )
                later(quiet)
                continue
            if not _claim(row, now):
                continue
            attempts = row["attempts"] + 1
            language = row["subscription__language"]
            if row["message_id"]:
                cached = (row["message_id"], language)
                if cached not in notices:
                    message = DistrictMessage.objects.get(pk=row["message_id"])
                    notices[cached] = _message_notice(message, language)
                notice = notices[cached]
            else:
                found = digest_notice(row["digest_id"], language, row["id"])
                if found is None:  # every message in it was withdrawn since
                    stats.failed += _settle(
                        row["id"], attempts, state=DeliveryState.FAILED, error="nothing left"
                    )
                    continue
                notice = found
            channel = row["subscription__channel"]
            if channel == Channel.PUSH:
                verdict, why = _send_push(row, notice, key)
            elif channel == Channel.SMS:
                verdict, why = _send_sms(row, notice, row["message__area_id"])
            else:
                if mailer is None:
                    mailer = stack.enter_context(mailers.default)
                verdict, why = _send_mail(row, notice, mailer)
            pk = row["id"]
            if verdict == "sent":
                stats.sent += _settle(
                    pk, attempts, state=DeliveryState.SENT, sent_at=timezone.now(), error=""
                )
            elif verdict == "gone":
                if _settle(pk, attempts, state=DeliveryState.GONE):
                    AreaSubscription.objects.filter(pk=row["subscription_id"]).update(active=False)
                    stats.gone += 1
            elif verdict == "retry" and attempts < max_attempts:
                due = timezone.now() + backoff(attempts)
                if _settle(
                    pk, attempts, state=DeliveryState.PENDING, next_attempt_at=due, error=why
                ):
                    later(due)
                    stats.retried += 1
            else:
                stats.failed += _settle(pk, attempts, state=DeliveryState.FAILED, error=why[:200])
    return RangeResult(stats, come_back)


def due_ranges(
    *,
    now: datetime | None = None,
    size: int | None = None,
    message_ids: list[int] | None = None,
) -> Iterator[tuple[int, int]]:
    """Ranges of delivery ids covering every copy due (of ``message_ids`` only, if given):
    pending and due, or left ``sending`` by a worker whose lease ran out."""
    moment = now or timezone.now()
    size = size or settings.MESSAGE_DELIVERY_CHUNK
    due = MessageDelivery.objects.filter(
        Q(state=DeliveryState.PENDING, next_attempt_at__lte=moment)
        | Q(state=DeliveryState.SENDING, lease_until__lt=moment)
    )
    if message_ids is not None:
        due = due.filter(message_id__in=message_ids)
    ids = list(due.order_by("pk").values_list("pk", flat=True))
    yield from copies.spans(ids, size)


def deliver() -> Stats:
    """Everything due, here and now, without a broker (``qurb messages deliver``, tests):
    the fan-out of every published message not yet fanned out, then every due copy."""
    stats = Stats()
    waiting = DistrictMessage.objects.filter(
        status="published", fanned_out_at__isnull=True
    ).exclude(kind=MessageKind.MISSING_CHILD)  # qurb.alerts queues those
    for pk in list(waiting.order_by("pk").values_list("pk", flat=True)):
        fan_out(pk, lambda *_range: None)
    for first, last in list(due_ranges()):
        stats.add(deliver_range(first, last).stats)
    return stats
