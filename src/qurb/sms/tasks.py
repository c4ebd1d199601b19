"""Outgoing SMS (and WhatsApp messages), one task each: claimed before it is sent, recorded
right after.

A worker killed between the claim and the record leaves its one SMS in ``sending``; once the
lease ends, the task (given back by the broker, or put back by the sweep) sends it again. So a
dead worker sends at most that one copy twice, and never loses one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.tasks import task
from django.utils import timezone

from qurb.core import copies
from qurb.sms import gateway, services, whatsapp
from qurb.sms.models import MessageChannel, OutgoingSms, SmsState


def lease() -> timedelta:
    """How long a claimed SMS stays with its worker: the longest a send may take, and more."""
    return timedelta(seconds=max(settings.KANNEL_TIMEOUT, settings.WHATSAPP_TIMEOUT) + 5)


backoff = copies.backoff


def _settle(sms_id: int, attempts: int, **fields: Any) -> bool:
    """Record the outcome of the SMS this worker claimed (``attempts`` is the claim's token):
    if its lease ran out and another worker took it over, that worker's outcome stands."""
    return copies.settle(OutgoingSms, sms_id, attempts, **fields)


def deliver(sms_id: int) -> str:
    """Send one SMS if it is due. Returns what happened (for the tests and the logs)."""
    now = timezone.now()
    row = (
        OutgoingSms.objects.filter(pk=sms_id)
        .values("id", "state", "attempts", "lease_until", "next_attempt_at")
        .first()
    )
    if row is None:
        return "gone"
    state = row["state"]
    if state == SmsState.SENDING and row["lease_until"] and row["lease_until"] > now:
        return "busy"  # another worker holds it; the sweep comes back after its lease
    if state not in (SmsState.PENDING, SmsState.SENDING):
        return "done"
    if state == SmsState.PENDING and row["next_attempt_at"] > now:
        return "later"
    if row["attempts"] >= settings.SMS_DELIVERY_ATTEMPTS:
        OutgoingSms.objects.filter(pk=sms_id, state=state, attempts=row["attempts"]).update(
            state=SmsState.FAILED, lease_until=None, settled_at=now, error="too many attempts"
        )
        return "failed"
    # The claim every delivery shares: one committed conditional update, due copies only.
    if not copies.claim(OutgoingSms.objects.all(), row, now, lease()):
        return "taken"
    sms = OutgoingSms.objects.select_related("phone").get(pk=sms_id)
    on_whatsapp = sms.channel == MessageChannel.WHATSAPP
    stopped = sms.phone.whatsapp_opted_out_at if on_whatsapp else sms.phone.opted_out_at
    if stopped is not None and sms.purpose not in services.REPLY_PURPOSES:
        _settle(
            sms_id,
            sms.attempts,
            state=SmsState.FAILED,
            settled_at=now,
            error="the number texted STOP",
        )
        return "stopped"
    recorded: dict[str, Any] = {}
    if on_whatsapp:
        # Decided now, not when queued: a retry may leave after the window closed.
        template = not whatsapp.window_open(sms.phone, now)
        if template and not settings.WHATSAPP_TEMPLATE:
            _settle(
                sms_id,
                sms.attempts,
                state=SmsState.FAILED,
                settled_at=now,
                error="outside the 24-hour window, and no template configured",
            )
            return "failed"
        outcome, why, message_id = whatsapp.send(
            number=sms.phone.number, text=sms.text, template=template, language=sms.language
        )
        recorded = {"kind": "template" if template else "text", "external_id": message_id}
    else:
        outcome, why = gateway.send(
            sms_id=sms_id, number=sms.phone.number, text=sms.text, key=services.dlr_key(sms_id)
        )
    done = timezone.now()
    if outcome == "sent":
        settled = _settle(
            sms_id, sms.attempts, state=SmsState.SENT, sent_at=done, error="", **recorded
        )
        if settled and recorded.get("external_id"):
            # Meta may have reported on the message before its id was recorded here.
            whatsapp.pending_statuses_apply(recorded["external_id"])
        return "sent"
    if outcome == "retry" and sms.attempts < settings.SMS_DELIVERY_ATTEMPTS:
        come_back = done + backoff(sms.attempts)
        waiting = {"next_attempt_at": come_back, "enqueued_at": done, "sweeps": 0, "error": why}
        if _settle(sms_id, sms.attempts, state=SmsState.PENDING, **waiting):
            services._enqueue(sms_id, run_after=come_back)
        return "retry"
    _settle(sms_id, sms.attempts, state=SmsState.FAILED, settled_at=done, error=why[:200])
    return "failed"


@task()
def sms_deliver(sms_id: int) -> str:
    return deliver(sms_id)


SWEEP_WAITS = (1, 2, 4, 8, 16, 32, 60)  # minutes before the sweep counts a task as lost


def _forgotten(now: Any) -> models.Q:
    """Queued long enough ago that its task counts as lost. The wait doubles with each time
    the sweep already put the SMS back (1, 2, 4 … 60 minutes): a task that is only waiting its
    turn behind a long queue is queued again a few times, not once a minute."""
    condition = models.Q(enqueued_at__isnull=True)
    last = len(SWEEP_WAITS) - 1
    for n, minutes in enumerate(SWEEP_WAITS):
        sweeps = models.Q(sweeps__gte=n) if n == last else models.Q(sweeps=n)
        condition |= sweeps & models.Q(enqueued_at__lt=now - timedelta(minutes=minutes))
    return condition


def sweep() -> int:
    """Part of the workers' safety net (``qurb.core.sweeper``): SMS whose task was lost
    (pending and due, queued long enough ago: see ``_forgotten``) and SMS left ``sending`` by a
    dead worker (lease over) are queued again, each taken with a conditional update. Returns
    how many."""
    now = timezone.now()
    due = OutgoingSms.objects.filter(
        models.Q(state=SmsState.PENDING, next_attempt_at__lte=now)
        | models.Q(state=SmsState.SENDING, lease_until__lt=now)
    ).filter(_forgotten(now))
    queued = 0
    for pk, enqueued_at in due.values_list("pk", "enqueued_at")[:1000]:
        taken = OutgoingSms.objects.filter(pk=pk, enqueued_at=enqueued_at).update(
            enqueued_at=now, sweeps=models.F("sweeps") + 1
        )
        if taken:
            sms_deliver.enqueue(pk)
            queued += 1
    return queued
