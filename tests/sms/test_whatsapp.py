"""WhatsApp (Cloud API) on the SMS conversation: Meta's webhooks, signed, and a loopback server
playing the Graph API that checks every request Qurb sends to it."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from qurb.accounts.models import User
from qurb.reports.models import Channel, Report, ReporterContact
from qurb.reports.services import report_status_change
from qurb.sms import services, tasks
from qurb.sms.models import (
    Conversation,
    MessageChannel,
    OutgoingSms,
    PhoneNumber,
    ReportPhone,
    SmsState,
    WhatsAppIncoming,
    WhatsAppPendingStatus,
)

pytestmark = pytest.mark.django_db

WEBHOOK = "/sms/whatsapp/webhook"
APP_SECRET = "app-secret-for-tests"
VERIFY_TOKEN = "verify-token-for-tests"
TOKEN = "EAAG-test-token"
PHONE_NUMBER_ID = "106540352242922"
VERSION = "v99.0"
TEMPLATE = "qurb_update"
WA_ID = "212612345678"  # how WhatsApp writes +212 6 12 34 56 78
DARIJA = "kayn chi wa7ed kaybi3 l7chich 9dam lmdrassa"


@dataclass
class Graph:
    """The Graph API on a loopback port: each request kept as (method, path, headers, JSON)."""

    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    answers: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # next answers
    counter: list[int] = field(default_factory=lambda: [0])
    # Called (in the server's thread) after a message is accepted and before the answer.
    before_answer: Callable[[], None] = lambda: None

    def bodies(self) -> list[dict[str, Any]]:
        return [r["json"] for r in self.requests]

    def texts(self) -> list[str]:
        return [b["text"]["body"] for b in self.bodies() if b.get("type") == "text"]


@pytest.fixture
def graph(settings: Any) -> Iterator[Graph]:
    state = Graph(url="")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            state.requests.append(
                {
                    "method": "POST",
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "json": json.loads(raw),
                }
            )
            if state.answers:
                status, answer = state.answers.pop(0)
            else:
                state.counter[0] += 1
                status = 200
                to = json.loads(raw).get("to", "")
                answer = {
                    "messaging_product": "whatsapp",
                    "contacts": [{"input": to, "wa_id": to}],
                    "messages": [{"id": f"wamid.TEST{state.counter[0]}"}],
                }
                state.before_answer()
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    settings.WHATSAPP_BASE_URL = state.url + "/"
    settings.WHATSAPP_API_VERSION = VERSION
    settings.WHATSAPP_PHONE_NUMBER_ID = PHONE_NUMBER_ID
    settings.WHATSAPP_TOKEN = TOKEN
    settings.WHATSAPP_APP_SECRET = APP_SECRET
    settings.WHATSAPP_VERIFY_TOKEN = VERIFY_TOKEN
    settings.WHATSAPP_TEMPLATE = TEMPLATE
    settings.WHATSAPP_TEMPLATE_LANGUAGES = {"ar": "ar", "fr": "fr", "en": "en_US"}
    from qurb.sms.whatsapp import _http

    _http.cache_clear()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(body: bytes, signature: str | None = "auto") -> Any:
    headers: dict[str, Any] = {}
    if signature == "auto":
        headers["HTTP_X_HUB_SIGNATURE_256"] = sign(body)
    elif signature is not None:
        headers["HTTP_X_HUB_SIGNATURE_256"] = signature
    return Client().generic("POST", WEBHOOK, body, content_type="application/json", **headers)


def envelope(value: dict[str, Any]) -> dict[str, Any]:
    """Meta's notification around one ``value`` (the documented shape)."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "212522000000",
                                "phone_number_id": PHONE_NUMBER_ID,
                            },
                            **value,
                        },
                    }
                ],
            }
        ],
    }


_ids = iter(range(1, 10**6))


