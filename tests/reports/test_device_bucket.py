"""The per-device intake limit binds a client that sends no device: without a cookie or an
X-Device-Id header, its reports count against one shared "no device" bucket of its address."""

import json
from typing import Any

import pytest
from django.test import Client, RequestFactory

from qurb.reports.limits import Limit
from qurb.web.guards.intake import DEVICE_COOKIE, device_bucket, pow_challenge, pow_solve
from tests.reports.conftest import point_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _limits(settings: Any) -> None:
    settings.REPORT_POW_MAX_NUMBER = 300
    settings.QURB_TRUSTED_PROXIES = 0
    settings.REPORT_LIMIT_PER_ADDRESS = Limit(10_000, 10**9)  # only the device limit binds
    settings.REPORT_LIMIT_PER_DEVICE = Limit(3, 10**9)


def report(client: Client, n: int, **headers: Any) -> int:
    lat, lon = point_in("032310107")
    data = {
        "category": "robbery",
        "description": "Agression au couteau près de la gare, le soir vers 21h",
        "lat": lat,
        "lon": lon,
        "when": "now",
        "altcha": pow_solve(pow_challenge()),
    }
    response = client.post(
        "/api/v1/reports",
        json.dumps(data),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=f"nodevice-{n}",
        **headers,
    )
    return int(response.status_code)


def test_leaving_out_the_device_does_not_escape_the_device_limit() -> None:
    client = Client(REMOTE_ADDR="198.51.100.40")
    assert [report(client, n) for n in range(5)] == [201, 201, 201, 429, 429]
    # An empty header is no device either.
    assert report(client, 9, HTTP_X_DEVICE_ID="") == 429


def test_the_no_device_bucket_is_per_address_and_apart_from_devices() -> None:
    bare = Client(REMOTE_ADDR="198.51.100.41")
    assert [report(bare, n) for n in range(4)] == [201, 201, 201, 429]
    # A client at the same address that names its device has its own count...
    app = Client(REMOTE_ADDR="198.51.100.41")
    assert report(app, 10, HTTP_X_DEVICE_ID="phone-1") == 201
    browser = Client(REMOTE_ADDR="198.51.100.41")
    browser.cookies[DEVICE_COOKIE] = "browser-1"
    assert report(browser, 11) == 201
    # ...and another address's cookie-less clients theirs.
    assert report(Client(REMOTE_ADDR="198.51.100.42"), 12) == 201


def test_a_device_identifier_cannot_name_an_address_bucket() -> None:
    """A header that spells an address counts as a device, never as that address's bucket."""
    request = RequestFactory().post("/", REMOTE_ADDR="198.51.100.43")
    assert device_bucket(request) == ("device-none", "198.51.100.43")
    request = RequestFactory().post(
        "/", REMOTE_ADDR="198.51.100.43", HTTP_X_DEVICE_ID="198.51.100.43"
    )
    assert device_bucket(request) == ("device", "198.51.100.43")
    spoofer = Client(REMOTE_ADDR="203.0.113.50")
    for n in range(4):
        report(spoofer, 20 + n, HTTP_X_DEVICE_ID="198.51.100.44")
    assert report(Client(REMOTE_ADDR="198.51.100.44"), 30) == 201
