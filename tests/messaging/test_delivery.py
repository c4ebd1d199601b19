"""Who a message reaches, at what rhythm, and the workers that reach them: Web Push to a real
endpoint on loopback (decrypted as a browser would), e-mail digests, quiet hours, and a copy
never lost nor sent twice more than once when a worker dies."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from qurb.alerts.delivery import fan_out as alert_fan_out
from qurb.messaging.delivery import build_digests, deliver, fan_out
from qurb.messaging.models import DeliveryState, MessageDelivery
from qurb.messaging.selectors import message_counts
from qurb.messaging.services import (
    delivery_opened,
    message_withdraw,
    subscription_cancel,
)
from tests.alerts.conftest import open_case, publish
from tests.alerts.pushserver import Device, PushServer
from tests.messaging.conftest import (
    AGDAL,
    FES,
    MEDINA,
    MEDINA_S1,
    area,
    email_subscriber,
    published,
    push_subscriber,
    user,
)

pytestmark = pytest.mark.django_db


def _payloads(server: PushServer, device: Device) -> list[dict[str, Any]]:
    return [json.loads(device.decrypt(r.body)) for r in server.to(device.path)]


def _no_dispatch(*_range: int) -> None:
    pass


def test_a_message_reaches_exactly_its_areas_subscribers_who_want_it(
    push_server: PushServer,
) -> None:
    devices = {name: Device(f"/{name}") for name in ("s1", "medina", "fes", "agdal", "news")}
    push_subscriber(push_server, devices["s1"], MEDINA_S1)  # inside the district
    push_subscriber(push_server, devices["medina"], MEDINA, language="ar")
    push_subscriber(push_server, devices["fes"], FES)  # around it
    push_subscriber(push_server, devices["agdal"], AGDAL)  # another district
    push_subscriber(push_server, devices["news"], MEDINA, topics=["news"])  # not this topic
    message = published(title="Réunion au Batha", body="Jeudi à 18 h.")

    stats = deliver()

    assert stats.sent == 3
    for name in ("s1", "medina", "fes"):
        [payload] = _payloads(push_server, devices[name])
        assert payload["url"].startswith(f"http://127.0.0.1:8000/messages/{message.pk}/?r=")
    assert _payloads(push_server, devices["s1"])[0]["title"] == "Information: Réunion au Batha"
    # The Arabic reader gets the French text (the only one), under an Arabic kind.
    assert "Réunion au Batha" in _payloads(push_server, devices["medina"])[0]["title"]
    assert push_server.to("/agdal") == []
    assert push_server.to("/news") == []
    assert deliver().sent == 0  # nothing twice
    assert message_counts(message).sent == 3


def test_the_daily_digest_goes_only_to_those_with_something_in_it(push_server: PushServer) -> None:
    daily = email_subscriber("amina@example.org", MEDINA, rhythm="daily")
    idle = email_subscriber("omar@example.org", AGDAL, rhythm="daily")
    weekly = email_subscriber("said@example.org", MEDINA, rhythm="weekly")
    first = published(title="Collecte de vêtements")
    second = published(MEDINA_S1, title="Appel à témoins", kind="appeal")
    deliver()
    assert mail.outbox == []  # digests only
    assert MessageDelivery.objects.filter(subscription=daily, state="waiting").count() == 2

    made = build_digests("daily", _no_dispatch)
    deliver()

    assert made == 1
    [digest] = mail.outbox
    assert digest.to == ["amina@example.org"]
    assert "2" in digest.subject
    assert "Collecte de vêtements" in digest.body
    assert "Appel à témoins" in digest.body
    leave = reverse("messaging:unsubscribe", args=[daily.token])
    assert digest.extra_headers["List-Unsubscribe"] == f"<http://127.0.0.1:8000{leave}>"
    assert digest.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert not MessageDelivery.objects.filter(subscription=idle).exists()
    assert MessageDelivery.objects.filter(subscription=weekly, state="waiting").count() == 2
    # Run again the same day: nothing new, nothing twice.
    assert build_digests("daily", _no_dispatch) == 0
    deliver()
    assert len(mail.outbox) == 1
    for message in (first, second):
        counts = message_counts(message)
        assert (counts.sent, counts.waiting) == (1, 1)  # the daily digest; the weekly waits
    # Following a link of the digest counts it as opened, for each message in it.
    reference = digest.body.split("?r=")[1].split()[0]
    assert delivery_opened(reference)
    assert message_counts(first).opened == 1
    assert message_counts(second).opened == 1


def test_a_copy_left_sending_by_a_dead_worker_is_sent_once_more_and_no_more(
    push_server: PushServer,
) -> None:
    device = Device("/phone")
    push_subscriber(push_server, device, MEDINA)
    message = published()
    fan_out(message.pk, _no_dispatch)
    copy = MessageDelivery.objects.get(message=message)
    # A worker claimed it, then died while sending: its lease has run out.
    MessageDelivery.objects.filter(pk=copy.pk).update(
        state=DeliveryState.SENDING, attempts=1, lease_until=timezone.now() - timedelta(seconds=1)
    )

    deliver()
    deliver()

    assert len(push_server.to("/phone")) == 1
    copy.refresh_from_db()
    assert (copy.state, copy.attempts) == (DeliveryState.SENT, 2)


def test_a_copy_whose_lease_still_runs_is_left_to_its_worker(push_server: PushServer) -> None:
    device = Device("/phone")
    push_subscriber(push_server, device, MEDINA)
    message = published()
    fan_out(message.pk, _no_dispatch)
    MessageDelivery.objects.filter(message=message).update(
        state=DeliveryState.SENDING, attempts=1, lease_until=timezone.now() + timedelta(minutes=1)
    )
    deliver()
    assert push_server.to("/phone") == []


def _quiet_around_now() -> dict[str, Any]:
    local = timezone.localtime()
    return {
        "quiet_start": (local - timedelta(hours=1)).time().replace(second=0, microsecond=0),
        "quiet_end": (local + timedelta(hours=1)).time().replace(second=0, microsecond=0),
    }


def test_quiet_hours_hold_a_message_until_they_end_but_not_a_missing_child_alert(
    push_server: PushServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    device = Device("/night")
    quiet = _quiet_around_now()
    push_subscriber(push_server, device, MEDINA, **quiet)
    message = published()

    stats = deliver()

    assert (stats.sent, stats.held) == (0, 1)
    copy = MessageDelivery.objects.get(message=message)
    end = timezone.localtime(copy.next_attempt_at)
    assert copy.state == DeliveryState.PENDING
    assert end.time() == quiet["quiet_end"]
    assert end > timezone.now()
    # A missing-child alert passes through the quiet hours.
    case = publish(open_case())
    alert_fan_out(case.messages.get().pk, lambda *_chunk: None)
    assert deliver().sent == 1
    [payload] = _payloads(push_server, device)
    assert payload["title"] == "Enfant disparu : \u2068Adam\u2069, \u20687\u2069 ans"
    # Once the quiet hours are over, the held message goes.
    later = end + timedelta(minutes=1)
    monkeypatch.setattr("django.utils.timezone.now", lambda: later.astimezone(UTC))
    assert deliver().sent == 1
    assert len(push_server.to("/night")) == 2


def test_leaving_or_withdrawing_stops_what_was_not_sent(push_server: PushServer) -> None:
    leaving = email_subscriber("leaving@example.org", MEDINA, rhythm="daily")
    email_subscriber("staying@example.org", MEDINA, rhythm="daily")
    message = published()
    withdrawn = published(title="Erreur")
    deliver()
    message_withdraw(actor=user("chief.medina"), message=withdrawn)
    # One click, without a form token (RFC 8058), from the mail client.
    answer = Client(enforce_csrf_checks=True).post(
        reverse("messaging:unsubscribe", args=[leaving.token]),
        {"List-Unsubscribe": "One-Click"},
    )
    assert answer.status_code == 200
    build_digests("daily", _no_dispatch)
    deliver()
    [sent] = mail.outbox
    assert sent.to == ["staying@example.org"]
    assert "Erreur" not in sent.body
    assert message.title_fr in sent.body
    assert subscription_cancel(leaving.token) is not None  # leaving twice is harmless


def test_a_push_subscription_the_service_forgot_is_switched_off(push_server: PushServer) -> None:
    device = Device("/gone")
    subscription = push_subscriber(push_server, device, MEDINA)
    push_server.statuses["/gone"] = [410]
    published()
    stats = deliver()
    subscription.refresh_from_db()
    assert stats.gone == 1
    assert not subscription.active


def test_weekly_periods_are_iso_weeks() -> None:
    from qurb.messaging.delivery import period_of

    moment = datetime(2026, 12, 3, 12, tzinfo=timezone.get_current_timezone())
    assert period_of("weekly", moment) == "2026-W49"
    assert period_of("daily", moment) == "2026-12-03"


def test_switching_from_a_digest_to_at_once_sends_what_waited(
    task_queue: None, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core.management import call_command

    from qurb.messaging.services import subscription_update

    subscriber = email_subscriber("hind@example.org", MEDINA, rhythm="daily")
    published(title="Nettoyage du quartier")
    deliver()
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        subscription_update(
            token=subscriber.token,
            areas=[area(MEDINA)],
            topics=["messages"],
            rhythm="now",
            quiet_start=None,
            quiet_end=None,
            language="fr",
        )
    call_command("worker", batch=True)
    [sent] = mail.outbox
    assert "Nettoyage du quartier" in sent.subject


def test_a_digest_whose_messages_were_all_withdrawn_sends_nothing() -> None:
    email_subscriber("rachid@example.org", MEDINA, rhythm="daily")
    message = published(title="Erreur de date")
    deliver()
    assert build_digests("daily", _no_dispatch) == 1
    message_withdraw(actor=user("chief.medina"), message=message)
    stats = deliver()
    assert mail.outbox == []
    assert stats.failed == 1
    assert message_counts(message).sent == 0


def test_a_fan_out_given_again_after_the_message_went_out_reaches_nobody_new(
    push_server: PushServer,
) -> None:
    """A broker may deliver a fan-out task again, or an old one wait in a backlog: those who
    subscribed after the message went out do not get it; its pending copies still go."""
    early = Device("/early")
    push_subscriber(push_server, early, MEDINA)
    message = published(title="Réunion au Batha", body="Jeudi à 18 h.")
    assert deliver().sent == 1
    late = Device("/late")
    push_subscriber(push_server, late, MEDINA)
    dispatched: list[tuple[int, int]] = []
    assert fan_out(message.pk, lambda lo, hi: dispatched.append((lo, hi))).queued == 0
    assert MessageDelivery.objects.filter(message=message).count() == 1
    assert deliver().sent == 0
    assert push_server.to("/late") == []
    # A copy queued by the first run and never sent is dispatched by the second.
    MessageDelivery.objects.filter(message=message).update(state=DeliveryState.PENDING)
    fan_out(message.pk, lambda lo, hi: dispatched.append((lo, hi)))
    assert len(dispatched) == 1