def text_message(body: str, *, sender: str = WA_ID, message_id: str | None = None) -> bytes:
    message_id = message_id or f"wamid.IN{next(_ids)}"
    return json.dumps(
        envelope(
            {
                "contacts": [{"profile": {"name": "Resident"}, "wa_id": sender}],
                "messages": [
                    {
                        "from": sender,
                        "id": message_id,
                        "timestamp": str(int(timezone.now().timestamp())),
                        "type": "text",
                        "text": {"body": body},
                    }
                ],
            }
        )
    ).encode()


def statuses(*items: tuple[str, str], errors: list[dict[str, Any]] | None = None) -> bytes:
    return json.dumps(
        envelope(
            {
                "statuses": [
                    {
                        "id": message_id,
                        "status": status,
                        "timestamp": str(int(timezone.now().timestamp())),
                        "recipient_id": WA_ID,
                        **({"errors": errors} if errors and status == "failed" else {}),
                    }
                    for message_id, status in items
                ]
            }
        )
    ).encode()


def deliver_all() -> list[str]:
    """Run the task of every WhatsApp message still waiting (as a worker would)."""
    rows = OutgoingSms.objects.filter(channel=MessageChannel.WHATSAPP, state=SmsState.PENDING)
    return [tasks.deliver(pk) for pk in rows.order_by("pk").values_list("pk", flat=True)]


def say(graph: Graph, text: str, sender: str = WA_ID) -> list[str]:
    """The resident writes ``text`` on WhatsApp; the texts Qurb sends back."""
    before = len(graph.requests)
    response = post(text_message(text, sender=sender))
    assert response.status_code == 200
    deliver_all()
    return [b["text"]["body"] for b in graph.bodies()[before:]]


# --- the handshake and the signature ----------------------------------------------------------


def test_the_verification_handshake(graph: Graph) -> None:
    client = Client()
    query = {
        "hub.mode": "subscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "1158201444",
    }
    answer = client.get(WEBHOOK, query)
    assert answer.status_code == 200
    assert answer.content == b"1158201444"
    assert client.get(WEBHOOK, {**query, "hub.verify_token": "wrong"}).status_code == 403
    assert client.get(WEBHOOK, {**query, "hub.mode": "unsubscribe"}).status_code == 403
    assert client.get(WEBHOOK).status_code == 403
    hostile = client.get(WEBHOOK, {**query, "hub.challenge": "<script>alert(1)</script>"})
    assert hostile.status_code == 400


def test_the_channel_is_off_without_its_settings(settings: Any) -> None:
    settings.WHATSAPP_APP_SECRET = ""
    settings.WHATSAPP_VERIFY_TOKEN = ""
    query = {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}
    assert Client().get(WEBHOOK, query).status_code == 404
    assert post(text_message(DARIJA), signature=sign(text_message(DARIJA), "")).status_code == 404
    assert not Conversation.objects.exists()


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "sha256=",
        "sha256=" + "0" * 64,
        "sha1=" + hmac.new(APP_SECRET.encode(), b"x", hashlib.sha1).hexdigest(),
        "other",
    ],
)
def test_a_notification_without_the_right_signature_is_refused(
    graph: Graph, signature: str | None
) -> None:
    response = post(text_message(DARIJA), signature=signature)
    assert response.status_code == 403
    assert not Conversation.objects.exists()
    assert not WhatsAppIncoming.objects.exists()


def test_a_signature_with_another_secret_or_of_another_body_is_refused(graph: Graph) -> None:
    body = text_message(DARIJA)
    assert post(body, signature=sign(body, "another-secret")).status_code == 403
    assert post(body, signature=sign(body + b" ")).status_code == 403
    assert not Conversation.objects.exists()
    assert post(body).status_code == 200
    assert Conversation.objects.filter(channel=MessageChannel.WHATSAPP).count() == 1


# --- the conversation ---------------------------------------------------------------------------


