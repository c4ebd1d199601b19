from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from qurb.accounts.models import User
from qurb.areas.models import Area
from qurb.messaging.models import AreaSubscription, DistrictMessage
from qurb.messaging.services import (
    message_publish,
    message_save,
    subscription_confirm,
    subscription_create,
)
from tests.alerts.pushserver import Device, PushServer

MEDINA = "032310107"
MEDINA_S1 = "032310107-S1"
AGDAL = "032310101"
MECHOUAR = "032310103"
FES = "03.231"


@pytest.fixture(autouse=True)
def _loopback_push_service(settings: Any) -> None:
    settings.ALERT_PUSH_HOSTS = [*settings.ALERT_PUSH_HOSTS, "127.0.0.1"]


@pytest.fixture(autouse=True)
def _demo_messages_already_sent(request: pytest.FixtureRequest) -> None:
    """The demo's automatic messages (its meetings and priorities) and its alert went out when
    it loaded: a test's worker sends only the test's own."""
    if request.node.get_closest_marker("django_db") is None:
        return
    request.getfixturevalue("db")
    from django.utils import timezone

    from qurb.alerts.models import CapMessage

    DistrictMessage.objects.filter(fanned_out_at__isnull=True).update(fanned_out_at=timezone.now())
    CapMessage.objects.filter(fanned_out_at__isnull=True).update(
        fanout_started_at=timezone.now(), fanned_out_at=timezone.now()
    )


@pytest.fixture
def push_server() -> Iterator[PushServer]:
    server = PushServer()
    try:
        yield server
    finally:
        server.close()


def user(username: str) -> User:
    return User.objects.get(username=username)


def area(code: str) -> Area:
    return Area.objects.get(code=code)


def push_subscriber(
    server: PushServer, device: Device, *codes: str, **choices: Any
) -> AreaSubscription:
    info = device.subscription(server.base)
    return subscription_create(
        channel="push",
        areas=[area(c) for c in codes],
        endpoint=info["endpoint"],
        p256dh=info["keys"]["p256dh"],
        auth=info["keys"]["auth"],
        language=choices.pop("language", "fr"),
        **choices,
    )


def email_subscriber(address: str, *codes: str, **choices: Any) -> AreaSubscription:
    choices.setdefault("language", "fr")
    subscription = subscription_create(
        channel="email", areas=[area(c) for c in codes], email=address, **choices
    )
    assert subscription.pk, "the confirmation allowance of this address is spent"
    confirmed = subscription_confirm(subscription.token)
    assert confirmed is not None
    return confirmed


def written(
    code: str = MEDINA,
    *,
    author: str = "chief.medina",
    kind: str = "information",
    title: str = "Travaux rue Talaa Kbira",
    body: str = "La rue sera fermée jeudi matin.",
) -> DistrictMessage:
    return message_save(
        actor=user(author),
        area=area(code),
        kind=kind,
        titles={"fr": title},
        bodies={"fr": body},
    )


def published(code: str = MEDINA, **kwargs: Any) -> DistrictMessage:
    message = written(code, **kwargs)
    return message_publish(actor=user(kwargs.get("author", "chief.medina")), message=message)
