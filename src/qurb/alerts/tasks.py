"""Background tasks for alerts (the database task backend keeps them across crashes)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from qurb.alerts.delivery import deliver, next_retry
from qurb.alerts.models import Subscription
from qurb.core.links import absolute


@task()
def deliver_alerts(message_id: int | None = None) -> dict[str, int]:
    """Send the due deliveries of a message (or all); if some wait for a retry, come back
    when the first of them is due."""
    stats = deliver(message_id=message_id)
    retry_at = next_retry(message_id)
    if retry_at is not None:
        deliver_alerts.using(run_after=max(retry_at, timezone.now())).enqueue(message_id)
    return {
        "sent": stats.sent,
        "gone": stats.gone,
        "retried": stats.retried,
        "failed": stats.failed,
    }


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
