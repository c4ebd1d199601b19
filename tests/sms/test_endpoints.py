"""Kannel's calls into the web edge: the secret, the addresses, hostile input."""

from __future__ import annotations

import threading
import uuid
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import Client

from qurb.reports.models import Report
from qurb.sms import services, tasks
from qurb.sms.models import (
    Conversation,
    ConversationState,
    OutgoingSms,
    ReportPhone,
    SmsIncoming,
    SmsState,
)

pytestmark = pytest.mark.django_db

SECRET = "s3cret-for-tests"
INCOMING = "/sms/kannel/incoming"


@pytest.fixture(autouse=True)
def _secret(settings: Any) -> None:
    settings.SMS_INCOMING_SECRET = SECRET


def incoming(query: str, *, addr: str = "127.0.0.1", method: str = "get") -> Any:
    client = Client(REMOTE_ADDR=addr)
    if method == "post":
        return client.post(
            f"{INCOMING}?secret={SECRET}",
            data=query,
            content_type="application/x-www-form-urlencoded",
        )
    return client.get(f"{INCOMING}?{query}")


def test_an_sms_from_kannel_is_answered() -> None:
    text = quote("kayn chi wa7ed kaybi3 l7chich 9dam lmdrassa")
    response = incoming(f"secret={SECRET}&from=0612345678&text={text}&charset=UTF-8")
    assert response.status_code == 200
    assert Conversation.objects.count() == 1
    assert OutgoingSms.objects.filter(purpose="reply").count() == 1


def test_post_works_too() -> None:
    response = incoming("from=%2B212612345678&text=Il+y+a+une+bagarre+ici", method="post")
    assert response.status_code == 200
    assert OutgoingSms.objects.count() == 1


def test_a_ucs2_text_kannel_could_not_recode_is_read() -> None:
    # (A UCS-2 space is a NUL byte, which the request guard refuses: Kannel's mo-recode gives
    # UTF-8 anyway; a text without one is read as UTF-16.)
    text = quote("حالة".encode("utf-16-be"))
    response = incoming(f"secret={SECRET}&from=0612345678&text={text}&charset=UTF-16BE")
    assert response.status_code == 200
    reply = OutgoingSms.objects.get().text
    assert any("\u0600" <= c <= "\u06ff" for c in reply)


@pytest.mark.parametrize(
    "query",
    [
        "from=0612345678&text=hello+there+people",  # no secret
        "secret=wrong&from=0612345678&text=hello+there+people",
        f"secret={SECRET}x&from=0612345678&text=hello+there+people",
        f"secret={SECRET[:-1]}&from=0612345678&text=hello+there+people",
        "secret=&from=0612345678&text=hello",
    ],
)
def test_a_wrong_secret_is_refused(query: str) -> None:
    assert incoming(query).status_code == 404
    assert not OutgoingSms.objects.exists()


def test_only_the_gateway_addresses_may_call(settings: Any) -> None:
    query = f"secret={SECRET}&from=0612345678&text=hello+there+people"
    assert incoming(query, addr="10.1.2.3").status_code == 404
    settings.SMS_GATEWAY_ADDRESSES = ["10.1.2.3"]
    assert incoming(query, addr="10.1.2.3").status_code == 200
    assert incoming(query).status_code == 404


def test_behind_the_proxy_the_gateway_is_known_by_the_address_the_proxy_saw(
    settings: Any,
) -> None:
    """gunicorn on loopback behind nginx: REMOTE_ADDR is the proxy's for every caller, so
    only the address the trusted proxy appended counts."""
    settings.QURB_TRUSTED_PROXIES = 1
    settings.SMS_GATEWAY_ADDRESSES = ["10.1.2.3"]
    query = f"{INCOMING}?secret={SECRET}&from=0612345678&text=hello+there+people"
    stranger = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert stranger.get(query).status_code == 404
    forged = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.1.2.3, 203.0.113.9")
    assert forged.get(query).status_code == 404  # the first hop is the client's to write
    kannel = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.1.2.3")
    assert kannel.get(query).status_code == 200


def test_without_a_configured_secret_the_endpoint_is_closed(settings: Any) -> None:
    settings.SMS_INCOMING_SECRET = ""
    assert incoming("secret=&from=0612345678&text=hello+there").status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "from=0612345678&text=" + "A" * 200_000,
        "from=0612345678&text=%FF%FE%FD%00%00",
        "from=0612345678&text=" + "%D8" * 1000,
        "from=0612345678&text=abc&charset=UTF-16BE",
        "from=0612345678&text=%D8%A7&charset=UTF-16BE",
        "from=0612345678&text=caf%E9+au+coin+de+la+rue&charset=ISO-8859-1",
        "from=0612345678&text=x&charset=" + "Z" * 5000,
        "from=0612345678",
        "from=SHORTCODE&text=promo+promo+promo",
        "from=%00%00&text=hello+there",
        "from=" + "9" * 5000 + "&text=hello+there+people",
        "from=0612345678&from=0612345679&text=a&text=b",
        "text=no+sender+at+all",
        "from=0612345678&text=%E2%80%AE%E2%81%A6" * 100,
    ],
)
def test_hostile_requests_never_cause_a_500(query: str) -> None:
    response = incoming(f"secret={SECRET}&{query}")
    assert response.status_code in (200, 400)


