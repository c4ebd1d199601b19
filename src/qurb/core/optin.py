"""Double opt-in and one-click leave for subscriptions without an account (alerts, the
newsletter): each row has a ``token``, ``confirmed_at`` and ``active``."""

from __future__ import annotations

from django.db.models import Model, QuerySet
from django.utils import timezone


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
