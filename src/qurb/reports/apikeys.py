"""Partner API keys: stored as SHA-256 digests, recognised with a short per-process memory."""

from __future__ import annotations

import hashlib
import time

from django.conf import settings

from qurb.reports.models import ApiKey


def api_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


_KEYS: dict[str, tuple[float, ApiKey | None]] = {}


def api_key_authenticate(key: str | None) -> ApiKey | None:
    """The active partner key, or None. Remembered in this process for
    QURB_API_KEY_CACHE_SECONDS (default 30), so a revoked key stops working within that time
    in every process (at once in the one that revoked it)."""
    if not key or len(key) > 200:
        return None
    digest = api_key_hash(key)
    now = time.monotonic()
    cached = _KEYS.get(digest)
    if cached is not None and cached[0] > now:
        return cached[1]
    found = ApiKey.objects.filter(key_hash=digest, is_active=True).first()
    if len(_KEYS) > 10_000:
        _KEYS.clear()
    _KEYS[digest] = (now + settings.API_KEY_CACHE_SECONDS, found)
    return found


def api_key_forget(key_hash: str) -> None:
    _KEYS.pop(key_hash, None)
