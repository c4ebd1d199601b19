"""Behind a reverse proxy, the client's address is what the last trusted hop appended.

Rate limits and django-axes share ``client_address``: a client cannot pick a new identity by
rewriting the left of ``X-Forwarded-For``, and nobody can lock another person out of sign-in.
"""

import json
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory
from django.urls import reverse

from qurb.demo.services import DEMO_PASSWORD
from qurb.reports.limits import Limit
from qurb.web.guards.intake import client_address, pow_challenge, pow_solve
from tests.reports.conftest import point_in

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.7"  # the TLS proxy, as the application server sees it


@pytest.fixture(autouse=True)
def _cheap_proof_of_work(settings: Any) -> None:
    settings.REPORT_POW_MAX_NUMBER = 300


def address(xff: str | None, *, remote: str = PROXY) -> str:
    request = RequestFactory().get("/", REMOTE_ADDR=remote)
    if xff is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = xff
    return client_address(request)


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
        HTTP_IDEMPOTENCY_KEY=f"proxy-{n}",
        **headers,
    )
    return int(response.status_code)


def test_with_one_trusted_hop_the_address_the_proxy_appended_counts(settings: Any) -> None:
    settings.QURB_TRUSTED_PROXIES = 1
    assert address("203.0.113.9") == "203.0.113.9"
    assert address("198.51.100.1, 203.0.113.9") == "203.0.113.9"
    assert address("1.1.1.1, 2.2.2.2, 203.0.113.9") == "203.0.113.9"
    assert address(None) == PROXY  # not through the proxy: the peer itself
    assert address("::ffff:203.0.113.9") == "203.0.113.9"  # one address, one spelling


def test_with_two_trusted_hops_the_second_from_the_right_counts(settings: Any) -> None:
    settings.QURB_TRUSTED_PROXIES = "2"
    assert address("198.51.100.1, 203.0.113.9, 10.0.0.3") == "203.0.113.9"
    assert address("203.0.113.9, 10.0.0.3") == "203.0.113.9"
    assert address("10.0.0.3") == PROXY  # fewer hops than proxies: nothing to believe


def test_with_trusted_networks_every_proxy_in_them_is_skipped(settings: Any) -> None:
    settings.QURB_TRUSTED_PROXIES = ("10.0.0.0/8", "192.168.0.0/16")
    assert address("198.51.100.1, 203.0.113.9, 192.168.4.4, 10.9.9.9") == "203.0.113.9"
    assert address("203.0.113.9") == "203.0.113.9"
    # A peer outside the proxies' networks is the client, whatever it writes.
    assert address("203.0.113.9", remote="198.51.100.77") == "198.51.100.77"
    settings.QURB_TRUSTED_PROXIES = "10.0.0.0/8"  # as the environment writes it
    assert address("198.51.100.1, 203.0.113.9") == "203.0.113.9"


def test_without_a_proxy_x_forwarded_for_is_ignored(settings: Any) -> None:
    settings.QURB_TRUSTED_PROXIES = 0
    assert address("203.0.113.9", remote="198.51.100.77") == "198.51.100.77"
    assert address("garbage", remote="198.51.100.77") == "198.51.100.77"


@pytest.mark.parametrize(
    "xff",
    ["", " ", ",,,", "garbage", "999.1.1.1", "1.2.3.4, not-an-ip", "\x00", "1.1.1.1," * 5000],
)
@pytest.mark.parametrize("trusted", [1, 3, ("10.0.0.0/8",)])
def test_a_malformed_header_falls_back_to_an_address(settings: Any, xff: str, trusted: Any) -> None:
    settings.QURB_TRUSTED_PROXIES = trusted
    assert address(xff) in {PROXY, "1.1.1.1"}


@pytest.mark.parametrize("trusted", [1, ("10.0.0.0/8",)])
def test_rotating_the_first_hop_does_not_escape_the_report_limit(
    settings: Any, trusted: Any
) -> None:
    settings.QURB_TRUSTED_PROXIES = trusted
    settings.REPORT_LIMIT_PER_ADDRESS = Limit(5, 10**9)  # one window for the whole test
    settings.REPORT_LIMIT_PER_DEVICE = Limit(10_000, 10**9)
    client = Client(REMOTE_ADDR=PROXY)
    codes = [
        report(client, n, HTTP_X_FORWARDED_FOR=f"198.51.{n}.{n}, 203.0.113.9") for n in range(8)
    ]
    assert codes == [201] * 5 + [429] * 3
    # Another resident behind the same proxy still gets through.
    assert report(client, 99, HTTP_X_FORWARDED_FOR="203.0.113.10") == 201


def test_without_a_proxy_rotating_x_forwarded_for_does_not_escape_the_limit(
    settings: Any,
) -> None:
    settings.QURB_TRUSTED_PROXIES = 0
    settings.REPORT_LIMIT_PER_ADDRESS = Limit(3, 10**9)
    settings.REPORT_LIMIT_PER_DEVICE = Limit(10_000, 10**9)
    client = Client(REMOTE_ADDR="198.51.100.77")
    codes = [report(client, n, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}") for n in range(5)]
    assert codes == [201] * 3 + [429] * 2


@pytest.mark.parametrize("xff", ["garbage", "1.2.3.4, \x00", "1.1.1.1," * 5000, ",,"])
def test_a_malformed_header_never_gives_a_500(settings: Any, xff: str) -> None:
    settings.QURB_TRUSTED_PROXIES = 1
    client = Client(REMOTE_ADDR=PROXY)
    assert report(client, 0, HTTP_X_FORWARDED_FOR=xff) == 201
    login = client.post(
        reverse("accounts:login"),
        {"username": "resident", "password": "wrong"},
        HTTP_X_FORWARDED_FOR=xff,
    )
    assert login.status_code == 200


def test_failures_from_one_address_do_not_lock_the_officer_out_elsewhere(settings: Any) -> None:
    settings.QURB_TRUSTED_PROXIES = 1
    url = reverse("accounts:login")
    attacker = Client(REMOTE_ADDR=PROXY)
    for n in range(settings.AXES_FAILURE_LIMIT):
        # The attacker rotates what it writes; the proxy appends its real address.
        attacker.post(
            url,
            {"username": "chief.medina", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.66",
        )
    attempts = AccessAttempt.objects.filter(username="chief.medina")
    assert set(attempts.values_list("ip_address", flat=True)) == {"203.0.113.66"}

    officer = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.20")
    signed = officer.post(url, {"username": "chief.medina", "password": DEMO_PASSWORD})
    assert signed.status_code == 302
    assert "_auth_user_id" in officer.session

    blocked = attacker.post(
        url,
        {"username": "chief.medina", "password": DEMO_PASSWORD},
        HTTP_X_FORWARDED_FOR="192.0.2.200, 203.0.113.66",
    )
    assert blocked.status_code == 429
    assert "_auth_user_id" not in attacker.session