def test_a_whole_report_over_whatsapp(graph: Graph) -> None:
    (ask_place,) = say(graph, DARIJA)
    assert ask_place.startswith("Qurb")
    (ask_anonymous,) = say(graph, "Bab Boujloud")
    assert "Bab Boujloud" in ask_anonymous
    (received,) = say(graph, "oui")
    report = Report.objects.get(channel=Channel.WHATSAPP)
    assert report.channel == Channel.WHATSAPP
    assert report.anonymous
    assert report.description == DARIJA
    assert report.tracking_code in received
    assert not ReporterContact.objects.filter(report=report).exists()
    link = ReportPhone.objects.get(report=report)
    assert (link.phone.number, link.channel) == ("+212612345678", MessageChannel.WHATSAPP)
    # Every request, exactly as the Cloud API documents it.
    assert len(graph.requests) == 3
    for request in graph.requests:
        assert request["method"] == "POST"
        assert request["path"] == f"/{VERSION}/{PHONE_NUMBER_ID}/messages"
        assert request["headers"]["authorization"] == f"Bearer {TOKEN}"
        assert request["headers"]["content-type"] == "application/json"
    assert graph.requests[-1]["json"] == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": WA_ID,
        "type": "text",
        "text": {"preview_url": False, "body": received},
    }
    rows = OutgoingSms.objects.filter(channel=MessageChannel.WHATSAPP).order_by("pk")
    assert [(r.state, r.kind, r.purpose) for r in rows] == [(SmsState.SENT, "text", "reply")] * 3
    assert [r.external_id for r in rows] == ["wamid.TEST1", "wamid.TEST2", "wamid.TEST3"]
    # Nothing went by SMS, and the SMS conversation of the same number was not touched.
    assert not OutgoingSms.objects.filter(channel=MessageChannel.SMS).exists()
    assert not Conversation.objects.filter(channel=MessageChannel.SMS).exists()


def test_sms_and_whatsapp_conversations_of_one_number_are_apart(graph: Graph) -> None:
    from qurb.sms.conversation import incoming_handle

    incoming_handle(number="0612345678", text=DARIJA)  # by SMS: asks for the place
    say(graph, "Il y a une bagarre devant le café")  # on WhatsApp: a report of its own
    (ask_anonymous,) = say(graph, "Bab Boujloud")
    assert "Bab Boujloud" in ask_anonymous
    (received,) = say(graph, "1")
    report = Report.objects.get(channel=Channel.WHATSAPP)
    assert report.tracking_code in received
    assert report.description == "Il y a une bagarre devant le café"
    assert Conversation.objects.get(channel=MessageChannel.SMS).text == DARIJA


def test_status_stop_and_start_over_whatsapp(
    graph: Graph, django_capture_on_commit_callbacks: Any
) -> None:
    say(graph, DARIJA)
    say(graph, "Bab Boujloud")
    say(graph, "1")
    report = Report.objects.get(channel=Channel.WHATSAPP)
    (status,) = say(graph, f"STATUS {report.tracking_code}")
    assert report.tracking_code in status
    (stopped,) = say(graph, "STOP")
    assert "WhatsApp" in stopped
    phone = PhoneNumber.objects.get()
    assert phone.whatsapp_opted_out_at is not None
    assert phone.opted_out_at is None  # SMS are not affected
    assert OutgoingSms.objects.filter(purpose="stop", state=SmsState.SENT).count() == 1
    before = len(graph.requests)
    with django_capture_on_commit_callbacks(execute=True):
        report_status_change(
            report=report,
            to_status="acknowledged",
            actor=User.objects.get(username="chief.medina"),
            public_note="Une patrouille passera ce soir.",
        )
    deliver_all()
    assert len(graph.requests) == before  # nothing after STOP
    assert not OutgoingSms.objects.filter(purpose="status").exists()
    (started,) = say(graph, "START")
    assert "WhatsApp" in started
    assert PhoneNumber.objects.get().whatsapp_opted_out_at is None
    (arabic,) = say(graph, "توقف")
    assert "واتساب" in arabic


