"""Background tasks for alerts: the fan-out of a message, its chunks, confirmations."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import models, transaction
from django.tasks import task
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from qurb.alerts import residents
from qurb.alerts.delivery import deliver_range, due_ranges, fan_out, lease
from qurb.alerts.models import CapMessage, Delivery, DeliveryState, Subscription
from qurb.core.links import absolute
from qurb.core.optin import already_sent
from qurb.messaging.tasks import deliver_copies


@task()
def fan_out_message(message_id: int) -> dict[str, int]:
    """Queue a message's copies chunk by chunk, each chunk dispatched as its own task the
    moment it is queued (many workers share them; the first copies leave at once); then its
    copies for neighbourhood subscribers (``qurb.alerts.residents``), sent by messaging's
    ``deliver_copies``."""
    done = fan_out(message_id, _dispatch, dispatch_copies=_dispatch_copies)
    return {
        "queued": done.queued,
        "chunks": done.chunks,
        "neighbourhood_queued": done.neighbourhood_queued,
        "neighbourhood_chunks": done.neighbourhood_chunks,
    }


def _dispatch(message_id: int, first: int, last: int) -> None:
    deliver_chunk.enqueue(message_id, first, last)


def _dispatch_copies(first: int, last: int) -> None:
    deliver_copies.enqueue(first, last)


@task()
def deliver_chunk(message_id: int, first: int, last: int) -> dict[str, int]:
    """Send one chunk's copies, one at a time; come back for those waiting for a retry or
    for the lease of a worker that died while sending."""
    result = deliver_range(message_id, first, last)
    if result.come_back_at is not None:
        deliver_chunk.using(run_after=max(result.come_back_at, timezone.now())).enqueue(
            message_id, first, last
        )
    stats = result.stats
    return {
        "sent": stats.sent,
        "gone": stats.gone,
        "retried": stats.retried,
        "failed": stats.failed,
    }


@task()
def deliver_alerts(message_id: int | None = None) -> int:
    """Kept for the tasks queued before the fan-out existed (an upgrade): their copies go
    out as chunks. Returns how many chunks were dispatched."""
    ranges = list(due_ranges(message_id=message_id))
    for mid, first, last in ranges:
        deliver_chunk.enqueue(mid, first, last)
    return len(ranges)


def sweep() -> int:
    """Part of the workers' safety net (``qurb.core.sweeper``). Each step takes its work with
    a conditional update, so several sweepers never do it twice. Returns how many fan-outs
    and messages it took up.

    * Fan-outs that never started: their enqueue was lost between the commit and the broker
      (or the fan-out task failed and ten minutes passed).
    * Stranded copies: due for longer than a lease and a minute in a message from which no
      copy has left for as long: the task that held them failed (an error is acknowledged,
      not retried) or was queued before an upgrade. Their ranges are dispatched again. The
      message's neighbourhood copies (``residents``) are looked after the same way.
    """
    moment = timezone.now()
    started = 0
    waiting = CapMessage.objects.filter(
        fanned_out_at__isnull=True, sent__lt=moment - timedelta(seconds=30)
    )
    for pk in waiting.values_list("pk", flat=True):
        taken = (
            CapMessage.objects.filter(pk=pk, fanned_out_at__isnull=True)
            .filter(
                models.Q(fanout_started_at__isnull=True)
                | models.Q(fanout_started_at__lt=moment - timedelta(minutes=10))
            )
            .update(fanout_started_at=moment)
        )
        if taken:
            fan_out_message.enqueue(pk)
            started += 1
    cutoff = moment - lease() - timedelta(minutes=1)
    recent = CapMessage.objects.filter(
        sent__gte=moment - timedelta(days=7), fanned_out_at__isnull=False
    ).values_list("pk", flat=True)
    for pk in recent:
        stranded = Delivery.objects.filter(message_id=pk).filter(
            models.Q(state=DeliveryState.PENDING, next_attempt_at__lt=cutoff)
            | models.Q(state=DeliveryState.SENDING, lease_until__lt=cutoff)
        )
        if not stranded.exists() and not residents.copies_stranded(pk, cutoff):
            continue
        if Delivery.objects.filter(
            message_id=pk, sent_at__gte=cutoff
        ).exists() or residents.copies_leaving(pk, cutoff):
            continue  # copies are leaving: its chunks are on their way
        taken = (
            CapMessage.objects.filter(pk=pk)
            .filter(models.Q(swept_at__isnull=True) | models.Q(swept_at__lt=cutoff))
            .update(swept_at=moment)
        )
        if taken:
            for mid, first, last in due_ranges(message_id=pk, now=cutoff):
                deliver_chunk.enqueue(mid, first, last)
            for first, last in residents.due_ranges(pk, cutoff):
                deliver_copies.enqueue(first, last)
            started += 1
    return started


@task()
def send_confirmation(subscription_id: int, requested_at: str = "") -> bool:
    """The double opt-in e-mail: alerts start only once the address is confirmed. Sent once
    per request (``requested_at``): run twice, the second run finds it stamped."""
    with transaction.atomic():
        subscription = (
            Subscription.objects.select_for_update()
            .filter(pk=subscription_id, confirmed_at__isnull=True, active=True)
            .exclude(email="")
            .first()
        )
        if subscription is None or already_sent(subscription.confirmation_sent_at, requested_at):
            return False
        link = absolute(reverse("alerts:confirm", args=[subscription.token]))
        with translation.override(subscription.language):
            subject = _("Confirm your missing-child alerts")
            body = _(
                "Someone (we hope you) asked to receive missing-child alerts at this address.\n"
                "Confirm with this link: %(link)s\n"
                "If it was not you, ignore this message: nothing will be sent."
            ) % {"link": link}
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [subscription.email])
        subscription.confirmation_sent_at = timezone.now()
        subscription.save(update_fields=["confirmation_sent_at"])
    return True
