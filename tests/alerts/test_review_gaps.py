"""The child's photo on the staff side is a read of the case like any other (audited), and
a push subscription with hostile numbers is refused with a message."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db.models import Max
from django.test import Client
from django.urls import reverse

from qurb.alerts.models import Subscription
from qurb.audit.models import AuditEvent
from tests.alerts.conftest import open_case
from tests.conftest import signed_in


def _last_event() -> int:
    return int(AuditEvent.objects.aggregate(n=Max("pk"))["n"] or 0)


@pytest.mark.django_db(transaction=True)
def test_the_staff_photo_read_is_audited_and_refused_outside(committed: None) -> None:
    case = open_case(is_exercise=True)
    url = reverse("alerts:staff_photo", args=[case.pk])
    last = _last_event()

    answer = signed_in("chief.medina").get(url)

    assert answer.status_code == 200
    assert b"".join(answer.streaming_content).startswith(b"\xff\xd8")  # type: ignore[attr-defined]
    events = list(AuditEvent.objects.filter(pk__gt=last))
    assert [(e.action, e.actor_label, e.object_id) for e in events] == [
        ("alerts.read_photo", "chief.medina", str(case.pk))
    ]
    assert signed_in("chief.agdal").get(url).status_code == 404
    assert AuditEvent.objects.filter(pk__gt=last).count() == 1


def _subscription(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "subscription": {
            "endpoint": "https://fcm.googleapis.com/fcm/send/abc",
            "keys": {"p256dh": "BNc", "auth": "xyz"},
        },
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        json.dumps(_subscription(district=99999999999999999999999)),
        json.dumps(_subscription(district="²")),
        json.dumps(_subscription(district=[1])),
        json.dumps(_subscription(lat=10**400, lon=1, radius_km=2)),
        json.dumps(_subscription(lat=34.06, lon=-4.97, radius_km=10**400)),
        (
            '{"subscription": {"endpoint": "https://fcm.googleapis.com/x", "keys": {"p256dh": "a",'
            ' "auth": "b"}}, "lat": NaN, "lon": Infinity, "radius_km": 2}'
        ),
        json.dumps(_subscription(lat="1e400", lon="-1e400", radius_km="2")),
        json.dumps(["not", "an", "object"]),
        json.dumps(_subscription(subscription="nope")),
        "{not json",
    ],
)
def test_a_push_subscription_with_hostile_numbers_is_refused(body: str) -> None:
    client = Client(raise_request_exception=False)
    response = client.post(
        reverse("alerts:subscribe_push"),
        body,
        content_type="application/json",
        headers={"accept-language": "fr"},
    )
    assert response.status_code == 400, response.content[:500]
    assert response.json()["errors"]
    assert not Subscription.objects.exists()
