"""The cache as a cache: when Redis is down or hangs, pages and reports go on without it.

``ForgivingRedisCache`` is Django's Redis cache whose every call gives up quickly (short socket
timeouts, set in ``CACHES``) and, on a Redis error, logs a warning and answers as an empty
cache would: a read misses, a write is skipped, ``add`` says it stored (so that a check made
"once" through the cache lets the request through rather than refusing everyone).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger("qurb.cache")


def _forgiving[T](call: Callable[[], T], fallback: T, what: str) -> T:
    try:
        return call()
    except RedisError as exc:
        logger.warning("cache unavailable (%s): %s; going on without it", what, exc)
        return fallback


class ForgivingRedisCache(RedisCache):
    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return _forgiving(
            lambda: super(ForgivingRedisCache, self).get(key, default, version), default, "get"
        )

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        return _forgiving(
            lambda: super(ForgivingRedisCache, self).get_many(keys, version), {}, "get_many"
        )

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return _forgiving(
            lambda: super(ForgivingRedisCache, self).has_key(key, version), False, "has_key"
        )

    def set(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> None:
        _forgiving(
            lambda: super(ForgivingRedisCache, self).set(key, value, timeout, version), None, "set"
        )

    def set_many(self, data: Any, timeout: Any = None, version: int | None = None) -> list[Any]:
        return _forgiving(
            lambda: super(ForgivingRedisCache, self).set_many(data, timeout, version),
            [],
            "set_many",
        )

    def add(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> bool:
        return _forgiving(
            lambda: super(ForgivingRedisCache, self).add(key, value, timeout, version), True, "add"
        )

    def delete(self, key: Any, version: int | None = None) -> bool:
        return _forgiving(
            lambda: super(ForgivingRedisCache, self).delete(key, version), False, "delete"
        )

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        _forgiving(
            lambda: super(ForgivingRedisCache, self).delete_many(keys, version), None, "delete_many"
        )

    def touch(self, key: Any, timeout: Any = None, version: int | None = None) -> bool:
        return _forgiving(
            lambda: super(ForgivingRedisCache, self).touch(key, timeout, version), False, "touch"
        )
