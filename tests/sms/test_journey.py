"""The SMS journey through Kannel: bearerbox, smsbox and fakesmsc (the phones) for real, Qurb
served by a live server that Kannel calls (incoming SMS, delivery reports), the outgoing SMS
sent by the background worker through Kannel's sendsms interface.

A resident texts a report in Latin-letter Darija, names a landmark, stays anonymous, receives
the tracking code, asks the status, hears a staff decision by SMS (delivered, as Kannel's
delivery report says), then texts STOP: nothing is sent afterwards."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from qurb.accounts.models import User
from qurb.reports.models import Channel, Report, ReporterContact
from qurb.reports.services import report_status_change
from qurb.sms import services
from qurb.sms.gateway import _http
from qurb.sms.models import OutgoingSms, ReportPhone, SmsState
from qurb.sms.signals import sms_stopped
from tests.sms.conftest import SECRET, Kannel, Waiter

pytestmark = pytest.mark.django_db(transaction=True)

LOCAL = "0661234567"  # as the phone network gives it to Kannel
NUMBER = "+212661234567"  # as Qurb writes it back


def _ready_tasks() -> int:
    return DBTaskResult.objects.filter(status="READY").count()


@pytest.fixture
def gateway(kannel: Kannel, settings: Any, live_server: Any) -> Kannel:
    settings.KANNEL_SENDSMS_URL = kannel.sendsms_url
    settings.KANNEL_USERNAME = kannel.username
    settings.KANNEL_PASSWORD = kannel.password
    settings.SMS_INCOMING_SECRET = SECRET
    settings.SMS_CALLBACK_BASE_URL = live_server.url
    settings.SMS_SENDER = "1919"
    _http.cache_clear()
    return kannel


def test_sms_journey_through_kannel(
    committed: None, task_queue: None, gateway: Kannel, eventually: Waiter
) -> None:
    phones = gateway.phones

    def exchange(text: str) -> str:
        """The phone texts ``text``; the worker sends Qurb's answer through Kannel; the
        answer the phone received is returned."""
        received = len(phones.received(NUMBER))
        queued = _ready_tasks()
        phones.send(LOCAL, text)
        eventually(lambda: _ready_tasks() > queued)  # the answer is queued (after the commit)
        call_command("worker", batch=True)
        return phones.wait_for(NUMBER, received + 1)[received]

    ask_place = exchange("kayn chi wa7ed kaybi3 l7chich 9dam lmdrassa")
    assert ask_place.startswith("Qurb :")
    assert "quartier" in ask_place

    ask_anonymous = exchange("Bab Boujloud")
    assert "Bab Boujloud" in ask_anonymous
    assert "anonyme" in ask_anonymous

    received = exchange("oui")
    code = re.search(r"Q-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", received)
    assert code is not None, received
    report = Report.objects.get(tracking_code=code.group(0))
    assert report.channel == Channel.SMS
    assert report.anonymous
    assert report.category == "drugs"
    assert report.address == "Bab Boujloud"
    assert report.district.name_fr == "Fès-Médina"
    # The number is kept apart: no contact on the report, only the SMS app's link.
    assert not ReporterContact.objects.filter(report=report).exists()
    assert ReportPhone.objects.get(report=report).phone.number == NUMBER

    status = exchange(f"STATUS {report.tracking_code}")
    assert report.tracking_code in status
    assert "Recu" in status  # "Reçu" in the GSM alphabet: 160 characters an SMS, not 70

    # A staff decision reaches the phone, and Kannel's delivery report is recorded.
    received_before = len(phones.received(NUMBER))
    report_status_change(
        report=report,
        to_status="acknowledged",
        actor=User.objects.get(username="chief.medina"),
        public_note="Une patrouille passera ce soir.",
    )
    update = OutgoingSms.objects.get(purpose="status")
    call_command("worker", batch=True)
    got = phones.wait_for(NUMBER, received_before + 1)[received_before]
    assert report.tracking_code in got
    assert "Une patrouille passera ce soir." in got
    eventually(lambda: OutgoingSms.objects.get(pk=update.pk).state == SmsState.DELIVERED)
    # Every SMS of the journey was delivered, each once.
    eventually(
        lambda: set(OutgoingSms.objects.values_list("state", flat=True)) == {SmsState.DELIVERED}
    )
    assert len(phones.received(NUMBER)) == OutgoingSms.objects.count() == 5

    # STOP: confirmed by one SMS, the other apps told, and nothing sent afterwards.
    heard: list[str] = []

    def listener(sender: Any, number_hash: str, **kwargs: Any) -> None:
        heard.append(number_hash)

    sms_stopped.connect(listener)
    try:
        confirmation = exchange("STOP")
    finally:
        sms_stopped.disconnect(listener)
    assert "START" in confirmation
    assert heard == [services.number_hash(NUMBER)]
    assert services.number_opted_out(NUMBER)
    count = OutgoingSms.objects.count()
    report_status_change(
        report=report,
        to_status="investigating",
        actor=User.objects.get(username="chief.medina"),
        public_note="Enquête en cours.",
    )
    assert services.sms_send(number=NUMBER, text="Nouvelles du quartier", purpose="news") is None
    assert OutgoingSms.objects.count() == count
    assert _ready_tasks() == 0
