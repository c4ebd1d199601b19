"""Background tasks (Django's task framework; the database backend keeps them across crashes)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from qurb.core.links import absolute
from qurb.reports.models import ReporterContact, StatusChange


@task()
def notify_reporter(change_id: int) -> bool:
    """E-mail the reporter the public note of one status change, once.

    The row is locked while sending and marked afterwards, so a retried or duplicated task
    does not send the same update twice. Returns whether a message was sent.
    """
    with transaction.atomic():
        change = (
            StatusChange.objects.select_for_update()
            .select_related("report")
            .filter(pk=change_id, notified_at__isnull=True)
            .first()
        )
        if change is None or not change.public_note:
            return False
        report = change.report
        contact = ReporterContact.objects.filter(report=report).first()
        if contact is None or not contact.updates_email:
            return False
        with translation.override(report.language):
            link = absolute(reverse("reports:track", args=[report.tracking_code]))
            context = {"report": report, "change": change, "link": link}
            subject = render_to_string("reports/email_update_subject.txt", context).strip()
            body = render_to_string("reports/email_update.txt", context)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [contact.updates_email])
        change.notified_at = timezone.now()
        change.save(update_fields=["notified_at"])
    return True
