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

from qurb.alerts.delivery import deliver_range, fan_out
from qurb.alerts.models import CapMessage, Subscription
from qurb.core.links import absolute


@task()
def fan_out_message(message_id: int) -> dict[str, int]:
    """Queue a message's copies chunk by chunk, each chunk dispatched as its own task the
    moment it is queued (many workers share them; the first copies leave at once)."""
    done = fan_out(message_id, _dispatch)
    return {"queued": done.queued, "chunks": done.chunks}


def _dispatch(message_id: int, first: int, last: int) -> None:
    deliver_chunk.enqueue(message_id, first, last)


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


def sweep() -> int:
    """Part of the workers' safety net (``qurb.core.sweeper``): fan-outs that never started,
    because their enqueue was lost between the commit and the broker. Each is taken with a
    conditional update, so several sweepers never start one twice. Returns how many."""
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
    return started


@task()
def send_confirmation(subscription_id: int) -> bool:
    """The double opt-in e-mail: alerts start only once the address is confirmed."""
    with transaction.atomic():
        subscription = (
            Subscription.objects.select_for_update()
            .filter(pk=subscription_id, confirmed_at__isnull=True, active=True)
            .exclude(email="")
            .first()
        )
        if subscription is None:
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
    return True
