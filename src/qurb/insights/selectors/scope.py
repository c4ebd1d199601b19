"""Who sees what: the districts whose insights a user may read."""

from __future__ import annotations

from django.conf import settings

from qurb.accounts.access import Actor, Capability, grant
from qurb.areas.models import Area


def districts_for(user: Actor) -> list[Area]:
    """Districts whose insights ``user`` may read: those wholly inside their grant."""
    g = grant(user, Capability.INSIGHTS_READ)
    if not g:
        return []
    return active_districts(g.areas())


def active_districts(within: set[int] | None = None) -> list[Area]:
    """The districts of the active boundaries (those in ``within`` when given), by
    prefecture then name."""
    qs = Area.objects.filter(
        type__code=settings.REPORT_AREA_TYPE, boundaries__generation__active=True
    ).select_related("parent", "type")
    if within is not None:
        qs = qs.filter(pk__in=within)
    return sorted(qs, key=lambda a: (a.parent.name if a.parent else "", a.name))


def groups_for(user: Actor) -> list[tuple[Area, list[Area]]]:
    """The user's districts grouped under their prefecture (for a per-prefecture view)."""
    groups: dict[int, tuple[Area, list[Area]]] = {}
    for district in districts_for(user):
        parent = district.parent or district
        groups.setdefault(parent.pk, (parent, []))[1].append(district)
    return list(groups.values())
