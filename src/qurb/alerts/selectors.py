"""Reads for alerts, with the access rule built in: a case is seen only by the officers and
chiefs of its area and by the validation unit of its prefecture."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from qurb.accounts.models import Role, RoleAssignment
from qurb.accounts.selectors import descendants_of, user_roles
from qurb.alerts.models import AlertCase, CapMessage, CaseStatus, DeliveryState
from qurb.areas.selectors import area_and_ancestors

AREA_ROLES = frozenset({Role.NEIGHBOURHOOD_OFFICER, Role.DISTRICT_CHIEF})


def _scoped(user: Any, roles: set[str]) -> set[int]:
    """Areas (and everything below them) where ``user`` holds one of ``roles``."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    return descendants_of(
        set(
            RoleAssignment.objects.filter(user=user, role__in=roles)
            .exclude(area=None)
            .values_list("area_id", flat=True)
        )
    )


def officer_area_ids(user: Any) -> set[int]:
    return _scoped(user, set(AREA_ROLES)) if user_roles(user) & AREA_ROLES else set()


def validator_area_ids(user: Any) -> set[int]:
    return (
        _scoped(user, {Role.ALERT_VALIDATOR}) if Role.ALERT_VALIDATOR in user_roles(user) else set()
    )


def visible_cases(user: Any) -> QuerySet[AlertCase]:
    areas = officer_area_ids(user) | validator_area_ids(user)
    return AlertCase.objects.filter(area_id__in=areas).select_related("area")


def case_for_staff(user: Any, case_id: int) -> AlertCase:
    case = visible_cases(user).filter(pk=case_id).first()
    if case is None:
        raise Http404
    return case


def may_validate(user: Any, case: AlertCase) -> bool:
    """A member of the unit of an area above (or at) the case's area, never its opener."""
    if case.opened_by_id == getattr(user, "pk", None):
        return False
    ancestors = {a.pk for a in area_and_ancestors(case.area)}
    return bool(
        Role.ALERT_VALIDATOR in user_roles(user)
        and RoleAssignment.objects.filter(
            user=user, role=Role.ALERT_VALIDATOR, area_id__in=ancestors
        ).exists()
    )


def may_manage(user: Any, case: AlertCase) -> bool:
    """Officers and chiefs of the case's area update and close it."""
    return case.area_id in officer_area_ids(user)


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
