"""Web Push (RFC 8030) with VAPID (RFC 8292) and aes128gcm payload encryption (RFC 8291).

Encryption is pywebpush's; VAPID signatures are py-vapid's. A signature is made once per push
service (audience) and reused until shortly before it expires, so that each message costs one
encryption and one HTTP request.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

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


def vapid() -> Vapid02:
    """The server's VAPID key: from QURB_VAPID_PRIVATE_KEY (PEM), or for the embedded demo a
    key kept in DATA_DIR, made on first use."""
    pem: str = settings.ALERT_VAPID_PRIVATE_KEY
    if pem:
        return Vapid02.from_pem(pem.encode())
    path = _key_file()
    with _lock:
        if not path.exists():
            key = Vapid02()
            key.generate_keys()
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(key.private_pem())
            path.chmod(0o600)
    return Vapid02.from_pem(path.read_bytes())


def application_server_key() -> str:
    """The public key browsers pass to PushManager.subscribe (uncompressed point, base64url)."""
    raw = vapid().public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return str(b64urlencode(raw))


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
