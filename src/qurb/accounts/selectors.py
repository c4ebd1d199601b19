"""Reads about accounts, with the permission check built into the fetch."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from qurb.accounts.models import (
    AREA_SCOPED_ROLES,
    OPERATIONAL_ROLES,
    STAFF_ROLES,
    Association,
    OfficerProfile,
    Role,
    RoleAssignment,
    User,
)
from qurb.areas.models import Area
from qurb.areas.selectors import area_and_ancestors


def user_roles(user: Any) -> set[str]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    cached: set[str] | None = getattr(user, "_qurb_roles", None)
    if cached is None:
        cached = set(RoleAssignment.objects.filter(user=user).values_list("role", flat=True))
        user._qurb_roles = cached
    return cached


def is_staff_member(user: Any) -> bool:
    return bool(user_roles(user) & STAFF_ROLES)


def descendants_of(area_ids: set[int]) -> set[int]:
    """The areas and everything below them (the hierarchy is a few levels deep)."""
    found = set(area_ids)
    frontier = set(area_ids)
    while frontier:
        frontier = (
            set(Area.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - found
        )
        found |= frontier
    return found


def staff_area_ids(user: Any) -> set[int] | None:
    """Area ids a staff user may work in; None means every area (national roles)."""
    roles = user_roles(user)
    if not roles & OPERATIONAL_ROLES:
        return set()
    if roles & (OPERATIONAL_ROLES - AREA_SCOPED_ROLES):
        return None
    scoped = set(
        RoleAssignment.objects.filter(user=user, role__in=AREA_SCOPED_ROLES)
        .exclude(area=None)
        .values_list("area_id", flat=True)
    )
    return descendants_of(scoped)


def require_role(actor: Any, area: Area | None, roles: frozenset[str]) -> None:
    """Refuse (PermissionDenied, shown as 404) unless ``actor`` holds one of ``roles`` over
    ``area``; ``area`` None means the whole force, which only national roles cover."""
    scope = staff_area_ids(actor)
    if not user_roles(actor) & roles:
        raise PermissionDenied
    if scope is not None and (area is None or area.pk not in scope):
        raise PermissionDenied


def scope_roots(area_ids: set[int]) -> QuerySet[Area]:
    """The outermost areas of a scope: those whose parent is not in it."""
    return Area.objects.filter(pk__in=area_ids).exclude(parent_id__in=area_ids)


def areas_visible_to(user: Any) -> QuerySet[Area]:
    scope = staff_area_ids(user)
    qs = Area.objects.select_related("type", "parent")
    return qs if scope is None else qs.filter(pk__in=scope)


def access_area(user: Any, area_id: int) -> Area:
    """The area if ``user`` may work in it; 404 otherwise, so that existence does not leak."""
    area = areas_visible_to(user).filter(pk=area_id).first()
    if area is None:
        raise Http404
    return area


def officers_serving(area: Area) -> list[OfficerProfile]:
    """Officers assigned to the area or to any area above it, nearest first."""
    depth = {a.pk: n for n, a in enumerate(area_and_ancestors(area))}
    assignments = RoleAssignment.objects.filter(
        area_id__in=depth,
        role__in=[Role.NEIGHBOURHOOD_OFFICER, Role.DISTRICT_CHIEF],
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


def users_with_role(role: str) -> QuerySet[User]:
    return User.objects.filter(roles__role=role).distinct()