def test_a_status_change_inside_the_window_is_a_text_and_25_hours_later_a_template(
    graph: Graph, django_capture_on_commit_callbacks: Any
) -> None:
    say(graph, DARIJA)
    say(graph, "Bab Boujloud")
    say(graph, "1")
    report = Report.objects.get(channel=Channel.WHATSAPP)
    chief = User.objects.get(username="chief.medina")
    with django_capture_on_commit_callbacks(execute=True):
        report_status_change(report=report, to_status="acknowledged", actor=chief)
    deliver_all()
    assert graph.requests[-1]["json"]["type"] == "text"
    assert report.tracking_code in graph.requests[-1]["json"]["text"]["body"]
    # The resident's last message was 25 hours ago: the window is closed.
    PhoneNumber.objects.update(whatsapp_seen_at=timezone.now() - timedelta(hours=25))
    with django_capture_on_commit_callbacks(execute=True):
        report_status_change(
            report=report,
            to_status="investigating",
            actor=chief,
            public_note="Une patrouille\npassera   ce soir.",
        )
    assert deliver_all() == ["sent"]
    row = OutgoingSms.objects.filter(purpose="status").order_by("-pk").first()
    assert row is not None
    assert (row.kind, row.state) == ("template", SmsState.SENT)
    request = graph.requests[-1]
    assert request["path"] == f"/{VERSION}/{PHONE_NUMBER_ID}/messages"
    assert request["headers"]["authorization"] == f"Bearer {TOKEN}"
    body = request["json"]
    parameter = body["template"]["components"][0]["parameters"][0]["text"]
    assert body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": WA_ID,
        "type": "template",
        "template": {
            "name": TEMPLATE,
            "language": {"code": "fr"},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": parameter}]}],
        },
    }
    assert report.tracking_code in parameter
    assert "Une patrouille passera ce soir." in parameter  # no new line, no run of spaces
    assert "\n" not in parameter


def test_outside_the_window_without_a_template_nothing_is_sent(graph: Graph, settings: Any) -> None:
    settings.WHATSAPP_TEMPLATE = ""
    services.message_send(
        channel=MessageChannel.WHATSAPP,
        number="+212612345678",
        text="Qurb: hello",
        purpose="status",
    )
    assert deliver_all() == ["failed"]
    assert graph.requests == []
    assert "24-hour" in OutgoingSms.objects.get().error


def test_a_message_that_is_not_text_is_answered_with_a_request_for_text(graph: Graph) -> None:
    body = json.dumps(
        envelope(
            {
                "messages": [
                    {
                        "from": WA_ID,
                        "id": "wamid.IMAGE1",
                        "timestamp": str(int(timezone.now().timestamp())),
                        "type": "image",
                        "image": {"id": "1234", "mime_type": "image/jpeg"},
                    }
                ]
            }
        )
    ).encode()
    assert post(body).status_code == 200
    deliver_all()
    assert len(graph.texts()) == 1
    assert not Report.objects.filter(channel=Channel.WHATSAPP).exists()


# --- statuses, duplicates, the Graph API's answers ---------------------------------------------


def test_statuses_are_recorded_and_never_go_back(graph: Graph) -> None:
    say(graph, DARIJA)
    say(graph, "Bab Boujloud")
    first, second = OutgoingSms.objects.order_by("pk")
    assert post(statuses((first.external_id, "delivered"))).status_code == 200
    first.refresh_from_db()
    assert first.state == SmsState.DELIVERED
    assert (
        post(statuses((first.external_id, "read"), (second.external_id, "read"))).status_code == 200
    )
    # Meta does not promise the order: a late "delivered" leaves "read" alone.
    assert post(statuses((first.external_id, "delivered"))).status_code == 200
    assert post(statuses(("wamid.UNKNOWN", "read"))).status_code == 200
    assert [r.state for r in OutgoingSms.objects.order_by("pk")] == [SmsState.READ] * 2


