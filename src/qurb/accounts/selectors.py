"""Reads about accounts, with the permission check built into the fetch."""

from __future__ import annotations

from django.db.models import QuerySet

from qurb.accounts.access import Actor, Capability, grant, roles_with
from qurb.accounts.models import Association, OfficerProfile, RoleAssignment
from qurb.areas.models import Area
from qurb.areas.selectors import area_and_ancestors, descendants_of
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
