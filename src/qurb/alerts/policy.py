"""Who may see and do what with missing-child alerts.

A case belongs to its area. ``ALERT_MANAGE`` (officers and chiefs of the area) opens, updates
and ends it; ``ALERT_VALIDATE`` (the validation unit of a prefecture above it) approves or
refuses it, never the person who opened it. A case is seen by whoever holds either over its
area. Each rule is one filter on ``area_id``, used as a queryset and as an instance check.
"""

from __future__ import annotations

from django.db.models import QuerySet

from qurb.accounts.access import Actor, Capability, grant
from qurb.alerts.models import AlertCase
from qurb.core.errors import NotFound, Refused

CASE_CAPABILITIES = (Capability.ALERT_MANAGE, Capability.ALERT_VALIDATE)


def cases_for(user: Actor, capability: Capability | None = None) -> QuerySet[AlertCase]:
    """The cases on which ``user`` may do ``capability`` (None: see, by either)."""
    caps = CASE_CAPABILITIES if capability is None else (capability,)
    condition = grant(user, caps[0]).q("area_id")
    for cap in caps[1:]:
        condition |= grant(user, cap).q("area_id")
    qs = AlertCase.objects.filter(condition)
    if capability == Capability.ALERT_VALIDATE and getattr(user, "pk", None):
        qs = qs.exclude(opened_by_id=user.pk)  # type: ignore[union-attr]
    return qs


def may(user: Actor, capability: Capability | None, case: AlertCase) -> bool:
    caps = CASE_CAPABILITIES if capability is None else (capability,)
    if not any(grant(user, cap).covers(case.area_id) for cap in caps):
        return False
    return not (
        capability == Capability.ALERT_VALIDATE
        and case.opened_by_id is not None
        and case.opened_by_id == getattr(user, "pk", None)
    )


def require(user: Actor, capability: Capability, case: AlertCase) -> None:
    if not may(user, capability, case):
        own = capability == Capability.ALERT_VALIDATE and case.opened_by_id == getattr(
            user, "pk", None
        )
        raise Refused("own_case" if own else "out_of_scope")


def access_case(user: Actor, case_id: int) -> AlertCase:
    """The case if ``user`` may see it; NotFound (404) otherwise."""
    case = cases_for(user).select_related("area").filter(pk=case_id).first()
    if case is None:
        raise NotFound
    return case
