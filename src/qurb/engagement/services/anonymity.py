"""Anonymous answers: a keyed hash of the person, so that each answers once without being
known (surveys, priority ratings)."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def keyed_hash(scope: str, identity: str) -> str:
    """A keyed hash of the person (account or device) within ``scope``: enough to answer
    once, no more."""
    return hmac.new(
        settings.SECRET_KEY.encode(), f"{scope}:{identity}".encode(), hashlib.sha256
    ).hexdigest()
