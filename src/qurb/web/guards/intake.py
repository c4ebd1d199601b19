"""Guards in front of report intake: proof of work, rate limits, partner keys.

* Proof of work follows the ALTCHA protocol (the ``altcha`` package signs and checks
  challenges; the browser solves them with Web Crypto, no third-party service). A solved
  challenge is accepted once: its signature is remembered until it expires.
* Rate limits are fixed windows counted with the cache's atomic ``add`` + ``incr``. With Redis
  (production) the count is exact across every worker process and machine. A counter's key
  holds a keyed hash of the address or device (never the value itself, never a report or an
  account) and expires with its window, plus 5 seconds (``limit_ttl``).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import time
from typing import Any

import redis
from altcha.v1 import ChallengeOptions, create_challenge, solve_challenge, verify_solution
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from qurb.reports.limits import Limit
from qurb.reports.models import ApiKey

DEVICE_COOKIE = "qurb_device"

logger = logging.getLogger("qurb.limits")


def pow_challenge() -> dict[str, Any]:
    """A fresh signed challenge, as the ALTCHA JSON the browser solves."""
    expires = timezone.now() + dt.timedelta(seconds=settings.REPORT_POW_TTL_SECONDS)
    challenge = create_challenge(
        ChallengeOptions(
            hmac_key=settings.SECRET_KEY,
            max_number=settings.REPORT_POW_MAX_NUMBER,
            expires=expires,
        )
    )
    return {
        "algorithm": challenge.algorithm,
        "challenge": challenge.challenge,
        "maxnumber": challenge.max_number,
        "salt": challenge.salt,
        "signature": challenge.signature,
    }


def pow_solve(challenge: dict[str, Any]) -> str:
    """Solve a challenge as a client would (used by tests, the demo key-less client and bench)."""
    solution = solve_challenge(
        challenge["challenge"], challenge["salt"], challenge["algorithm"], challenge["maxnumber"]
    )
    if solution is None:
        raise ValueError("challenge has no solution")
    payload = {
        "algorithm": challenge["algorithm"],
        "challenge": challenge["challenge"],
        "number": solution.number,
        "salt": challenge["salt"],
        "signature": challenge["signature"],
    }
    return base64.b64encode(json.dumps(payload).encode()).decode()


def pow_accept(payload: str) -> bool:
    """True once for a valid, unexpired solution; a replayed solution is refused."""
    if not payload or len(payload) > 2000:
        return False
    try:
        ok, _error = verify_solution(payload, settings.SECRET_KEY, True)
        signature = json.loads(base64.b64decode(payload, validate=True))["signature"]
    except (ValueError, KeyError, TypeError):
        return False
    if not ok:
        return False
    return bool(cache.add(f"pow-used:{signature}", 1, timeout=settings.REPORT_POW_TTL_SECONDS + 60))


@functools.cache
def _redis(url: str) -> redis.Redis:
    """One client (and connection pool) per process; redis-py reconnects after a fork."""
    timeout = settings.REDIS_TIMEOUT_SECONDS
    return redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)


def limit_ttl(limit: Limit) -> int:
    """How long a counter (and the hash of an address or device in its key) is kept."""
    return limit.window_seconds + 5


def intake_trace_seconds() -> int:
    """The longest a resident's address or device is remembered (as a keyed hash) for abuse
    limits: the report form says so."""
    return max(
        limit_ttl(settings.REPORT_LIMIT_PER_ADDRESS), limit_ttl(settings.REPORT_LIMIT_PER_DEVICE)
    )


def _counter_key(scope: str, identity: str, suffix: str) -> str:
    # Keyed: a plain hash of an IPv4 address is reversed by trying the 2^32 addresses.
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"rl:{scope}:{identity}".encode(), hashlib.sha256
    ).hexdigest()[:32]
    return f"qurb:rl:{scope}:{suffix}:{digest}"


def _count(key: str, ttl: int, scope: str, step: int = 1) -> int | None:
    """Add ``step`` to the counter (created with ``ttl``); its new value, or None when it could
    not be counted (Redis down: the limits fail open, and say so in the log).

    With Redis: one round trip (INCRBY, then EXPIRE NX so the key always expires), atomic on
    the server whatever the number of processes. Without: the cache's add + incr.
    """
    if settings.REDIS_URL:
        pipe = _redis(settings.REDIS_URL).pipeline(transaction=False)
        pipe.incrby(key, step)
        pipe.expire(key, ttl, nx=True)
        try:
            return int(pipe.execute()[0])
        except redis.RedisError as exc:
            logger.warning("rate limit %s not counted, Redis unavailable: %s", scope, exc)
            return None
    cache.add(key, 0, timeout=ttl)
    try:
        return int(cache.incr(key, step))
    except ValueError:  # expired between add and incr: start the window again
        cache.add(key, max(step, 0), timeout=ttl)
        return max(step, 0)


def limit_count(scope: str, identity: str, limit: Limit) -> int:
    """Count one attempt in the current fixed window; the attempts so far in it, this one
    included (0 when it could not be counted: the limit fails open)."""
    window = int(time.time()) // limit.window_seconds
    count = _count(_counter_key(scope, identity, str(window)), limit_ttl(limit), scope)
    return count or 0


def limit_hit(scope: str, identity: str, limit: Limit) -> bool:
    """Count one attempt; True when this attempt goes over the limit of the current window."""
    return limit_count(scope, identity, limit) > limit.count


def quota_take(scope: str, identity: str, places: int, ttl_seconds: int) -> bool:
    """Take one of ``places`` for ``identity`` (kept ``ttl_seconds``); False, and nothing taken,
    when they are all taken. Unlike a window, places come back only by ``quota_give_back``
    or when the key expires. Fails open (True) when Redis is down."""
    key = _counter_key(scope, identity, "quota")
    count = _count(key, max(ttl_seconds, 1), scope)
    if count is None:
        return True
    if count > places:
        _count(key, max(ttl_seconds, 1), scope, step=-1)
        return False
    return True


def quota_give_back(scope: str, identity: str, ttl_seconds: int) -> None:
    """Give back a place taken by ``quota_take`` (the attempt it was taken for failed)."""
    key = _counter_key(scope, identity, "quota")
    if (_count(key, max(ttl_seconds, 1), scope, step=-1) or 0) < 0:
        _count(key, max(ttl_seconds, 1), scope, step=1)  # never below zero


MAX_PROXY_HOPS = 20  # X-Forwarded-For entries looked at, from the right


def _ip(value: str) -> str | None:
    """The address, normalised (an IPv4-mapped IPv6 address as IPv4); None if not an address."""
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


@functools.lru_cache(maxsize=8)
def _networks(
    trusted: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(network, strict=False) for network in trusted)


def client_address(request: HttpRequest) -> str:
    """The caller's address, as the last trusted hop saw it (rate limits and django-axes).

    ``QURB_TRUSTED_PROXIES`` says whom to believe. 0: nobody, the peer (``REMOTE_ADDR``) is the
    client and ``X-Forwarded-For`` is ignored. A count N: the N-th entry from the right of
    ``X-Forwarded-For`` (what the outermost of N proxies appended); entries further left were
    written by the client and are never used. Networks: from the right, skip every hop inside
    them (the peer first: an untrusted peer's header is ignored); the first address outside is
    the client. Anything missing or not an IP address falls back to ``REMOTE_ADDR``.
    """
    remote = str(request.META.get("REMOTE_ADDR", ""))
    peer = _ip(remote) or remote
    trusted = settings.QURB_TRUSTED_PROXIES
    if isinstance(trusted, str):  # as the environment writes it
        trusted = int(trusted) if trusted.strip().isdigit() else tuple(trusted.split(","))
    if not trusted:
        return peer
    header = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    if isinstance(trusted, int):
        hops = [hop.strip() for hop in header.rsplit(",", trusted)] if header else []
        if len(hops) < trusted:
            return peer
        return _ip(hops[-trusted]) or peer
    networks = _networks(tuple(item.strip() for item in trusted if item.strip()))
    client = _ip(remote)
    hops = [hop.strip() for hop in header.rsplit(",", MAX_PROXY_HOPS)][::-1] if header else []
    for hop in hops:
        if client is None or not any(ipaddress.ip_address(client) in n for n in networks):
            break
        client = _ip(hop)
    return client or peer


def device_id(request: HttpRequest) -> str:
    """The device identifier: the form's cookie or an API client's X-Device-Id header."""
    value = request.COOKIES.get(DEVICE_COOKIE) or request.headers.get("X-Device-Id") or ""
    return str(value)[:80]


def device_cookie(request: HttpRequest) -> str:
    """The browser's device cookie only (one answer per person on web forms: a header that
    any client can set freely does not count here)."""
    return str(request.COOKIES.get(DEVICE_COOKIE, ""))[:80]


def respondent(request: HttpRequest) -> str:
    """Who answers a "once per person" form: the account, else the device cookie; empty when
    neither is known (the service then asks for cookies)."""
    if getattr(request.user, "is_authenticated", False):
        return f"id:user:{request.user.pk}"
    cookie = device_cookie(request)
    return f"id:{cookie}" if cookie else ""


def new_device_id() -> str:
    return secrets.token_urlsafe(18)


def remember_device(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Give the browser a device cookie if it has none (rate limits, one answer each)."""
    if not request.COOKIES.get(DEVICE_COOKIE):
        response.set_cookie(
            DEVICE_COOKIE,
            new_device_id(),
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=settings.HTTPS,
        )
    return response


def device_bucket(request: HttpRequest) -> tuple[str, str]:
    """The (scope suffix, identity) a per-device limit counts against: the device identifier,
    or, when the client sends none, one shared "no device" bucket per client address, so that
    leaving out the cookie or header never escapes the limit. The two never share a key (a
    device identifier cannot name another address's bucket)."""
    device = device_id(request)
    if device:
        return "device", device
    return "device-none", client_address(request)


def intake_limited(request: HttpRequest, *, api_key: ApiKey | None = None) -> bool:
    """Apply the per-address, per-device and per-key limits to one submission attempt."""
    if api_key is not None:
        return limit_hit("key", str(api_key.pk), settings.REPORT_LIMIT_PER_KEY)
    hit = limit_hit("addr", client_address(request), settings.REPORT_LIMIT_PER_ADDRESS)
    scope, identity = device_bucket(request)
    return limit_hit(scope, identity, settings.REPORT_LIMIT_PER_DEVICE) or hit
