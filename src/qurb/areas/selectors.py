"""Reads of the geography: point lookups, boundaries, the neighbourhood picker."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from shapely.geometry import shape

from qurb.areas.models import Area, Boundary, Generation, Place
from qurb.areas.spatial import PointIndex


@dataclass
class _IndexState:
    generation_id: int | None = None
    checked_at: float = 0.0
    # The index and the indexed areas (with types and parents), read once per active
    # generation, so a lookup returns Area rows without a query. One attribute, swapped whole.
    snapshot: tuple[PointIndex, dict[int, Area]] | None = None


_state = _IndexState()
_lock = threading.Lock()


def active_generation() -> Generation | None:
    return Generation.objects.filter(active=True).first()


def pending_generation() -> Generation | None:
    """The newest generation being prepared (never activated), if any."""
    return (
        Generation.objects.filter(active=False, activated_at__isnull=True).order_by("-id").first()
    )


def _build_index(generation_id: int | None) -> tuple[PointIndex, dict[int, Area]]:
    if generation_id is None:
        return PointIndex([]), {}
    rows = list(
        Boundary.objects.filter(generation_id=generation_id)
        .order_by("area__type__level", "area__code")
        .values_list("area_id", "geometry")
    )
    index = PointIndex([(area_id, shape(geometry)) for area_id, geometry in rows])
    areas = Area.objects.select_related("type", "parent").in_bulk([area_id for area_id, _ in rows])
    return index, areas


def point_index() -> PointIndex:
    return _snapshot()[0]


def _snapshot() -> tuple[PointIndex, dict[int, Area]]:
    """The index of the active generation, rebuilt when another generation becomes active.

    The active generation is re-read at most every AREAS_INDEX_RECHECK_SECONDS, so a
    lookup costs no query on most requests.
    """
    recheck = getattr(settings, "AREAS_INDEX_RECHECK_SECONDS", 5.0)
    now = time.monotonic()
    state = _state
    snapshot = state.snapshot
    if snapshot is not None and now - state.checked_at < recheck:
        return snapshot
    with _lock:
        generation_id = Generation.objects.filter(active=True).values_list("pk", flat=True).first()
        if state.snapshot is None or generation_id != state.generation_id:
            state.snapshot = _build_index(generation_id)
            state.generation_id = generation_id
        state.checked_at = now
        return state.snapshot


def forget_point_index() -> None:
    with _lock:
        _state.snapshot = None
        _state.generation_id = None


def area_ids_at(*, lat: float, lon: float) -> list[int]:
    return [int(k) for k in point_index().lookup(lon, lat)]  # type: ignore[call-overload]


def areas_at(*, lat: float, lon: float) -> list[Area]:
    """Every area containing the point, outermost first (holes respected).

    The rows (with type and parent) come from the index's snapshot of the active generation;
    treat them as read-only.
    """
    index, found = _snapshot()
    ids = [int(k) for k in index.lookup(lon, lat)]  # type: ignore[call-overload]
    return [found[i] for i in ids if i in found]


def areas_in_active_generation() -> QuerySet[Area]:
    return Area.objects.filter(boundaries__generation__active=True).select_related("type", "parent")


def area_public(area_id: int) -> Area | None:
    """An area residents may see: one with a boundary in the active generation."""
    return areas_in_active_generation().filter(pk=area_id).first()


def area_boundary(area: Area) -> dict[str, Any] | None:
    boundary = Boundary.objects.filter(area=area, generation__active=True).first()
    if boundary is None:
        return None
    return {
        "type": "Feature",
        "id": area.code,
        "properties": area_properties(area),
        "geometry": boundary.geometry,
        "bbox": [boundary.min_lon, boundary.min_lat, boundary.max_lon, boundary.max_lat],
    }


def area_properties(area: Area) -> dict[str, Any]:
    return {
        "id": area.pk,
        "code": area.code,
        "type": area.type.code,
        "name": area.name,
        "names": area.names(),
        "parent": area.parent.code if area.parent else None,
        "demo": area.is_demo,
        "source": area.source,
    }


def descendants_of(area_ids: Iterable[int]) -> set[int]:
    """The areas and everything below them (the hierarchy is a few levels deep)."""
    found = set(area_ids)
    frontier = set(found)
    while frontier:
        frontier = (
            set(Area.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - found
        )
        found |= frontier
    return found


def area_and_ancestors(area: Area) -> list[Area]:
    """The area, then its parent, and so on up (the hierarchy is a few levels deep)."""
    chain: list[Area] = []
    current: Area | None = area
    while current is not None and len(chain) < 10:
        chain.append(current)
        current = current.parent
    return chain


def area_ancestors(area: Area) -> list[Area]:
    """The area's parents, outermost first."""
    return list(reversed(area_and_ancestors(area)[1:]))


def leaf_type_level() -> int | None:
    levels = areas_in_active_generation().values_list("type__level", flat=True).distinct()
    return max(levels, default=None)


def leaf_boundaries() -> QuerySet[Boundary]:
    """Boundaries of the finest level of areas in the active generation, with their areas."""
    level = leaf_type_level()
    if level is None:
        return Boundary.objects.none()
    return Boundary.objects.filter(generation__active=True, area__type__level=level).select_related(
        "area__type", "area__parent"
    )


def neighbourhood_choices() -> list[tuple[Area, list[Area]]]:
    """Areas at the finest level, grouped by their parent, for a pick-from-a-list control."""
    level = leaf_type_level()
    if level is None:
        return []
    leaves = list(
        areas_in_active_generation().filter(type__level=level).select_related("parent__type")
    )
    groups: dict[int | None, list[Area]] = {}
    parents: dict[int | None, Area | None] = {}
    for leaf in leaves:
        groups.setdefault(leaf.parent_id, []).append(leaf)
        parents[leaf.parent_id] = leaf.parent
    out = []
    for parent_id, items in groups.items():
        parent = parents[parent_id]
        out.append(
            (parent if parent is not None else items[0], sorted(items, key=lambda a: a.name))
        )
    out.sort(key=lambda pair: pair[0].name)
    return out


def places_in(area: Area, kind: str | None = None) -> QuerySet[Place]:
    qs = Place.objects.filter(area__in=[area, *area.children.all()])
    return qs.filter(kind=kind) if kind else qs
