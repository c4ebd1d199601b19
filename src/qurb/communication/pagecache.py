"""A two-tier cache for pages that crowds read: Redis (shared by the workers, dropped at once
when the page changes) with a few seconds in each worker's memory in front, so that most
requests cost no network round trip. A change reaches every worker within LOCAL_SECONDS."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

SHARED_SECONDS = 60
LOCAL_SECONDS = 5
_local: dict[str, tuple[float, tuple[bytes, str]]] = {}


def programme_key(slug: str, language: str) -> str:
    return f"programme:{slug}:{language}"


def get(key: str) -> tuple[bytes, str] | None:
    now = time.monotonic()
    hit = _local.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    shared: tuple[bytes, str] | None = cache.get(key)
    if shared is not None:
        _local[key] = (now + LOCAL_SECONDS, shared)
    return shared


def put(key: str, value: tuple[bytes, str]) -> None:
    cache.set(key, value, SHARED_SECONDS)
    _local[key] = (time.monotonic() + LOCAL_SECONDS, value)


def drop_programme(slug: str) -> None:
    keys = [programme_key(slug, code) for code, _name in settings.LANGUAGES]
    cache.delete_many(keys)
    for key in keys:
        _local.pop(key, None)
