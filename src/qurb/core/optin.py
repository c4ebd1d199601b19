"""Double opt-in and one-click leave for subscriptions without an account (alerts, the
newsletter): each row has a ``token``, ``confirmed_at`` and ``active``."""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import Model, QuerySet
from django.utils import timezone

log = logging.getLogger(__name__)

CONFIRMATION_INTERVAL_SECONDS = 24 * 3600


def confirm[M: Model](rows: QuerySet[M], token: str) -> M | None:
    """Confirm the active subscription with ``token`` (the first confirmation stands);
    None if there is none."""
    rows.filter(token=token, active=True, confirmed_at__isnull=True).update(
        confirmed_at=timezone.now()
    )
    return rows.filter(token=token, active=True).first()


def leave[M: Model](rows: QuerySet[M], token: str) -> M | None:
    """Stop the subscription with ``token``; None if there is none."""
    rows.filter(token=token, active=True).update(active=False)
    return rows.filter(token=token).first()


def confirmation_due(email: str) -> bool:
    """True when a confirmation e-mail may go to ``email`` now: at most one a day per address
    (alerts and the newsletter share the allowance), so that subscribing someone else's
    address again and again does not flood their mailbox. Keyed by a keyed hash: the cache
    never holds the address. Fails open, with a warning, when the cache is down."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(),
        f"optin:{email.strip().lower()}".encode(),
        hashlib.sha256,
    ).hexdigest()[:32]
    try:
        return bool(cache.add(f"qurb:optin:{digest}", 1, timeout=CONFIRMATION_INTERVAL_SECONDS))
    except Exception:  # the cache is down: the confirmation still goes
        log.warning("cache unavailable: confirmation e-mail not limited", exc_info=True)
        return True


def already_sent(stamp: datetime | None, requested_at: str) -> bool:
    """Whether an e-mail asked for at ``requested_at`` (ISO 8601; empty: at any time) has
    been sent already: its task may run twice (a worker killed, a broker that timed out),
    the e-mail goes once."""
    if stamp is None:
        return False
    if not requested_at:
        return True
    try:
        asked = datetime.fromisoformat(requested_at)
    except ValueError:
        return True
    return stamp >= asked