def test_a_failed_status_is_recorded_with_its_error(graph: Graph) -> None:
    say(graph, DARIJA)
    row = OutgoingSms.objects.get()
    errors = [{"code": 131026, "title": "Message undeliverable"}]
    assert post(statuses((row.external_id, "failed"), errors=errors)).status_code == 200
    row.refresh_from_db()
    assert row.state == SmsState.FAILED
    assert row.error == "WhatsApp 131026: Message undeliverable"


def test_a_message_delivered_twice_is_answered_once(graph: Graph) -> None:
    body = text_message(DARIJA, message_id="wamid.SAME")
    assert post(body).status_code == 200
    assert post(body).status_code == 200
    deliver_all()
    assert len(graph.requests) == 1
    assert OutgoingSms.objects.count() == 1
    assert WhatsAppIncoming.objects.get().message_id == "wamid.SAME"


@pytest.mark.parametrize(
    ("status", "answer", "outcome", "state"),
    [
        (500, {"error": {"message": "Internal", "code": 1}}, "retry", SmsState.PENDING),
        (429, {"error": {"message": "Too many", "code": 4}}, "retry", SmsState.PENDING),
        (400, {"error": {"message": "Rate limit hit", "code": 130429}}, "retry", SmsState.PENDING),
        (
            400,
            {"error": {"message": "Re-engagement message", "code": 131047}},
            "failed",
            SmsState.FAILED,
        ),
        (
            401,
            {"error": {"message": "Invalid OAuth access token", "code": 190}},
            "failed",
            SmsState.FAILED,
        ),
    ],
)
def test_the_graph_api_answers_decide_retry_or_failure(
    graph: Graph, status: int, answer: dict[str, Any], outcome: str, state: str
) -> None:
    post(text_message(DARIJA))
    graph.answers.append((status, answer))
    assert deliver_all() == [outcome]
    row = OutgoingSms.objects.get()
    assert row.state == state
    assert f"HTTP {status}" in row.error
    assert row.external_id == ""


def test_a_message_already_claimed_is_not_sent_twice(graph: Graph) -> None:
    post(text_message(DARIJA))
    row = OutgoingSms.objects.get()
    assert tasks.deliver(row.pk) == "sent"
    assert tasks.deliver(row.pk) == "done"
    assert len(graph.requests) == 1


# --- a status before its message is recorded ------------------------------------------------


def test_a_status_that_comes_before_the_send_is_recorded_is_applied_when_it_is(
    graph: Graph,
) -> None:
    """Meta may report on a message before the task that sent it has recorded its wamid: the
    status is held, then applied once the id is recorded; a late "sent" changes nothing."""
    post(text_message(DARIJA))
    coming = f"wamid.TEST{graph.counter[0] + 1}"  # what the Graph API answers next
    assert post(statuses((coming, "delivered"), (coming, "read"))).status_code == 200
    assert post(statuses((coming, "read"))).status_code == 200  # Meta sends it again: once
    assert sorted(WhatsAppPendingStatus.objects.values_list("status", flat=True)) == [
        "delivered",
        "read",
    ]
    assert deliver_all() == ["sent"]
    row = OutgoingSms.objects.get()
    assert (row.external_id, row.state) == (coming, SmsState.READ)
    assert row.settled_at is not None
    assert not WhatsAppPendingStatus.objects.exists()
    for late in ("sent", "delivered", "read"):
        assert post(statuses((coming, late))).status_code == 200
        row.refresh_from_db()
        assert row.state == SmsState.READ
    assert not WhatsAppPendingStatus.objects.exists()


def test_a_failure_that_comes_first_is_kept_with_its_error(graph: Graph) -> None:
    post(text_message(DARIJA))
    coming = f"wamid.TEST{graph.counter[0] + 1}"
    errors = [{"code": 131026, "title": "Message undeliverable"}]
    assert post(statuses((coming, "failed"), errors=errors)).status_code == 200
    assert deliver_all() == ["sent"]
    row = OutgoingSms.objects.get()
    assert (row.state, row.error) == (SmsState.FAILED, "WhatsApp 131026: Message undeliverable")


