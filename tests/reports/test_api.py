import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from qurb.reports.limits import Limit
from qurb.reports.models import Channel, Report
from qurb.reports.services import api_key_create
from qurb.web.guards.intake import pow_challenge, pow_solve
from tests.reports.conftest import point_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cheap_proof_of_work(settings: Any) -> None:
    settings.REPORT_POW_MAX_NUMBER = 300


def body(**extra: Any) -> dict[str, Any]:
    lat, lon = point_in("032310107")
    data: dict[str, Any] = {
        "category": "robbery",
        "description": "Agression au couteau près de la gare, le soir vers 21h",
        "lat": lat,
        "lon": lon,
        "flags": ["weapon"],
        "when": "recurring",
        "recurrence_days": "daily",
        "recurrence_from": "20:30",
    }
    data.update(extra)
    return data


def post(client: Client, data: dict[str, Any], **headers: Any) -> Any:
    return client.post(
        "/api/v1/reports", json.dumps(data), content_type="application/json", **headers
    )


def test_submit_with_proof_of_work_and_follow() -> None:
    client = Client()
    challenge = client.get("/api/v1/reports/challenge").json()
    response = post(client, body(altcha=pow_solve(challenge)))
    assert response.status_code == 201, response.content
    code = response.json()["tracking_code"]
    report = Report.objects.get(tracking_code=code)
    assert report.channel == Channel.API
    assert report.flag_weapon
    status = client.get(f"/api/v1/reports/{code}").json()
    assert status["status"] == "received"
    assert status["history"][0]["status"] == "received"
    assert "description" not in status
    assert "lat" not in status


def test_partner_key_and_idempotency() -> None:
    _record, key = api_key_create(name="Association app")
    client = Client()
    first = post(client, body(), HTTP_X_API_KEY=key, HTTP_IDEMPOTENCY_KEY="retry-1")
    again = post(client, body(), HTTP_X_API_KEY=key, HTTP_IDEMPOTENCY_KEY="retry-1")
    assert first.status_code == 201
    assert again.status_code == 200
    assert first.json()["tracking_code"] == again.json()["tracking_code"]
    listed = client.get("/api/v1/reports", HTTP_X_API_KEY=key).json()
    assert [r["tracking_code"] for r in listed] == [first.json()["tracking_code"]]
    _other, other_key = api_key_create(name="Another partner")
    assert client.get("/api/v1/reports", HTTP_X_API_KEY=other_key).json() == []
    assert client.get("/api/v1/reports").status_code == 401


def test_errors_are_explained_in_the_callers_language() -> None:
    client = Client()
    with translation.override("fr"):
        response = post(
            client,
            body(lat=31.6, lon=-8.0, altcha=pow_solve(pow_challenge())),
            HTTP_ACCEPT_LANGUAGE="fr",
        )
    assert response.status_code == 400
    assert "arrondissement" in json.dumps(response.json(), ensure_ascii=False).lower()
    bad = post(client, {"category": "nope", "lat": 500}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert {"category", "lat", "description"} <= fields


def test_flood_from_one_address_is_cut_to_the_limit(settings: Any) -> None:
    settings.REPORT_LIMIT_PER_ADDRESS = Limit(20, 10**9)  # one window for the whole test
    settings.REPORT_LIMIT_PER_DEVICE = Limit(10_000, 10**9)
    client = Client()
    before = Report.objects.count()
    codes: dict[int, int] = {}
    for n in range(1000):
        data = body(altcha=pow_solve(pow_challenge())) if n < 40 else body(altcha="x")
        status = post(client, data, HTTP_IDEMPOTENCY_KEY=f"flood-{n}").status_code
        codes[status] = codes.get(status, 0) + 1
    assert codes == {201: 20, 429: 980}
    assert Report.objects.count() == before + 20


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (REDIS_URL)")
def test_limit_is_exact_across_processes() -> None:
    """Four processes share one Redis counter: exactly the limit gets through."""
    script = (
        "import django, sys; django.setup();"
        "from qurb.web.guards.intake import limit_hit; from qurb.reports.limits import Limit;"
        "print(sum(not limit_hit('proc', sys.argv[1], Limit(50, 10**9)) for _ in range(100)))"
    )
    identity = f"test-{os.getpid()}-{os.urandom(4).hex()}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "qurb.config.settings"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, identity],
            stdout=subprocess.PIPE,
            env=env,
            cwd=Path(__file__).parents[2],
        )
        for _ in range(4)
    ]
    allowed = sum(int(p.communicate(timeout=60)[0].decode().strip()) for p in procs)
    assert allowed == 50


def test_the_longest_idempotency_key_the_header_allows_is_stored() -> None:
    """Every key the documented header accepts (up to 80 characters) fits what is stored,
    whatever the partner's scope (PostgreSQL refuses a value longer than its column)."""
    _record, key = api_key_create(name="Partner with long keys")
    client = Client()
    first = post(client, body(), HTTP_X_API_KEY=key, HTTP_IDEMPOTENCY_KEY="k" * 80)
    again = post(client, body(), HTTP_X_API_KEY=key, HTTP_IDEMPOTENCY_KEY="k" * 80)
    assert first.status_code == 201, first.content
    assert again.status_code == 200
    assert first.json()["tracking_code"] == again.json()["tracking_code"]