def test_delivery_reports_need_the_key_and_the_gateway_address() -> None:
    sms_id = services.sms_send(number="0612345678", text="Bonjour de Qurb", purpose="t")
    assert sms_id is not None
    tasks.deliver(sms_id)
    key = services.dlr_key(sms_id)
    client = Client(REMOTE_ADDR="127.0.0.1")
    assert client.get(f"/sms/kannel/dlr?id={sms_id}&key=nope&status=1").status_code == 404
    assert (
        Client(REMOTE_ADDR="8.8.8.8")
        .get(f"/sms/kannel/dlr?id={sms_id}&key={key}&status=1")
        .status_code
        == 404
    )
    for bad in [f"id=abc&key={key}&status=1", f"id={sms_id}&key={key}&status=%d", "id=" + "9" * 40]:
        assert client.get(f"/sms/kannel/dlr?{bad}").status_code in (400, 404)
    assert OutgoingSms.objects.get(pk=sms_id).state == SmsState.SENT
    assert client.get(f"/sms/kannel/dlr?id={sms_id}&key={key}&status=1").status_code == 200
    assert OutgoingSms.objects.get(pk=sms_id).state == SmsState.DELIVERED


# --- the same SMS delivered twice by Kannel (its id, %I) ---------------------------------------

DARIJA = quote("kayn chi wa7ed kaybi3 l7chich 9dam lmdrassa")


def kannel_sms(text: str, message_id: str, number: str = "0612345678") -> Any:
    """What smsbox calls for one SMS, with its id (``id=%I`` in the get-url)."""
    return incoming(
        f"secret={SECRET}&id={quote(message_id)}&from={number}&to=1919&text={text}"
        "&charset=UTF-8&coding=0"
    )


def test_an_sms_kannel_delivers_twice_is_answered_once_and_the_same_way() -> None:
    first_id = str(uuid.uuid4())
    first = kannel_sms(DARIJA, first_id)
    again = kannel_sms(DARIJA, first_id)
    assert (first.status_code, first.content) == (again.status_code, again.content) == (200, b"")
    assert OutgoingSms.objects.filter(purpose="reply").count() == 1
    assert SmsIncoming.objects.get().message_id == first_id
    conversation = Conversation.objects.get()
    assert conversation.state == ConversationState.PLACE

    # The next SMS has its own id; a late copy of the first one changes nothing.
    assert kannel_sms("Bab+Boujloud", str(uuid.uuid4())).status_code == 200
    assert kannel_sms(DARIJA, first_id.upper()).status_code == 200  # the same UUID
    assert kannel_sms(DARIJA, "{" + first_id + "}").status_code == 200
    conversation.refresh_from_db()
    assert conversation.state == ConversationState.ANONYMOUS
    assert conversation.text == "kayn chi wa7ed kaybi3 l7chich 9dam lmdrassa"
    assert OutgoingSms.objects.filter(purpose="reply").count() == 2

    # The answer that stores the report, delivered three times: one report, one answer.
    third_id = str(uuid.uuid4())
    for _ in range(3):
        assert kannel_sms("1", third_id).status_code == 200
    assert ReportPhone.objects.count() == 1
    assert Report.objects.filter(channel="sms").count() == 1
    assert OutgoingSms.objects.filter(purpose="reply").count() == 3
    assert SmsIncoming.objects.count() == 3


def test_without_an_id_every_delivery_is_answered() -> None:
    """An older get-url without %I: nothing to recognise a copy by, nothing lost."""
    for _ in range(2):
        assert incoming(f"secret={SECRET}&from=0612345678&text={DARIJA}").status_code == 200
    assert OutgoingSms.objects.filter(purpose="reply").count() == 2
    assert not SmsIncoming.objects.exists()


def test_an_sms_from_a_number_qurb_cannot_answer_keeps_no_id() -> None:
    message_id = str(uuid.uuid4())
    for _ in range(2):
        response = kannel_sms("promo+promo+promo", message_id, number="SHORTCODE")
        assert (response.status_code, response.content) == (200, b"ignored\n")
    assert not SmsIncoming.objects.exists()
    assert not OutgoingSms.objects.exists()


@pytest.mark.parametrize(
    "message_id",
    [
        "",
        "x" * 5000,
        "\u00e9t\u00e9",
        "../../etc/passwd",
        "a b",
        "%00",
        "\u202e1234",
        "' OR 1=1 --",
    ],
)
def test_an_unusable_id_never_causes_a_500_and_the_sms_is_answered(message_id: str) -> None:
    response = kannel_sms(DARIJA, message_id)
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert OutgoingSms.objects.filter(purpose="reply").count() == 1
    assert all(len(i) <= 64 for i in SmsIncoming.objects.values_list("message_id", flat=True))


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_of_one_sms_at_the_same_instant_give_one_answer(committed: None) -> None:
    """smsbox asks again while Qurb still works on the first request (a timeout): the second
    waits for the first one's commit and finds the id, or is told to come back (503)."""
    message_id = str(uuid.uuid4())
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def deliver() -> None:
        try:
            barrier.wait(10)
            statuses.append(kannel_sms(DARIJA, message_id).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses) in ([200, 200], [200, 503])
    assert kannel_sms(DARIJA, message_id).status_code == 200  # Kannel's retry, later
    assert OutgoingSms.objects.filter(purpose="reply").count() == 1
    assert SmsIncoming.objects.filter(message_id=message_id).count() == 1
