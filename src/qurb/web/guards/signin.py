"""A soft per-username sign-in limit, on top of django-axes.

django-axes locks a (username, address) pair after a few failures: an attacker cannot lock
someone else out, but can try one account from many addresses. This guard counts the failures
for a username from every address; past ``SIGNIN_SOFT_LIMIT`` in its window, each further
failure makes the username wait before its password is checked again, from
``SIGNIN_BACKOFF_MIN_SECONDS`` doubling up to ``SIGNIN_BACKOFF_MAX_SECONDS``. It slows, it never
locks: the wait is short, and an attempt made while waiting is answered without being counted
(so a flood does not make the wait longer). An address that signed in to the account recently
(``SIGNIN_KNOWN_ADDRESS_DAYS``) is never slowed, so the officer at their usual desk signs in
whatever an attacker does elsewhere.

Everything is counted in the cache (keyed hashes, never a username or an address in clear) and
fails open: without Redis nobody waits, and django-axes still applies.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from qurb.web.guards.intake import client_address, limit_count


def _now() -> float:
    """The clock the waits are measured with."""
    return time.time()


def _username(username: str) -> str:
    return username.strip().casefold()[:150]


def _key(kind: str, value: str) -> str:
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"signin:{kind}:{value}".encode(), hashlib.sha256
    ).hexdigest()[:32]
    return f"qurb:signin:{kind}:{digest}"


def _known_key(username: str, address: str) -> str:
    return _key("known", f"{_username(username)}\x00{address}")


def _known_address(request: HttpRequest, username: str) -> bool:
    return bool(cache.get(_known_key(username, client_address(request))))


def signin_wait(request: HttpRequest, username: str) -> int:
    """Seconds this username must still wait before its password is checked (0: go on)."""
    if not username.strip() or _known_address(request, username):
        return 0
    until = cache.get(_key("wait", _username(username)))
    if not isinstance(until, (int, float)):
        return 0
    return max(math.ceil(until - _now()), 0)


def signin_failed(request: HttpRequest, username: str) -> None:
    """Count a failed password for the username; past the soft limit, make it wait."""
    if not username.strip():
        return
    limit = settings.SIGNIN_SOFT_LIMIT
    over = limit_count("signin-user", _username(username), limit) - limit.count
    if over <= 0 or _known_address(request, username):
        return
    delay = min(
        settings.SIGNIN_BACKOFF_MIN_SECONDS * 2 ** min(over - 1, 30),
        settings.SIGNIN_BACKOFF_MAX_SECONDS,
    )
    cache.set(_key("wait", _username(username)), _now() + delay, timeout=delay + 5)


def signin_succeeded(request: HttpRequest, username: str) -> None:
    """Remember the address the account signed in from: it is not slowed later."""
    cache.set(
        _known_key(username, client_address(request)),
        1,
        timeout=settings.SIGNIN_KNOWN_ADDRESS_DAYS * 24 * 3600,
    )
