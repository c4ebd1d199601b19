"""What the SMS app does when other apps say something happened."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import translation

from qurb.sms import services
from qurb.sms.conversation import status_text
from qurb.sms.models import ReportPhone


def status_changed(sender: Any, *, report: Any, change: Any, **kwargs: Any) -> None:
    """A report texted by SMS (or sent on WhatsApp) changed status: its number hears it on the
    same channel, after the commit (unless it sent STOP, or a cap is reached:
    ``message_send`` decides; on WhatsApp, outside the 24-hour window, as a template)."""
    link = ReportPhone.objects.select_related("phone").filter(report_id=report.pk).first()
    if link is None:
        return
    number = link.phone.number
    language = report.language if report.language in ("ar", "fr", "en") else "fr"
    with translation.override(language):
        text = status_text(
            code=report.tracking_code, status=change.to_status, note=change.public_note
        )
    area_id = report.district_id
    channel = link.channel

    def send() -> None:
        services.message_send(
            channel=channel,
            number=number,
            text=text,
            purpose="status",
            area_id=area_id,
            language=language,
        )

    transaction.on_commit(send)
