"""The SMS channel through qurb.sms: the number confirmed by the 6-digit code texted to it,
messages queued as SMS (never to a number that texted STOP), and STOP ending the number's
subscriptions."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from qurb.messaging.delivery import deliver
from qurb.messaging.models import AreaSubscription
from qurb.sms.models import OutgoingSms
from qurb.sms.services import number_hash, number_stop
from tests.messaging.conftest import MEDINA, MEDINA_S1, area, published

pytestmark = pytest.mark.django_db

NUMBER = "+212612345678"


def _code() -> str:
    latest = OutgoingSms.objects.filter(purpose="verification").latest("pk")
    found = re.search(r"\d{6}", latest.text)
    assert found is not None
    return found.group(0)


def test_sms_subscription_confirmed_by_code_then_stopped_by_stop(
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    url = reverse("messaging:subscribe", args=[area(MEDINA_S1).pk])
    form = {"channel": "sms", "number": "06 12 34 56 78", "topics": ["messages"], "rhythm": "now"}
    bad = client.post(url, dict(form, number="12"))
    assert bad.status_code == 400
    answer = client.post(url, form)
    assert answer.status_code == 302
    subscription = AreaSubscription.objects.get(channel="sms")
    assert answer["Location"] == reverse("messaging:code", args=[subscription.token])
    assert (subscription.number, subscription.number_hash) == (NUMBER, number_hash(NUMBER))
    assert subscription.confirmed_at is None
    page = reverse("messaging:code", args=[subscription.token])
    wrong = "000000" if _code() != "000000" else "111111"
    refused = client.post(page, {"code": wrong})
    assert refused.status_code == 400
    assert client.post(page, {"code": _code()}).status_code == 200
    subscription.refresh_from_db()
    assert subscription.confirmed_at is not None

    published(title="Vaccination des chiens errants", body="Lundi au Batha.")
    assert deliver().sent == 1
    sent = OutgoingSms.objects.filter(purpose="messages").get()
    assert "Vaccination des chiens errants" in sent.text
    assert sent.area_id == area(MEDINA).pk  # counted against the district's daily cap

    with django_capture_on_commit_callbacks(execute=True):
        number_stop(NUMBER)
    subscription.refresh_from_db()
    assert not subscription.active
    published(title="Deuxième message")
    assert deliver().sent == 0
    assert OutgoingSms.objects.filter(purpose="messages").count() == 1


def test_the_code_page_exists_only_for_an_sms_subscription() -> None:
    assert Client().get(reverse("messaging:code", args=["nope"])).status_code == 404
