"""Background tasks for neighbourhood messages: a message's fan-out, the sending of a range of
copies, digests, the e-mail confirmation, and the workers' sweep."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import models, transaction
from django.tasks import task
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from qurb.core.links import absolute
from qurb.messaging.delivery import build_digests, deliver_range, fan_out
from qurb.messaging.models import AreaSubscription, DistrictMessage, MessageKind


def _dispatch(first: int, last: int) -> None:
    deliver_copies.enqueue(first, last)


@task()
def fan_out_message(message_id: int) -> dict[str, int]:
    """Queue a message's copies chunk by chunk, each chunk dispatched at once."""
    done = fan_out(message_id, _dispatch)
    return {"queued": done.queued, "chunks": done.chunks}


@task()
def deliver_copies(first: int, last: int) -> dict[str, int]:
    """Send one range of copies one at a time; come back for those held (retries, quiet
    hours, a dead worker's lease)."""
    result = deliver_range(first, last)
    if result.come_back_at is not None:
        deliver_copies.using(run_after=max(result.come_back_at, timezone.now())).enqueue(
            first, last
        )
    stats = result.stats
    return {
        "sent": stats.sent,
        "gone": stats.gone,
        "retried": stats.retried,
        "failed": stats.failed,
        "held": stats.held,
    }


def digests(rhythm: str) -> int:
    """Make this period's digests and dispatch their sending (the ``messages digest``
    command, run by cron)."""
    return build_digests(rhythm, _dispatch)


def sweep() -> int:
    """Part of the workers' safety net (``qurb.core.sweeper``): fan-outs of published
    messages that never started (their enqueue lost between the commit and the broker), each
    taken with a conditional update so several sweepers never start one twice."""
    moment = timezone.now()
    started = 0
    waiting = DistrictMessage.objects.filter(
        status="published",
        fanned_out_at__isnull=True,
        published_at__lt=moment - timedelta(seconds=30),
    ).exclude(kind=MessageKind.MISSING_CHILD)  # qurb.alerts queues and sweeps those
    for pk in waiting.values_list("pk", flat=True):
        taken = (
            DistrictMessage.objects.filter(pk=pk, fanned_out_at__isnull=True)
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
    """The double opt-in e-mail: nothing is sent before the address is confirmed."""
    with transaction.atomic():
        subscription = (
            AreaSubscription.objects.select_for_update()
            .filter(pk=subscription_id, confirmed_at__isnull=True, active=True)
            .exclude(email="")
            .first()
        )
        if subscription is None:
            return False
        link = absolute(reverse("messaging:confirm", args=[subscription.token]))
        with translation.override(subscription.language):
            subject = _("Confirm your neighbourhood messages")
            body = _(
                "Someone (we hope you) asked to receive the messages of the police of a "
                "neighbourhood at this address.\nConfirm with this link: %(link)s\n"
                "If it was not you, ignore this message: nothing will be sent."
            ) % {"link": link}
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [subscription.email])
    return True
