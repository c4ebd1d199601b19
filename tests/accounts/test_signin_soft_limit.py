"""A username tried from many addresses is slowed, never locked (web.guards.signin).

django-axes locks a (username, address) pair; an attacker rotating addresses behind the proxy
never trips it, so past SIGNIN_SOFT_LIMIT failures the username waits a short, growing while
before a password is checked again. The officer still signs in: at once from an address they
signed in from before, and after at most SIGNIN_BACKOFF_MAX_SECONDS from a new one.
"""

import re
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.test import Client, override_settings
from django.urls import reverse

from qurb.demo.services import DEMO_PASSWORD
from qurb.reports.limits import Limit
from tests.reports.test_redis_down import _closed_port, _redis_settings

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.7"
OFFICER = "chief.medina"
HOME = "198.51.100.20"  # the officer's own address


class Clock:
    """The clock the waits are measured with, moved by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    moved = Clock()
    monkeypatch.setattr("qurb.web.guards.signin._now", moved)
    return moved


@pytest.fixture(autouse=True)
def _limits(settings: Any) -> None:
    settings.QURB_TRUSTED_PROXIES = 1
    settings.SIGNIN_SOFT_LIMIT = Limit(20, 10**9)  # one window for the whole test
    settings.SIGNIN_BACKOFF_MIN_SECONDS = 2
    settings.SIGNIN_BACKOFF_MAX_SECONDS = 60


def sign_in(address: str, password: str, url: str = "", **headers: Any) -> Any:
    client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=address)
    headers.setdefault("HTTP_ACCEPT_LANGUAGE", "en")
    response = client.post(
        url or reverse("accounts:login"), {"username": OFFICER, "password": password}, **headers
    )
    setattr(response, "signed_in", "_auth_user_id" in client.session)  # noqa: B010
    return response


def wait_of(response: Any) -> int:
    """The seconds the page asks to wait (0 when it does not)."""
    if response.status_code != 429:
        return 0
    found = re.search(r"Wait (\d+) second", response.content.decode())
    assert found, response.content.decode()
    return int(found.group(1))


def test_thirty_failures_from_rotating_addresses_slow_but_never_lock_the_officer(
    settings: Any, clock: Clock
) -> None:
    waits = []
    failures = 0
    n = 0
    while failures < 30:
        # The attacker rotates the address the proxy sees, and waits out each back-off.
        n += 1
        response = sign_in(f"203.0.113.{n}", "wrong")
        assert not response.signed_in
        if response.status_code == 429:
            waits.append(wait_of(response))
            clock.now += waits[-1]
            continue
        assert response.status_code == 200  # the password was checked, and refused
        failures += 1
    # Slowed only past the soft limit, by a growing wait that stays short.
    assert waits == [2, 4, 8, 16, 32, 60, 60, 60, 60]
    assert n == 39  # 30 failures, the first 20 never slowed
    # django-axes never locked anything: each address failed once.
    assert not AccessAttempt.objects.filter(failures_since_start__gte=2).exists()

    # The officer at their own address (never used before) is asked to wait a minute at most...
    slowed = sign_in(HOME, DEMO_PASSWORD, HTTP_ACCEPT_LANGUAGE="en")
    assert not slowed.signed_in
    wait = wait_of(slowed)
    assert 0 < wait <= settings.SIGNIN_BACKOFF_MAX_SECONDS
    assert "Too many sign-in attempts for this account." in slowed.content.decode()
    # ...and signs in once it is over, far within axes's 15 minutes.
    clock.now += wait
    signed = sign_in(HOME, DEMO_PASSWORD)
    assert signed.status_code == 302
    assert signed.signed_in


def test_while_waiting_the_password_is_not_checked_and_the_wait_does_not_grow(
    settings: Any, clock: Clock
) -> None:
    settings.SIGNIN_SOFT_LIMIT = Limit(3, 10**9)
    for n in range(4):
        sign_in(f"203.0.113.{n}", "wrong")
    first = wait_of(sign_in("203.0.113.50", "wrong"))
    assert first == 2
    # The right password during the wait does not sign in; a flood does not lengthen it.
    for n in range(20):
        attempt = sign_in(f"203.0.113.{60 + n}", DEMO_PASSWORD)
        assert attempt.status_code == 429
        assert not attempt.signed_in
    assert wait_of(sign_in("203.0.113.90", "wrong")) == 2
    clock.now += 2
    assert sign_in("203.0.113.91", DEMO_PASSWORD).signed_in


def test_an_address_the_officer_signed_in_from_is_never_slowed(settings: Any, clock: Clock) -> None:
    assert sign_in(HOME, DEMO_PASSWORD).signed_in
    for n in range(30):
        sign_in(f"203.0.113.{n}", "wrong")
        clock.now += 61
    assert sign_in("203.0.113.77", "wrong").status_code == 200
    assert wait_of(sign_in("203.0.113.78", DEMO_PASSWORD)) > 0  # others wait...
    assert sign_in(HOME, DEMO_PASSWORD).signed_in  # ...not the officer at their desk


def test_the_wait_is_translated_and_the_admin_sign_in_is_slowed_too(
    settings: Any, clock: Clock
) -> None:
    settings.SIGNIN_SOFT_LIMIT = Limit(1, 10**9)
    sign_in("203.0.113.1", "wrong")
    sign_in("203.0.113.2", "wrong")
    french = sign_in("203.0.113.3", "wrong", HTTP_ACCEPT_LANGUAGE="fr")
    assert "Trop de tentatives de connexion pour ce compte. Patientez 2 secondes" in (
        french.content.decode()
    )
    arabic = sign_in("203.0.113.3", "wrong", HTTP_ACCEPT_LANGUAGE="ar")
    assert "محاولات دخول كثيرة لهذا الحساب" in arabic.content.decode()
    admin = sign_in("203.0.113.4", DEMO_PASSWORD, url="/admin/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Too many sign-in attempts for this account." in admin.content.decode()
    assert not admin.signed_in


def test_without_redis_nobody_waits(settings: Any) -> None:
    with override_settings(**_redis_settings(_closed_port())):
        settings.SIGNIN_SOFT_LIMIT = Limit(2, 10**9)
        for n in range(6):
            assert sign_in(f"203.0.113.{n}", "wrong").status_code == 200
        assert sign_in(HOME, DEMO_PASSWORD).signed_in
