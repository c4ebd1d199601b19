"""Reads for alerts, with the access rule built in: a case is seen only by the officers and
chiefs of its area and by the validation unit of its prefecture."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from qurb.accounts.access import Capability
from qurb.alerts.models import AlertCase, CapMessage, CaseStatus, DeliveryState
from qurb.alerts.policy import cases_for
from qurb.areas.models import Area
from qurb.core.params import id_param


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
    """Distinct subscriptions reached by the case's messages, the alert's own and the
    neighbourhood ones (kept as a figure after purge; one copy per person and message, so a
    person counts twice only if reached by each kind for different messages)."""
    from qurb.alerts import residents
    from qurb.alerts.models import Delivery

    own = (
        Delivery.objects.filter(message__case=case, state=DeliveryState.SENT)
        .values("subscription_id")
        .distinct()
        .count()
    )
    return own + residents.reached(case)


def cases_to_validate(user: Any) -> QuerySet[AlertCase]:
    """Cases waiting for ``user``'s validation (``ALERT_VALIDATE`` over their area, never the
    cases they opened themselves), oldest first."""
    return (
        cases_for(user, Capability.ALERT_VALIDATE)
        .filter(status=CaseStatus.PENDING)
        .select_related("area")
        .order_by("opened_at")
    )


def cases_in_hand(user: Any, now: Any = None) -> QuerySet[AlertCase]:
    """The cases ``user`` follows (``ALERT_MANAGE`` over their area): waiting for validation
    or live, newest first."""
    moment = now or timezone.now()
    live = Q(status=CaseStatus.PUBLISHED) & (Q(expires_at__isnull=True) | Q(expires_at__gt=moment))
    return (
        cases_for(user, Capability.ALERT_MANAGE)
        .filter(live | Q(status=CaseStatus.PENDING))
        .select_related("area")
        .order_by("-opened_at")
    )


# --- what the alert pages read -------------------------------------------------------------


def subscription_districts() -> list[Area]:
    """The districts a subscription may follow (those reports are filed under), by name."""
    return list(
        Area.objects.filter(
            type__code=settings.REPORT_AREA_TYPE, boundaries__generation__active=True
        ).order_by("name_ar")
    )


def subscription_district(area_id: object) -> Area | None:
    """One of :func:`subscription_districts`, from a form or JSON value; None otherwise."""
    pk = id_param(area_id if isinstance(area_id, int | str) else None)
    if pk is None:
        return None
    return next((a for a in subscription_districts() if a.pk == pk), None)


@dataclass(frozen=True)
class StaffCases:
    pending: list[AlertCase]
    live: list[AlertCase]
    recent: list[AlertCase]


def staff_cases(user: Any, now: Any = None) -> StaffCases:
    """The cases ``user`` sees (alerts.policy): waiting for validation, live, and the last
    thirty that are no longer waiting."""
    cases = cases_for(user).select_related("area")
    return StaffCases(
        pending=list(cases.filter(status=CaseStatus.PENDING)),
        live=[c for c in cases.filter(status=CaseStatus.PUBLISHED) if is_live(c, now)],
        recent=list(cases.exclude(status=CaseStatus.PENDING).order_by("-opened_at")[:30]),
    )


def case_messages(case: AlertCase) -> list[CapMessage]:
    return list(case.messages.all())
