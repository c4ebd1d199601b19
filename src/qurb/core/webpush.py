"""Web Push (RFC 8030) with VAPID (RFC 8292) and aes128gcm payload encryption (RFC 8291),
shared by the apps that notify browsers (missing-child alerts, neighbourhood messages).

Encryption is pywebpush's; VAPID signatures are py-vapid's. A signature is made once per push
service (audience) and reused until shortly before it expires, so that each message costs one
encryption and one HTTP request.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import urllib3
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from py_vapid import Vapid02
from py_vapid.utils import b64urlencode
from pywebpush import WebPusher

_lock = threading.Lock()
_signatures: dict[str, tuple[float, str]] = {}
VAPID_LIFETIME = 12 * 3600  # seconds; push services refuse more than 24 h


def _key_file() -> Path:
    return Path(settings.DATA_DIR) / "vapid_private.pem"


def _private_pem() -> bytes:
    """The server's VAPID key (PEM): QURB_VAPID_PRIVATE_KEY, or for the embedded demo a key
    kept in DATA_DIR, made on first use."""
    pem: str = settings.ALERT_VAPID_PRIVATE_KEY
    if pem:
        return pem.encode()
    path = _key_file()
    with _lock:
        if not path.exists():
            key = Vapid02()
            key.generate_keys()
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(key.private_pem())
            path.chmod(0o600)
    return path.read_bytes()


def vapid() -> Vapid02:
    """The server's VAPID key (see ``_private_pem``)."""
    return Vapid02.from_pem(_private_pem())


@lru_cache(maxsize=4)
def _public_key(pem: bytes) -> str:
    raw = Vapid02.from_pem(pem).public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return str(b64urlencode(raw))


def application_server_key() -> str:
    """The public key browsers pass to PushManager.subscribe (uncompressed point, base64url),
    derived once per key (every neighbourhood page carries it)."""
    return _public_key(_private_pem())


def authorization(endpoint: str, key: Vapid02 | None = None) -> str:
    """The VAPID Authorization header for the push service of ``endpoint`` (cached)."""
    parts = urlsplit(endpoint)
    audience = f"{parts.scheme}://{parts.netloc}"
    now = time.time()
    cached = _signatures.get(audience)
    if cached and cached[0] > now + 600:
        return cached[1]
    expires = int(now) + VAPID_LIFETIME
    claims = {"sub": settings.ALERT_VAPID_SUBJECT, "aud": audience, "exp": expires}
    header = str((key or vapid()).sign(claims)["Authorization"])
    _signatures[audience] = (float(expires), header)
    return header


@dataclass(frozen=True)
class PushRequest:
    endpoint: str
    body: bytes
    headers: dict[str, str]


def push_request(
    *, endpoint: str, p256dh: str, auth: str, payload: bytes, topic: str, ttl: int, key: Vapid02
) -> PushRequest:
    """One encrypted push message. ``topic`` lets the push service replace an undelivered
    message with the same topic rather than show it twice."""
    encoded = WebPusher({"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}}).encode(
        payload, content_encoding="aes128gcm"
    )
    return PushRequest(
        endpoint,
        encoded["body"],
        {
            "Authorization": authorization(endpoint, key),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(ttl),
            "Urgency": "high",
            "Topic": topic,
        },
    )


def endpoint_allowed(endpoint: str) -> bool:
    """Only the known push services are contacted (never an arbitrary or internal address):
    HTTPS to a host in QURB_ALERT_PUSH_HOSTS, or plain HTTP to a loopback host listed there."""
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    if not host or len(endpoint) > 1000:
        return False
    listed = any(
        host == entry or (entry.startswith(".") and host.endswith(entry))
        for entry in (e.lower() for e in settings.ALERT_PUSH_HOSTS)
    )
    if not listed:
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and host in {"127.0.0.1", "localhost", "::1"}


@lru_cache(maxsize=1)
def _http() -> urllib3.PoolManager:
    timeout = urllib3.Timeout(total=settings.ALERT_PUSH_TIMEOUT)
    return urllib3.PoolManager(num_pools=16, maxsize=4, timeout=timeout, retries=False)


def send(request: PushRequest) -> tuple[str, str]:
    """Post one push message: ('sent' | 'gone' | 'retry' | 'failed', why). The status line
    and headers are awaited (each read bounded by ``ALERT_PUSH_TIMEOUT``); the body, which a
    push service leaves empty or short, only until that deadline."""
    deadline = time.monotonic() + settings.ALERT_PUSH_TIMEOUT
    try:
        answer = _http().request(
            "POST",
            request.endpoint,
            body=request.body,
            headers=request.headers,
            preload_content=False,
        )
    except urllib3.exceptions.HTTPError as exc:
        return "retry", type(exc).__name__
    status = answer.status
    _drain(answer, deadline)
    if status in (200, 201, 202):
        return "sent", ""
    if status in (404, 410):
        return "gone", ""
    if status == 429 or status >= 500:
        return "retry", f"HTTP {status}"
    return "failed", f"HTTP {status}"


def _drain(answer: Any, deadline: float) -> None:
    """Read what is left of an answer so its connection can be reused, unless that takes
    past ``deadline`` or more than a few kilobytes: then the connection is closed."""
    try:
        for _ in range(8):
            if time.monotonic() > deadline:
                break
            if not answer.read(1024, decode_content=False):
                answer.release_conn()
                return
    except urllib3.exceptions.HTTPError:
        pass
    answer.close()
