"""A push endpoint already subscribed is changed only by the browser that holds its keys, and
an address gets at most one confirmation e-mail a day, however often someone subscribes it."""

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from qurb.alerts.models import Subscription
from qurb.alerts.services import subscription_create
from qurb.communication.models import NewsletterSubscriber
from qurb.communication.services import newsletter_subscribe

pytestmark = pytest.mark.django_db

ENDPOINT = "https://fcm.googleapis.com/fcm/send/owned"


def _push(p256dh: str, auth: str, radius_km: float) -> Any:
    body = {
        "subscription": {"endpoint": ENDPOINT, "keys": {"p256dh": p256dh, "auth": auth}},
        "lat": 34.06,
        "lon": -4.97,
        "radius_km": radius_km,
    }
    return Client().post(
        reverse("alerts:subscribe_push"), json.dumps(body), content_type="application/json"
    )


def test_a_known_endpoint_is_changed_only_by_its_own_browser() -> None:
    first = _push("BKeysOfTheBrowser", "secret-auth", 5)
    assert first.status_code == 201
    link = first.json()["unsubscribe"]
    stored = Subscription.objects.get(endpoint=ENDPOINT)

    other = _push("BAttackerKeys", "guessed-auth", 40)
    assert other.status_code == 201  # the same answer as a new subscription
    assert other.json()["ok"] is True
    assert "unsubscribe" not in other.json()
    assert stored.token not in other.content.decode()
    again = Subscription.objects.get(endpoint=ENDPOINT)
    assert (again.p256dh, again.auth, again.radius_km) == ("BKeysOfTheBrowser", "secret-auth", 5)

    same = _push("BKeysOfTheBrowser", "secret-auth", 20)
    assert same.status_code == 201
    assert same.json()["unsubscribe"] == link
    assert Subscription.objects.get(endpoint=ENDPOINT).radius_km == 20
    assert Subscription.objects.filter(endpoint=ENDPOINT).count() == 1


def _alert_by_email(email: str) -> Subscription:
    return subscription_create(
        channel="email", email=email, lat=34.06, lon=-4.97, radius_km=5, language="fr"
    )


def test_one_alert_confirmation_a_day_per_address(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks() as sent:
        for _ in range(30):
            _alert_by_email("victim@example.org")
    assert len(sent) == 1
    assert Subscription.objects.filter(email="victim@example.org").count() == 1
    with django_capture_on_commit_callbacks() as sent:
        _alert_by_email("VICTIM@Example.org")  # the same address, however written
        _alert_by_email("someone.else@example.org")
    assert len(sent) == 1


def test_one_newsletter_confirmation_a_day_per_address(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks() as sent:
        for _ in range(30):
            newsletter_subscribe(email="victim@example.org", language="fr")
    assert len(sent) == 1
    assert NewsletterSubscriber.objects.filter(email="victim@example.org").count() == 1
    with django_capture_on_commit_callbacks() as sent:
        newsletter_subscribe(email="other@example.org", language="fr")
    assert len(sent) == 1
