"""A missing-child alert's messages on messaging's side: queued by qurb.alerts only (never by
messaging's own fan-out or sweep), written once, kept off every page; a copy interrupted
while sending is never sent twice (the e-mail is given up, the SMS is not handed over again,
the push goes once more under the same Topic); no copy is taken after the alert's expiry."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from qurb.alerts.delivery import fan_out as alert_fan_out
from qurb.alerts.models import CapMessage
from qurb.messaging.delivery import _claim, deliver, deliver_range, fan_out
from qurb.messaging.models import (
    AreaSubscription,
    DeliveryState,
    DistrictMessage,
    MessageDelivery,
    MessageKind,
    MessageStatus,
    SubscriptionArea,
)
from qurb.messaging.services import missing_child_publish
from qurb.messaging.tasks import sweep
from qurb.sms.models import OutgoingSms
from qurb.sms.services import number_hash
from tests.alerts.conftest import open_case, publish
from tests.alerts.pushserver import Device, PushServer
from tests.messaging.conftest import MEDINA, MEDINA_S1, area, email_subscriber, push_subscriber

pytestmark = pytest.mark.django_db


def _alert_message() -> DistrictMessage:
    case = publish(open_case())
    return DistrictMessage.objects.get(source=f"cap:{case.messages.get().identifier}")


def _queued(message: DistrictMessage) -> None:
    """The alert's fan-out task (qurb.alerts), which queues the neighbourhood copies."""
    cap = message.source.removeprefix("cap:")
    alert_fan_out(CapMessage.objects.get(identifier=cap).pk, lambda *_c: None)


def test_only_the_alert_queues_its_message_which_is_written_once(push_server: PushServer) -> None:
    push_subscriber(push_server, Device("/d"), MEDINA)
    message = _alert_message()
    assert message.kind == MessageKind.MISSING_CHILD
    assert message.status == MessageStatus.PUBLISHED
    assert message.send_until is not None
    # Messaging's own fan-out, its sweep and its deliver leave it to the alert.
    assert fan_out(message.pk, lambda *_r: None).queued == 0
    DistrictMessage.objects.filter(pk=message.pk).update(
        published_at=timezone.now() - timedelta(hours=1)
    )
    assert sweep() == 0
    assert deliver().sent == 0
    assert not MessageDelivery.objects.filter(message=message).exists()
    # Written again for the same CAP message: the same one.
    again = missing_child_publish(
        source=message.source,
        area=area(MEDINA_S1),
        titles={"fr": "Autre"},
        bodies={"fr": "Autre"},
        link="http://127.0.0.1:8000/alerts/x/",
        send_until=None,
    )
    assert again.pk == message.pk
    assert again.title_fr != "Autre"
    _queued(message)
    assert deliver().sent == 1


def test_an_email_copy_interrupted_while_sending_is_not_sent_twice() -> None:
    email_subscriber("hind@example.org", MEDINA)
    message = _alert_message()
    _queued(message)
    # Its worker claimed it, then died: the e-mail may have left.
    MessageDelivery.objects.filter(message=message).update(
        state=DeliveryState.SENDING, attempts=1, lease_until=timezone.now() - timedelta(seconds=1)
    )
    assert deliver().sent == 0
    assert mail.outbox == []
    assert MessageDelivery.objects.get(message=message).error == "interrupted while sending"


def test_a_push_copy_interrupted_while_sending_goes_once_more_under_the_same_topic(
    push_server: PushServer,
) -> None:
    device = Device("/again")
    push_subscriber(push_server, device, MEDINA)
    message = _alert_message()
    _queued(message)
    MessageDelivery.objects.filter(message=message).update(
        state=DeliveryState.SENDING, attempts=1, lease_until=timezone.now() - timedelta(seconds=1)
    )
    assert deliver().sent == 1
    assert deliver().sent == 0
    [received] = push_server.to("/again")
    topic = {k.lower(): v for k, v in received.headers.items()}["topic"]
    assert topic.startswith("page-")
    assert len(topic) <= 32
    assert json.loads(device.decrypt(received.body))["url"] == message.link


def test_an_sms_copy_handed_to_the_gateway_is_never_handed_over_twice() -> None:
    number = "+212612345670"
    texted = AreaSubscription.objects.create(
        channel="sms", number=number, number_hash=number_hash(number), confirmed_at=timezone.now()
    )
    SubscriptionArea.objects.create(subscription=texted, area=area(MEDINA))
    message = _alert_message()
    _queued(message)
    copy = MessageDelivery.objects.get(message=message)
    assert deliver_range(copy.pk, copy.pk).stats.sent == 1
    # As if its worker had died between handing it over and recording it.
    MessageDelivery.objects.filter(pk=copy.pk).update(
        state=DeliveryState.SENDING, attempts=1, lease_until=timezone.now() - timedelta(seconds=1)
    )
    assert deliver_range(copy.pk, copy.pk).stats.sent == 1
    assert OutgoingSms.objects.filter(purpose=f"missing_child:{message.pk}").count() == 1


def test_no_copy_is_taken_after_the_alert_s_expiry(push_server: PushServer) -> None:
    push_subscriber(push_server, Device("/expired"), MEDINA)
    message = _alert_message()
    _queued(message)
    copy = MessageDelivery.objects.get(message=message)
    row = {"id": copy.pk, "state": copy.state, "attempts": copy.attempts}
    DistrictMessage.objects.filter(pk=message.pk).update(send_until=timezone.now())
    assert _claim(row, timezone.now() + timedelta(seconds=1)) is False
    assert deliver().sent == 0
    assert push_server.to("/expired") == []
