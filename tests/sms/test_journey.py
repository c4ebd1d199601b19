"""The SMS journey through Kannel: bearerbox, smsbox and fakesmsc (the phones) for real, Qurb
served by a live server that Kannel calls (incoming SMS, delivery reports), the outgoing SMS
sent by the background worker through Kannel's sendsms interface.

A resident texts a report in Latin-letter Darija, names a landmark, stays anonymous, receives
the tracking code, asks the status, hears a staff decision by SMS (delivered, as Kannel's
delivery report says), then texts STOP: nothing is sent afterwards."""

from __future__ import annotations

import http.server
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from qurb.accounts.models import User
from qurb.reports.models import Channel, Report, ReporterContact
from qurb.reports.services import report_status_change
from qurb.sms import services
from qurb.sms.models import OutgoingSms, ReportPhone, SmsIncoming, SmsState
from qurb.sms.signals import sms_stopped
from tests.sms.conftest import Kannel, Waiter, start_kannel, use_gateway

pytestmark = pytest.mark.django_db(transaction=True)

LOCAL = "0661234567"  # as the phone network gives it to Kannel
NUMBER = "+212661234567"  # as Qurb writes it back


def _ready_tasks() -> int:
    return DBTaskResult.objects.filter(status="READY").count()


@pytest.fixture
def gateway(kannel: Kannel, settings: Any, live_server: Any) -> Kannel:
    use_gateway(settings, kannel, live_server.url)
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


# --- an SMS Kannel delivers twice ---------------------------------------------------------------


@dataclass
class LossyLink:
    """Between smsbox and Qurb: every call reaches Qurb, but the answer to the first call for
    each message id is lost (smsbox gets a 503, as after a timeout), so smsbox calls again
    with the same id (http-request-retry)."""

    url: str
    calls: list[tuple[str, int]] = field(default_factory=list)  # (id, Qurb's status)


@pytest.fixture
def lossy_link(live_server: Any) -> Iterator[LossyLink]:
    link = LossyLink(url="")
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
            message_id = query.get("id", "")
            try:
                upstream = live_server.url + self.path  # http, our own live server
                with urllib.request.urlopen(upstream, timeout=30) as answer:  # noqa: S310
                    status, body = answer.status, answer.read()
            except urllib.error.HTTPError as error:
                status, body = error.code, error.read()
            with lock:
                first = all(seen != message_id for seen, _status in link.calls)
                link.calls.append((message_id, status))
            if first and message_id:
                status, body = 503, b"lost on the way\n"
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    link.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield link
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def kannel_behind_a_lossy_link(
    lossy_link: LossyLink, settings: Any, live_server: Any, tmp_path: Path
) -> Iterator[Kannel]:
    for gateway in start_kannel(lossy_link.url, tmp_path / "kannel"):
        use_gateway(settings, gateway, live_server.url)
        yield gateway


def test_an_sms_kannel_delivers_again_is_answered_once(
    committed: None,
    task_queue: None,
    kannel_behind_a_lossy_link: Kannel,
    lossy_link: LossyLink,
    eventually: Waiter,
) -> None:
    """Each of the resident's three SMS reaches Qurb twice, with Kannel's id for it (%I):
    Qurb answers each once, stores one report, and the phone gets three answers."""
    phones = kannel_behind_a_lossy_link.phones
    answers = []
    for n, text in enumerate(("kayn chi wa7ed kaybi3 l7chich 9dam lmdrassa", "Bab Boujloud", "1")):
        phones.send(LOCAL, text)
        # The first call did the work and its answer was lost; smsbox called again.

        def called_twice(calls: int = 2 * (n + 1)) -> bool:
            return len(lossy_link.calls) == calls

        eventually(called_twice)
        call_command("worker", batch=True)
        answers.append(phones.wait_for(NUMBER, n + 1)[n])
    ids = [message_id for message_id, _status in lossy_link.calls]
    assert all(ids)
    assert ids[0::2] == ids[1::2]  # each id twice in a row: the first call, then Kannel's retry
    assert len(set(ids)) == 3
    assert [status for _id, status in lossy_link.calls] == [200] * 6
    assert SmsIncoming.objects.count() == 3
    assert OutgoingSms.objects.count() == 3
    (report,) = Report.objects.filter(channel=Channel.SMS)
    assert report.tracking_code in answers[2]
    call_command("worker", batch=True)
    assert len(phones.received(NUMBER)) == 3
