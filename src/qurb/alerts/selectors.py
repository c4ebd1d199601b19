"""Reads for alerts, with the access rule built in: a case is seen only by the officers and
chiefs of its area and by the validation unit of its prefecture."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from qurb.alerts.models import AlertCase, CapMessage, CaseStatus, DeliveryState


def is_live(case: AlertCase, now: Any = None) -> bool:
    """Published and not past its expiry: the public sees it (checked at every read, so the
    end takes effect at once even before the expiry job runs)."""
    moment = now or timezone.now()
    return case.status == CaseStatus.PUBLISHED and (
        case.expires_at is None or case.expires_at > moment
    )


def live_alerts(now: Any = None) -> QuerySet[AlertCase]:
    moment = now or timezone.now()
    return (
        AlertCase.objects.filter(status=CaseStatus.PUBLISHED)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=moment))
        .select_related("area")
        .order_by("-published_at")
    )


def public_case(public_id: str) -> AlertCase | None:
    """A case that was ever published (live or ended); None for anything else."""
    return (
        AlertCase.objects.filter(public_id=public_id, published_at__isnull=False)
        .select_related("area")
        .first()
    )


def latest_message(case: AlertCase) -> CapMessage | None:
    return case.messages.order_by("-sent", "-pk").first()


def reach(case: AlertCase) -> int:
    """Distinct subscribers reached by the case's messages (kept as a figure after purge)."""
    from qurb.alerts.models import Delivery

    return (
        Delivery.objects.filter(message__case=case, state=DeliveryState.SENT)
        .values("subscription_id")
        .distinct()
        .count()
    )
