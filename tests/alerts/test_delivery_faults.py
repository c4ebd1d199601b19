"""The faults an adversarial reading found in the one-copy-at-a-time delivery, each shown:
a late worker whose lease ran out cannot overwrite the outcome of the worker that took the
copy over; a copy queued while the alert was ending is never taken after the end; copies
stranded by a task that failed (or was queued before an upgrade) are sent by the sweeper;
a confirmation e-mail whose task runs twice goes once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from qurb.accounts.models import User
from qurb.alerts import delivery
from qurb.alerts.models import CapMessage, Delivery, DeliveryState, Subscription
from qurb.alerts.services import case_close
from qurb.alerts.tasks import deliver_alerts, send_confirmation, sweep
from tests.alerts.conftest import SEEN, open_case, publish
from tests.alerts.pushserver import Device, PushServer
from tests.alerts.test_delivery import _push, _queue

pytestmark = pytest.mark.django_db


def _row(pk: int) -> dict[str, Any]:
    return dict(Delivery.objects.filter(pk=pk).values("id", "state", "attempts").get())


def test_a_late_worker_cannot_overwrite_the_outcome_of_the_one_that_took_over(
    push_server: PushServer,
) -> None:
    _push(push_server, Device("/push/slow"), lat=SEEN[0], lon=SEEN[1], radius_km=5)
    _queue(publish(open_case()))
    copy = Delivery.objects.get(subscription__endpoint__endswith="/push/slow")
    start = timezone.now()
    assert delivery._claim(_row(copy.pk), start, live_only=True)  # worker A: attempt 1
    # A's push service is slower than the lease: worker B takes the copy over and sends it.
    soon = start + timedelta(seconds=1)
    assert delivery._claim(_row(copy.pk), soon, live_only=True) is False  # still A's
    later = start + delivery.lease() + timedelta(seconds=1)
    assert delivery._claim(_row(copy.pk), later, live_only=True)  # worker B: attempt 2
    assert delivery._settle(copy.pk, 2, state=DeliveryState.SENT, sent_at=later)
    # A's late answer (a refusal) changes nothing: B's outcome stands.
    assert delivery._settle(copy.pk, 1, state=DeliveryState.FAILED, error="HTTP 400") is False
    copy.refresh_from_db()
    assert (copy.state, copy.error) == (DeliveryState.SENT, "")


def test_a_copy_queued_while_the_alert_ends_is_never_taken_after_the_end(
    push_server: PushServer,
) -> None:
    _push(push_server, Device("/push/late"), lat=SEEN[0], lon=SEEN[1], radius_km=5)
    case = _queue(publish(open_case()))
    copy = Delivery.objects.get(subscription__endpoint__endswith="/push/late")
    read_before_the_end = _row(copy.pk)  # a chunk read its rows, then the alert ended
    case_close(actor=User.objects.get(username="officer.medina"), case=case, reason="found")
    # drop_waiting marked it failed; even a row that escaped it (committed by a fan-out
    # at the same instant) is refused by the claim itself:
    Delivery.objects.filter(pk=copy.pk).update(state=DeliveryState.PENDING)
    assert delivery._claim(read_before_the_end, timezone.now(), live_only=True) is False
    assert push_server.to("/push/late") == []


def test_stranded_copies_are_sent_by_the_sweeper(push_server: PushServer, task_queue: None) -> None:
    from django_tasks_db.models import DBTaskResult

    _push(push_server, Device("/push/stranded"), lat=SEEN[0], lon=SEEN[1], radius_km=5)
    case = _queue(publish(open_case()))
    DBTaskResult.objects.all().delete()  # the chunk's task failed: nothing comes back for it
    long_ago = timezone.now() - delivery.lease() - timedelta(minutes=5)
    Delivery.objects.filter(message__case=case).update(next_attempt_at=long_ago)
    assert sweep() == 1
    assert sweep() == 0  # taken once, not by every sweeper
    call_command("worker", batch=True)
    assert len(push_server.to("/push/stranded")) == 1
    assert Delivery.objects.get(message__case=case).state == DeliveryState.SENT
    # Copies that leave (a large alert still going out) are not stranded, however long due.
    message = CapMessage.objects.get(case=case)
    CapMessage.objects.filter(pk=message.pk).update(swept_at=None)
    Delivery.objects.filter(message__case=case).update(
        state=DeliveryState.PENDING, next_attempt_at=long_ago, sent_at=timezone.now()
    )
    assert sweep() == 0


def test_a_task_queued_before_the_upgrade_still_sends_its_copies(
    push_server: PushServer, task_queue: None
) -> None:
    _push(push_server, Device("/push/old"), lat=SEEN[0], lon=SEEN[1], radius_km=5)
    case = _queue(publish(open_case()))
    assert deliver_alerts.call(case.messages.get().pk) == 1  # its chunks dispatched
    call_command("worker", batch=True)
    assert len(push_server.to("/push/old")) == 1


def test_a_confirmation_whose_task_runs_twice_is_sent_once() -> None:
    subscription = Subscription.objects.create(
        channel="email", email="twice@example.org", lat=SEEN[0], lon=SEEN[1], radius_km=5
    )
    asked = timezone.now().isoformat()
    assert send_confirmation.call(subscription.pk, asked)
    assert send_confirmation.call(subscription.pk, asked) is False  # redelivered: not again
    assert len(mail.outbox) == 1
    again = (timezone.now() + timedelta(seconds=1)).isoformat()  # asked again, later
    assert send_confirmation.call(subscription.pk, again)
    assert len(mail.outbox) == 2
