"""Reads about accounts, with the permission check built into the fetch."""

from __future__ import annotations

from django.db.models import QuerySet

from qurb.accounts.access import Actor, Capability, Grant, grant, roles_with
from qurb.accounts.models import (
    Association,
    AssociationStatus,
    OfficerProfile,
    RoleAssignment,
    User,
)
from qurb.areas.models import Area
from qurb.areas.selectors import area_and_ancestors, areas_in_active_generation, descendants_of
from qurb.core.errors import NotFound

__all__ = ["descendants_of"]


def scope_roots(area_ids: set[int]) -> QuerySet[Area]:
    """The outermost areas of a scope: those whose parent is not in it."""
    return Area.objects.filter(pk__in=area_ids).exclude(parent_id__in=area_ids)


def areas_for(user: Actor, capability: Capability) -> QuerySet[Area]:
    """The areas where ``user`` holds ``capability``."""
    g = grant(user, capability)
    return Area.objects.select_related("type", "parent").filter(g.q("pk"))


def access_area(user: Actor, area_id: int, capability: Capability) -> Area:
    """The area if ``user`` holds ``capability`` over it; NotFound (404) otherwise, so that
    existence does not leak."""
    area = areas_for(user, capability).filter(pk=area_id).first()
    if area is None:
        raise NotFound
    return area


def officers_serving(area: Area) -> list[OfficerProfile]:
    """Officers assigned to the area or to any area above it, nearest first."""
    depth = {a.pk: n for n, a in enumerate(area_and_ancestors(area))}
    assignments = RoleAssignment.objects.filter(
        area_id__in=depth,
        role__in=roles_with(Capability.NEIGHBOURHOOD_SERVE),
        user__is_active=True,
        user__officer_profile__isnull=False,
    ).select_related("user__officer_profile")
    best: dict[int, tuple[int, OfficerProfile]] = {}
    for a in assignments:
        profile = a.user.officer_profile
        d = depth[a.area_id]  # type: ignore[index]
        if profile.pk not in best or d < best[profile.pk][0]:
            best[profile.pk] = (d, profile)
    ordered = sorted(best.values(), key=lambda pair: (pair[0], str(pair[1].user)))
    return [profile for _, profile in ordered]


def associations_in(area_ids: set[int] | None) -> QuerySet[Association]:
    qs = Association.objects.select_related("area")
    return qs if area_ids is None else qs.filter(area_id__in=area_ids)


def grant_area_names(g: Grant) -> list[str]:
    """The names of the areas a grant was given over (its outermost areas); empty for a grant
    over the whole force."""
    if g.everywhere:
        return []
    return [a.name for a in Area.objects.filter(pk__in=g.roots).order_by("code")]


def overview_areas(user: Actor, *, limit: int = 50) -> list[Area]:
    """The areas whose staff overview ``user`` opens: those named by their assignments, or
    the top-level areas for a grant over the whole force."""
    g = grant(user, Capability.AREA_OVERVIEW)
    if not g:
        return []
    if g.everywhere:
        qs = areas_in_active_generation().filter(parent__isnull=True).distinct()
    else:
        qs = Area.objects.select_related("type").filter(pk__in=g.roots)
    return list(qs.order_by("code")[:limit])


def associations_to_verify(user: Actor) -> QuerySet[Association]:
    """Applications waiting for ``user``'s decision (``ASSOCIATION_VERIFY`` over their area),
    oldest first."""
    return (
        Association.objects.filter(grant(user, Capability.ASSOCIATION_VERIFY).q("area_id"))
        .filter(status=AssociationStatus.PENDING)
        .select_related("area")
        .order_by("pk")
    )


def applications_to_verify(user: Actor) -> QuerySet[Association]:
    """``associations_to_verify`` with the documents sent, for the verification page."""
    return associations_to_verify(user).prefetch_related("documents")


def association_public(association_id: int) -> Association | None:
    """An association by its number (its feed is public: what it shows is checked there)."""
    return Association.objects.select_related("area").filter(pk=association_id).first()


def association_members(association: Association) -> QuerySet[User]:
    """The association's active member accounts, by name."""
    return association.members.filter(is_active=True).order_by("display_name")


def association_member(association: Association, user_id: int) -> User | None:
    """One member account of the association (active or not), or None."""
    return association.members.filter(pk=user_id).first()


def active_member(association: Association, user_id: int) -> User | None:
    """An active member of the association, or None (the member named by a feed key)."""
    return (
        User.objects.select_related("association")
        .filter(pk=user_id, is_active=True, association=association)
        .first()
    )


def association_areas(association: Association) -> QuerySet[Area]:
    """The areas an association may send proposals for: its own and those within it."""
    return areas_in_active_generation().filter(pk__in=descendants_of({association.area_id}))


def invitable_associations(area: Area) -> QuerySet[Association]:
    """The associations a meeting of ``area`` may invite: the verified ones of the area and
    the areas within it, by name."""
    return (
        Association.objects.select_related("area")
        .filter(status=AssociationStatus.VERIFIED, area_id__in=descendants_of({area.pk}))
        .order_by("name_fr", "name_ar", "pk")
    )


def association_lead_missing(association: Association) -> bool:
    """A verified association without an active lead (its contact e-mail belonged to an
    account that is never handed to an association, or it gave none)."""
    return (
        association.status == AssociationStatus.VERIFIED
        and not association.members.filter(association_lead=True, is_active=True).exists()
    )
