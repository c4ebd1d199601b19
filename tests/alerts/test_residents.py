"""Missing-child alerts reach the neighbourhood subscribers who chose them (qurb.messaging):
at once whatever their rhythm and quiet hours, by their channel; one copy per person and
message across both kinds of subscription; the end told, and nothing sent as live after it;
nothing of the child left in their messages once the case is purged; and a fan-out killed
halfway, run again by two sweepers, sends each person one copy."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from qurb.accounts.models import Role
from qurb.accounts.services import role_grant, user_create
from qurb.alerts import delivery
from qurb.alerts.models import AlertCase, CapMessage, Delivery, Subscription
from qurb.alerts.services import alerts_expire, alerts_purge, case_close, case_update
from qurb.alerts.tasks import sweep
from qurb.areas.models import Area
from qurb.core.errors import Refused
from qurb.messaging import delivery as messaging
from qurb.messaging.delivery import build_digests
from qurb.messaging.models import (
    AreaSubscription,
    DeliveryState,
    DistrictMessage,
    MessageDelivery,
    MessageKind,
    MessageStatus,
    SubscriptionArea,
)
from qurb.messaging.policy import messages_for_staff
from qurb.messaging.selectors import area_messages, public_messages
from qurb.sms.models import OutgoingSms, SmsState
from qurb.sms.services import number_hash
from tests.alerts.conftest import open_case, publish
from tests.alerts.pushserver import Device, PushServer
from tests.committed import snapshot
from tests.conftest import signed_in
from tests.messaging.conftest import (
    AGDAL,
    FES,
    MECHOUAR,
    MEDINA,
    MEDINA_S1,
    area,
    email_subscriber,
    push_subscriber,
    user,
)

pytestmark = pytest.mark.django_db

NUMBER = "+212612345678"


def _quiet_around_now() -> dict[str, Any]:
    local = timezone.localtime()
    return {
        "quiet_start": (local - timedelta(hours=1)).time().replace(second=0, microsecond=0),
        "quiet_end": (local + timedelta(hours=1)).time().replace(second=0, microsecond=0),
    }


def _meknes() -> Area:
    found = Area.objects.filter(type__code="district").exclude(parent__code=FES).first()
    assert found is not None
    return found


def _sms_subscriber(*codes: str, **fields: Any) -> AreaSubscription:
    """An SMS subscription whose number was confirmed by its code (tests/messaging/test_sms.py
    goes through the code itself)."""
    subscription = AreaSubscription.objects.create(
        channel="sms",
        number=NUMBER,
        number_hash=number_hash(NUMBER),
        confirmed_at=timezone.now(),
        language="fr",
        **fields,
    )
    for code in codes:
        SubscriptionArea.objects.create(subscription=subscription, area=area(code))
    return subscription


def _area_email(address: str, *codes: str) -> AreaSubscription:
    """A confirmed neighbourhood e-mail subscription, stored directly: the address's one
    confirmation e-mail of the day went to its alert subscription already."""
    subscription = AreaSubscription.objects.create(
        channel="email", email=address, confirmed_at=timezone.now(), language="fr"
    )
    for code in codes:
        SubscriptionArea.objects.create(subscription=subscription, area=area(code))
    return subscription


def _alert_email(address: str, **place: Any) -> Subscription:
    return Subscription.objects.create(
        channel="email", email=address, confirmed_at=timezone.now(), language="fr", **place
    )


def _mails_to(address: str) -> list[Any]:
    return [m for m in mail.outbox if [a.lower() for a in m.to] == [address.lower()]]


def _area_messages(case: AlertCase) -> list[DistrictMessage]:
    sources = [f"cap:{m.identifier}" for m in case.messages.order_by("pk")]
    found = {m.source: m for m in DistrictMessage.objects.filter(source__in=sources)}
    return [found[s] for s in sources]


def _payloads(server: PushServer, device: Device) -> list[dict[str, Any]]:
    return [json.loads(device.decrypt(r.body)) for r in server.to(device.path)]


def test_an_alert_reaches_the_neighbourhood_subscribers_who_chose_it_at_once_by_their_channel(
    push_server: PushServer,
) -> None:
    phone = Device("/area/phone")
    # Weekly digest and quiet hours now: an alert goes all the same, at once.
    push_subscriber(push_server, phone, MEDINA_S1, rhythm="weekly", **_quiet_around_now())
    email_subscriber("nadia@example.org", FES, rhythm="daily")  # the prefecture around it
    email_subscriber("news@example.org", MEDINA, topics=["news"])  # not this topic
    far = Device("/area/meknes")
    push_subscriber(push_server, far, str(_meknes().code))  # outside the alert's circle
    texted = _sms_subscriber(MEDINA, **_quiet_around_now())
    case = publish(open_case(radius_km=20))
    page = f"http://127.0.0.1:8000/alerts/{case.public_id}/"

    stats = delivery.deliver()

    assert stats.sent == 3  # the push, the e-mail, the SMS handed to the gateway
    [payload] = _payloads(push_server, phone)
    assert payload["title"] == "Enfant disparu : \u2068Adam\u2069, \u20687\u2069 ans"
    assert "Bab Boujloud" in payload["body"]
    assert payload["url"] == page  # the alert's page, which ends with the alert
    [received] = push_server.to("/area/phone")
    headers = {k.lower(): v for k, v in received.headers.items()}
    assert headers["urgency"] == "high"
    assert headers["topic"].startswith("page-")
    [email] = _mails_to("nadia@example.org")
    assert "Adam" in str(email.subject)
    assert page in str(email.body)
    assert "/messages/subscriptions/" in email.extra_headers["List-Unsubscribe"]
    assert _mails_to("news@example.org") == []
    assert push_server.to("/area/meknes") == []
    [texted_sms] = OutgoingSms.objects.filter(purpose__startswith="missing_child:")
    assert texted_sms.phone.number == NUMBER
    assert "Adam" in texted_sms.text
    assert page in texted_sms.text
    assert MessageDelivery.objects.get(subscription=texted).state == DeliveryState.SENT
    # Never held for a digest: nothing waits, and the digests have nothing of it.
    assert not MessageDelivery.objects.filter(state=DeliveryState.WAITING).exists()
    assert build_digests("daily", lambda *_r: None) == 0
    assert build_digests("weekly", lambda *_r: None) == 0
    # The alert's own page is its public face: its message is on no page, feed or staff list.
    [message] = _area_messages(case)
    assert message.kind == MessageKind.MISSING_CHILD
    assert message not in area_messages(area(MEDINA_S1))
    assert message not in public_messages()
    assert Client().get(reverse("messaging:message", args=[message.pk])).status_code == 404
    feed = Client().get(reverse("messaging:area_feed", args=[area(MEDINA_S1).pk]))
    assert "Adam" not in feed.content.decode()
    assert message not in messages_for_staff(user("chief.medina"))
    assert (
        signed_in("chief.medina")
        .get(reverse("messaging:staff_message", args=[message.pk]))
        .status_code
        == 404
    )
    # Nothing twice.
    assert delivery.deliver().sent == 0
    assert len(push_server.to("/area/phone")) == 1


def test_a_person_subscribed_both_ways_gets_one_copy_of_each_message(
    push_server: PushServer,
) -> None:
    medina = area(MEDINA)
    # The same address (written differently) and the same browser, in both systems.
    _alert_email("Amal@Example.org", district=medina)
    _area_email("amal@example.org", MEDINA_S1)
    both = Device("/both")
    info = both.subscription(push_server.base)
    Subscription.objects.create(
        channel="push",
        endpoint=info["endpoint"],
        p256dh=info["keys"]["p256dh"],
        auth=info["keys"]["auth"],
        district=medina,
        confirmed_at=timezone.now(),
        language="fr",
    )
    push_subscriber(push_server, both, MEDINA)
    # Omar's alert subscription is far away: the alert does not reach it, his area one does.
    meknes = _meknes()
    _alert_email("omar@example.org", district=meknes)
    _area_email("omar@example.org", MEDINA)
    case = publish(open_case(radius_km=20))
    delivery.deliver()
    case_update(actor=user("officer.medina"), case=case, description="Pull vert, casquette.")
    delivery.deliver()
    case_close(actor=user("officer.medina"), case=case, reason="found")
    delivery.deliver()

    # Amal: the alert, the update and the end, once each, all from her alert subscription.
    amal = _mails_to("amal@example.org")
    assert len(amal) == 3
    assert all("/alerts/subscriptions/" in m.extra_headers["List-Unsubscribe"] for m in amal)
    # The browser: three notifications, all the alert's own (they carry the CAP type).
    payloads = _payloads(push_server, both)
    assert [p.get("type") for p in payloads] == ["Alert", "Update", "Cancel"]
    # Omar: the same three, from his neighbourhood subscription.
    omar = _mails_to("omar@example.org")
    assert len(omar) == 3
    assert all("/messages/subscriptions/" in m.extra_headers["List-Unsubscribe"] for m in omar)
    assert "Alerte terminée" in str(omar[-1].subject)
    assert "Adam" not in str(omar[-1].subject) + str(omar[-1].body)
    assert MessageDelivery.objects.filter(subscription__email="amal@example.org").count() == 0


def test_an_ended_alert_is_never_sent_as_live_and_its_end_reaches_those_it_reached(
    push_server: PushServer,
) -> None:
    reached, waiting, on_the_wire = Device("/reached"), Device("/waiting"), Device("/wire")
    for device in (reached, waiting, on_the_wire):
        push_subscriber(push_server, device, MEDINA_S1)
    email_subscriber("karim@example.org", MEDINA)
    texted = _sms_subscriber(MEDINA)
    case = publish(open_case())
    delivery.fan_out(case.messages.get().pk, lambda *_c: None)
    copies = {
        c.subscription.endpoint.rsplit("/", 1)[-1] if c.subscription.endpoint else "": c
        for c in MessageDelivery.objects.select_related("subscription")
    }
    # One copy has left; the SMS was handed to the gateway, which has not sent it yet; a
    # worker read another copy just before the end; one is on the wire.
    assert messaging.deliver_range(copies["reached"].pk, copies["reached"].pk).stats.sent == 1
    sms_copy = MessageDelivery.objects.get(subscription=texted)
    assert messaging.deliver_range(sms_copy.pk, sms_copy.pk).stats.sent == 1
    read_before_the_end = dict(
        MessageDelivery.objects.filter(pk=copies["waiting"].pk)
        .values("id", "state", "attempts")
        .get()
    )
    MessageDelivery.objects.filter(pk=copies["wire"].pk).update(
        state=DeliveryState.SENDING, attempts=1, lease_until=timezone.now() + timedelta(minutes=2)
    )

    case_close(actor=user("officer.medina"), case=case, reason="found")

    alert_message, _end = _area_messages(case)
    alert_message.refresh_from_db()
    assert alert_message.status == MessageStatus.WITHDRAWN
    # The SMS that had not left never leaves.
    assert OutgoingSms.objects.get(purpose=f"missing_child:{alert_message.pk}").state == (
        SmsState.FAILED
    )
    # Even a copy read before the end, put back as it was, is not taken after it.
    MessageDelivery.objects.filter(pk=copies["waiting"].pk).update(state=DeliveryState.PENDING)
    assert messaging._claim(read_before_the_end, timezone.now()) is False
    MessageDelivery.objects.filter(pk=copies["waiting"].pk).update(
        state=DeliveryState.FAILED, error="the alert ended first"
    )
    delivery.deliver()
    assert [p["title"] for p in _payloads(push_server, reached)] == [
        "Enfant disparu : \u2068Adam\u2069, \u20687\u2069 ans",
        "Alerte terminée",
    ]
    assert push_server.to("/waiting") == []  # never the alert, so no end either
    assert _mails_to("karim@example.org") == []
    # The copy on the wire when the child was found: its end notice follows it.
    assert [p["title"] for p in _payloads(push_server, on_the_wire)] == ["Alerte terminée"]
    ended = [o.text for o in OutgoingSms.objects.filter(purpose__startswith="missing_child:")]
    assert len(ended) == 2
    assert "Alerte terminée" in ended[-1]
    assert "Adam" not in ended[-1]


def test_an_expired_alert_is_not_sent_before_the_expiry_job_runs(push_server: PushServer) -> None:
    late = Device("/late")
    push_subscriber(push_server, late, MEDINA_S1)
    case = publish(open_case())
    delivery.fan_out(case.messages.get().pk, lambda *_c: None)
    AlertCase.objects.filter(pk=case.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    DistrictMessage.objects.filter(pk=_area_messages(case)[0].pk).update(
        send_until=timezone.now() - timedelta(seconds=1)
    )  # as the alert's expiry was written into it when it was published

    assert delivery.deliver().sent == 0
    assert push_server.to("/late") == []
    assert MessageDelivery.objects.get().error == "ended"
    assert alerts_expire() == 1
    assert delivery.deliver().sent == 0  # the end goes to those the alert reached: nobody


def test_the_purge_leaves_nothing_of_the_child_in_neighbourhood_messages(
    push_server: PushServer,
) -> None:
    name, place = "Ilyasse-Qz", "Derb Zqaq Rommane-Qz"
    push_subscriber(push_server, Device("/p"), MEDINA)
    email_subscriber("salma@example.org", MEDINA_S1)
    _sms_subscriber(MEDINA)
    case = publish(open_case(child_first_name=name, last_seen_place=place))
    delivery.deliver()
    case_close(actor=user("officer.medina"), case=case, reason="found")
    delivery.deliver()
    assert OutgoingSms.objects.filter(text__contains=name).count() == 1

    def holding() -> set[str]:
        tables = set()
        for table, (_columns, _pk, rows) in snapshot().items():
            if any(name in str(v) or place in str(v) for row in rows.values() for v in row):
                tables.add(table)
        return tables

    assert {"messaging_districtmessage", "sms_outgoingsms"} <= holding()
    later = timezone.now() + timedelta(days=settings.ALERT_RETENTION_DAYS + 1)

    assert alerts_purge(now=later) == 1

    assert holding() == set()
    case.refresh_from_db()
    assert case.reached == 3  # the push, the e-mail and the SMS (the end reached them too)
    for message in _area_messages(case):
        assert message.status == MessageStatus.WITHDRAWN
        assert (message.title, message.body, message.link) == ("", "", "")
        assert not MessageDelivery.objects.filter(message=message).exists()
    assert not OutgoingSms.objects.filter(purpose__startswith="missing_child:").exclude(text="")


def test_a_person_with_two_roles_ends_the_alert_of_their_area_and_no_other() -> None:
    email_subscriber("leila@example.org", MEDINA_S1)
    # Chief in Médina and officer in Agdal: the Médina alert is theirs.
    two_hats = user_create(username="two.hats.alerts", password=None)
    role_grant(user=two_hats, role=Role.DISTRICT_CHIEF, area=area(MEDINA))
    role_grant(user=two_hats, role=Role.NEIGHBOURHOOD_OFFICER, area=area(AGDAL))
    # Chief in Agdal and officer in Méchouar: it is not.
    elsewhere = user_create(username="elsewhere.alerts", password=None)
    role_grant(user=elsewhere, role=Role.DISTRICT_CHIEF, area=area(AGDAL))
    role_grant(user=elsewhere, role=Role.NEIGHBOURHOOD_OFFICER, area=area(MECHOUAR))
    case = publish(open_case())
    delivery.fan_out(case.messages.get().pk, lambda *_c: None)

    with pytest.raises(Refused):
        case_close(actor=elsewhere, case=case, reason="found")
    with pytest.raises(Refused):
        case_update(actor=elsewhere, case=case, description="Autre chose.")
    [message] = _area_messages(case)
    message.refresh_from_db()
    assert message.status == MessageStatus.PUBLISHED
    assert MessageDelivery.objects.get(message=message).state == DeliveryState.PENDING
    # Neither sees the alert's message among the messages they write: the case page is where
    # it is followed.
    assert message not in messages_for_staff(two_hats)
    assert message not in messages_for_staff(elsewhere)

    case_update(actor=two_hats, case=case, description="Pull vert, casquette.")
    delivery.deliver()
    case_close(actor=two_hats, case=case, reason="found")
    delivery.deliver()

    subjects = [str(m.subject) for m in _mails_to("leila@example.org")]
    assert len(subjects) == 3
    assert subjects[-1] == "Alerte terminée"


class Killed(BaseException):
    """The worker process dies here: nothing after this line of its runs."""


@pytest.mark.django_db(transaction=True)
def test_a_fan_out_killed_halfway_and_run_again_by_two_sweepers_sends_one_copy_each(
    committed: None, task_queue: None, settings: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.MESSAGE_DELIVERY_CHUNK = 2
    addresses = [f"r{n}@example.org" for n in range(5)]
    for address in addresses:
        _area_email(address, MEDINA_S1)
    _alert_email(addresses[2], district=area(MEDINA))  # r2's alert subscription wins
    case = publish(open_case(radius_km=20))
    message = case.messages.get()
    DBTaskResult.objects.all().delete()  # the worker that took the fan-out is killed…
    chunks: list[tuple[int, int]] = []

    def dies_after_the_first_chunk(first: int, last: int) -> None:
        chunks.append((first, last))
        raise Killed

    with pytest.raises(Killed):  # … after the alert's copies and one chunk of the others
        delivery.fan_out(message.pk, lambda *_c: None, dispatch_copies=dies_after_the_first_chunk)
    assert Delivery.objects.filter(message=message).count() == 1
    first_run = set(MessageDelivery.objects.values_list("subscription__email", flat=True))
    assert first_run == {"r0@example.org", "r1@example.org"}
    # Meanwhile r0, whose neighbourhood copy is queued, subscribes to alerts too.
    _alert_email("R0@example.org", district=area(MEDINA))
    message.refresh_from_db()
    assert message.fanned_out_at is None
    eleven_minutes_ago = timezone.now() - timedelta(minutes=11)
    CapMessage.objects.filter(pk=message.pk).update(
        sent=eleven_minutes_ago, fanout_started_at=eleven_minutes_ago
    )

    assert sweep() == 1  # two sweepers: one takes the fan-out…
    assert sweep() == 0  # … the other finds it taken
    call_command("worker", batch=True)

    for address in addresses:
        assert len(_mails_to(address)) == 1, address
    assert (
        "/alerts/subscriptions/" in _mails_to("r2@example.org")[0].extra_headers["List-Unsubscribe"]
    )
    assert (
        "/messages/subscriptions/"
        in _mails_to("r0@example.org")[0].extra_headers["List-Unsubscribe"]
    )
    message.refresh_from_db()
    assert message.fanned_out_at is not None
    # Run once more, all of it: nothing is queued or sent again.
    again = delivery.fan_out(message.pk, lambda *_c: None, dispatch_copies=lambda *_c: None)
    assert (again.queued, again.neighbourhood_queued) == (0, 0)
    call_command("worker", batch=True)
    assert len(mail.outbox) == len(addresses)
