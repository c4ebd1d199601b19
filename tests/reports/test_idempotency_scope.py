"""An Idempotency-Key belongs to its client: another client reusing it gets no report of the
first (no tracking code) and must solve the proof of work like any new report."""

import json
from typing import Any

import pytest
from django.test import Client

from qurb.reports.models import Report
from qurb.web.guards.intake import pow_challenge, pow_solve
from tests.reports.test_api import body

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cheap_proof_of_work(settings: Any) -> None:
    settings.REPORT_POW_MAX_NUMBER = 300


def _post(data: dict[str, Any], **headers: Any) -> Any:
    return Client().post(
        "/api/v1/reports", json.dumps(data), content_type="application/json", **headers
    )


def test_another_client_reusing_a_key_gets_nothing_of_the_first() -> None:
    a = {"HTTP_X_DEVICE_ID": "device-a-6f1c0e", "HTTP_IDEMPOTENCY_KEY": "shared-key"}
    first = _post(body(altcha=pow_solve(pow_challenge())), **a)
    assert first.status_code == 201, first.content
    code = first.json()["tracking_code"]

    # Client B, with its own device or none, same key and no proof of work: refused.
    for headers in (
        {"HTTP_X_DEVICE_ID": "device-b-91ad3f", "HTTP_IDEMPOTENCY_KEY": "shared-key"},
        {"HTTP_IDEMPOTENCY_KEY": "shared-key"},
    ):
        refused = _post(body(), **headers)
        assert refused.status_code == 400, refused.content
        assert refused.json()["code"] == "proof_of_work"
        assert code not in refused.content.decode()
        # With the proof of work: a report of its own, never A's.
        own = _post(body(altcha=pow_solve(pow_challenge())), **headers)
        assert own.status_code == 201, own.content
        assert own.json()["tracking_code"] != code
        assert code not in own.content.decode()

    # A's own retry, without a new proof of work: the same report.
    again = _post(body(), **a)
    assert again.status_code == 200, again.content
    assert again.json()["tracking_code"] == code
    assert Report.objects.filter(tracking_code=code).count() == 1


def test_without_a_device_the_key_never_matches() -> None:
    headers = {"HTTP_IDEMPOTENCY_KEY": "no-device"}
    first = _post(body(altcha=pow_solve(pow_challenge())), **headers)
    second = _post(body(altcha=pow_solve(pow_challenge())), **headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["tracking_code"] != second.json()["tracking_code"]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"updates_email": "not-an-address"}, "updates_email"),
        ({"updates_email": "a@b"}, "updates_email"),
        ({"anonymous": False, "contact": {"name": "Omar", "email": "omar@@x.ma"}}, "contact.email"),
    ],
)
def test_an_invalid_email_is_refused_at_the_door(extra: dict[str, Any], field: str) -> None:
    before = Report.objects.count()
    response = _post(body(altcha=pow_solve(pow_challenge()), **extra), HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == [field]
    assert errors[0]["message"] == "Indiquez une adresse e-mail valide."
    assert Report.objects.count() == before
    ok = _post(body(altcha=pow_solve(pow_challenge()), updates_email="nadia@example.org"))
    assert ok.status_code == 201, ok.content