def test_held_statuses_of_messages_never_recorded_are_purged_after_a_week(graph: Graph) -> None:
    assert post(statuses(("wamid.SOMEONE_ELSES", "read"))).status_code == 200
    WhatsAppPendingStatus.objects.update(created_at=timezone.now() - timedelta(days=8))
    services.numbers_purge()
    assert not WhatsAppPendingStatus.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("late", ["sent", "read"])
def test_the_race_between_a_status_and_the_record_of_its_message(
    graph: Graph, committed: None, monkeypatch: pytest.MonkeyPatch, late: str
) -> None:
    """The worst interleaving, forced: the status finds no message, then the task records
    the id and applies what is held (nothing yet), then the status is held. Each side writes
    before it reads again, so the status side sees the id: nothing is lost, and applying a
    status twice, or a late "sent" after "read", changes nothing."""
    from qurb.sms import whatsapp

    post(text_message(DARIJA))
    coming = f"wamid.TEST{graph.counter[0] + 1}"
    original = whatsapp._status_apply
    missed, recorded = threading.Event(), threading.Event()
    status_thread: list[threading.Thread] = []

    def paced(message_id: str, state: str, error: str) -> bool:
        applied = original(message_id, state, error)
        in_status_thread = bool(status_thread) and threading.current_thread() is status_thread[0]
        if in_status_thread and not applied and not missed.is_set():
            missed.set()
            assert recorded.wait(30)  # the task records the id meanwhile
        return applied

    monkeypatch.setattr(whatsapp, "_status_apply", paced)
    outcome: list[str] = []

    def meta() -> None:
        try:
            outcome.append(whatsapp.status_record({"id": coming, "status": "read"}))
        finally:
            connection.close()

    status_thread.append(threading.Thread(target=meta))
    status_thread[0].start()
    assert missed.wait(30)
    assert deliver_all() == ["sent"]  # records the id, finds nothing held yet
    recorded.set()
    status_thread[0].join(30)
    assert outcome == ["statuses"]
    row = OutgoingSms.objects.get()
    assert (row.external_id, row.state) == (coming, SmsState.READ)
    assert not WhatsAppPendingStatus.objects.exists()
    assert whatsapp.status_record({"id": coming, "status": late}) == "statuses"
    assert OutgoingSms.objects.get().state == SmsState.READ


@pytest.mark.django_db(transaction=True)
def test_a_status_posted_while_the_api_call_is_in_flight(graph: Graph, committed: None) -> None:
    """Meta's webhook reaches Qurb while the task still waits for the Graph API's answer (the
    loopback API posts the status before it answers): held, then applied by the task."""
    post(text_message(DARIJA))
    coming = f"wamid.TEST{graph.counter[0] + 1}"
    answers: list[int] = []
    original = graph.before_answer

    def report_first() -> None:
        answers.append(post(statuses((coming, "delivered"))).status_code)
        connection.close()

    graph.before_answer = report_first
    try:
        assert deliver_all() == ["sent"]
    finally:
        graph.before_answer = original
    assert answers == [200]
    row = OutgoingSms.objects.get()
    assert (row.external_id, row.state) == (coming, SmsState.DELIVERED)
    assert not WhatsAppPendingStatus.objects.exists()


# --- hostile input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe\x00garbage",
        b"{" * 5,
        b"[" * 100_000 + b"]" * 100_000,
    ],
)
def test_malformed_bodies_are_400(graph: Graph, body: bytes) -> None:
    assert post(body).status_code == 400


