"""Who may see and do what with accounts and associations.

Associations belong to an area: ``ASSOCIATION_VERIFY`` over it lets a communication cell (or
an administrator) read the application and its documents and decide on it. An association's
members are managed by its lead, or by its verifiers. Accounts and roles are managed by
``ACCOUNT_MANAGE`` (administrators), over the whole force only.
"""

from __future__ import annotations

from django.db.models import QuerySet

from qurb.accounts.access import Actor, Capability, grant
from qurb.accounts.models import Association
from qurb.core.errors import NotFound, Refused


def associations_for(
    user: Actor, capability: Capability = Capability.ASSOCIATION_VERIFY
) -> QuerySet[Association]:
    return Association.objects.filter(grant(user, capability).q("area_id"))


def may(user: Actor, capability: Capability, association: Association) -> bool:
    return grant(user, capability).covers(association.area_id)


def require(user: Actor, capability: Capability, association: Association) -> None:
    if not may(user, capability, association):
        raise Refused("out_of_scope")


def access_association(
    user: Actor, association_id: int, capability: Capability = Capability.ASSOCIATION_VERIFY
) -> Association:
    found = (
        associations_for(user, capability).select_related("area").filter(pk=association_id).first()
    )
    if found is None:
        raise NotFound
    return found


def is_lead_of(user: Actor, association: Association) -> bool:
    return bool(
        getattr(user, "is_active", False)
        and getattr(user, "association_id", None) == association.pk
        and getattr(user, "association_lead", False)
    )


def require_member_manager(user: Actor, association: Association) -> None:
    """The association's lead, or someone who verifies associations of its area."""
    if is_lead_of(user, association):
        return
    if not may(user, Capability.ASSOCIATION_VERIFY, association):
        raise Refused("not_lead")


def require_account_manager(user: Actor) -> None:
    """Accounts and roles: an administrator over the whole force. ``None`` is the system
    itself (the command line, the demo loader), which the operator runs."""
    if user is None:
        return
    if not grant(user, Capability.ACCOUNT_MANAGE).everywhere:
        raise Refused("out_of_scope")