@pytest.mark.parametrize(
    "payload",
    [
        [],
        "text",
        None,
        {},
        {"object": "page", "entry": []},
        {"object": "whatsapp_business_account"},
        {"object": "whatsapp_business_account", "entry": "x"},
        {"object": "whatsapp_business_account", "entry": [1, None, {"changes": {"a": 1}}]},
        {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": []}]}]},
        envelope({"messages": [{"from": 212612345678, "id": "a", "type": "text"}]}),
        envelope({"messages": [{"from": WA_ID, "id": ["x"], "type": "text", "text": {}}]}),
        envelope(
            {"messages": [{"from": WA_ID, "id": "x" * 500, "type": "text", "text": {"body": "a"}}]}
        ),
        envelope(
            {"messages": [{"from": WA_ID, "id": "b", "type": "text", "text": {"body": {"a": 1}}}]}
        ),
        envelope(
            {
                "messages": [
                    {"from": "+2126<script>", "id": "c", "type": "text", "text": {"body": "x"}}
                ]
            }
        ),
        envelope(
            {"messages": [{"from": "12", "id": "d", "type": "text", "text": {"body": "x" * 20}}]}
        ),
        envelope({"messages": [{"from": WA_ID, "id": "e", "type": "reaction", "reaction": {}}]}),
        envelope({"statuses": [{"id": {"x": 1}, "status": "read"}, "s", {"id": "f", "status": 3}]}),
        {
            **envelope({}),
            "entry": [
                {
                    "changes": [
                        {
                            "value": {
                                "metadata": {"phone_number_id": "999"},
                                "messages": [
                                    {
                                        "from": WA_ID,
                                        "id": "g",
                                        "type": "text",
                                        "text": {"body": DARIJA},
                                    }
                                ],
                            }
                        }
                    ]
                }
            ],
        },
    ],
)
def test_signed_notifications_of_unknown_shapes_are_200_and_change_nothing(
    graph: Graph, payload: Any
) -> None:
    assert post(json.dumps(payload).encode()).status_code == 200
    assert not Conversation.objects.exists()
    assert not OutgoingSms.objects.exists()


def test_a_huge_body_is_refused_and_a_huge_text_is_cut(graph: Graph) -> None:
    huge = b'{"object": "whatsapp_business_account", "x": "' + b"a" * 400_000 + b'"}'
    assert post(huge).status_code in (400, 413)  # the request guard or the view: never read
    assert not Conversation.objects.exists()
    assert post(text_message("Il y a un vol " + "x" * 100_000)).status_code == 200
    assert len(Conversation.objects.get().text) <= 2000


def test_a_flood_in_one_notification_is_read_up_to_a_limit(graph: Graph) -> None:
    payload = envelope(
        {
            "statuses": [
                {"id": f"wamid.N{i}", "status": "read", "recipient_id": WA_ID} for i in range(3000)
            ]
        }
    )
    body = json.dumps(payload).encode()
    assert len(body) < 256 * 1024
    assert post(body).status_code == 200
    from qurb.sms.whatsapp import ITEMS_MAX, webhook_handle

    # Statuses of messages Qurb has not recorded (yet) are held, up to the limit, once each.
    assert WhatsAppPendingStatus.objects.count() == ITEMS_MAX
    assert webhook_handle(payload)["held"] == ITEMS_MAX
    assert WhatsAppPendingStatus.objects.count() == ITEMS_MAX


def test_a_message_delivered_late_is_answered_by_template(graph: Graph) -> None:
    """The window runs from the message's own time: Meta may deliver it a day late."""
    late = json.loads(text_message(DARIJA))
    message = late["entry"][0]["changes"][0]["value"]["messages"][0]
    message["timestamp"] = str(int((timezone.now() - timedelta(hours=30)).timestamp()))
    assert post(json.dumps(late).encode()).status_code == 200
    assert deliver_all() == ["sent"]
    (request,) = graph.requests
    assert request["json"]["type"] == "template"
    assert request["json"]["template"]["name"] == TEMPLATE
    # A message from the future does not stretch the window either.
    message["timestamp"] = str(10**12)
    message["id"] = "wamid.FUTURE"
    assert post(json.dumps(late).encode()).status_code == 200
    seen = PhoneNumber.objects.get().whatsapp_seen_at
    assert seen is not None
    assert seen <= timezone.now()
