"""Reads of the geography: point lookups, boundaries, the neighbourhood picker, place search."""

from __future__ import annotations

import csv
import functools
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, QuerySet
from shapely.geometry import shape

from qurb.areas.models import Area, AreaType, Boundary, Generation, Place, PlaceKind
from qurb.areas.search import DEFAULT_LIMIT, Entry, PlaceIndex
from qurb.areas.spatial import PointIndex
from qurb.core.text import pick_translation


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


# --- finding a place by its name (offline; see qurb.areas.search) -------------------------

ALIASES_FILE = Path(__file__).resolve().parent / "data" / "aliases.csv"


@functools.cache
def _aliases_by_code() -> dict[tuple[str, str], tuple[str, ...]]:
    """The spellings residents use, from ``data/aliases.csv``: {("area"|"place", code): …}."""
    found: dict[tuple[str, str], list[str]] = {}
    with ALIASES_FILE.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            alias = (row.get("alias") or "").strip()
            if alias:
                found.setdefault((row["of"].strip(), row["code"].strip()), []).append(alias)
    return {k: tuple(v) for k, v in found.items()}


@dataclass
class _SearchState:
    signature: tuple[Any, ...] | None = None
    checked_at: float = 0.0
    built_at: float = 0.0
    # The index and the area types' names (for the kind of each answer), swapped whole.
    snapshot: tuple[PlaceIndex, dict[str, dict[str, str]]] | None = None


_search_state = _SearchState()
_search_lock = threading.Lock()


def _search_signature() -> tuple[Any, ...]:
    """What the index is built from: the active generation, the areas' last change, the places."""
    generation_id = Generation.objects.filter(active=True).values_list("pk", flat=True).first()
    areas = Area.objects.aggregate(n=Count("pk"), changed=Max("updated_at"))
    places = Place.objects.aggregate(n=Count("pk"), last=Max("pk"))
    return (generation_id, areas["n"], areas["changed"], places["n"], places["last"])


def _build_place_index(generation_id: int | None) -> PlaceIndex:
    if generation_id is None:
        return PlaceIndex([])
    aliases = _aliases_by_code()
    entries: list[Entry] = []
    by_key: dict[str, tuple[str, ...]] = {}
    boundaries = Boundary.objects.filter(generation_id=generation_id).select_related(
        "area__type", "area__parent"
    )
    area_names: dict[int, dict[str, str]] = {}
    for boundary in boundaries.order_by("area__type__level", "area__code"):
        area = boundary.area
        point = shape(boundary.geometry).representative_point()
        key = f"area:{area.pk}"
        area_names[area.pk] = area.names()
        entries.append(
            Entry(
                key=key,
                kind=area.type.code,
                area_id=area.pk,
                lat=round(point.y, 6),
                lon=round(point.x, 6),
                names=area.names(),
                context=area.parent.names() if area.parent else {},
                level=area.type.level,
                is_demo=area.is_demo,
            )
        )
        by_key[key] = aliases.get(("area", area.code), ())
    places = Place.objects.filter(area_id__in=area_names).order_by("kind", "code")
    for place in places:
        if place.area_id is None:  # the filter excludes them; for the type checker
            continue
        key = f"place:{place.pk}"
        entries.append(
            Entry(
                key=key,
                kind=place.kind,
                area_id=place.area_id,
                lat=place.lat,
                lon=place.lon,
                names=place.names(),
                context=area_names[place.area_id],
                is_demo=place.is_demo,
            )
        )
        by_key[key] = aliases.get(("place", place.code), ())
    return PlaceIndex(entries, by_key)


def place_index() -> PlaceIndex:
    return _search_snapshot()[0]


def _search_snapshot() -> tuple[PlaceIndex, dict[str, dict[str, str]]]:
    """The index of the active generation's areas and their places, rebuilt when they change.

    Whether they changed is asked at most every AREAS_INDEX_RECHECK_SECONDS; ``place_upsert``
    and ``generation_activate`` also drop the index of their own process when they commit. A
    place renamed by another process leaves the signature as it was: the index is rebuilt
    anyway once it is PLACE_INDEX_MAX_AGE seconds old.
    """
    recheck = getattr(settings, "AREAS_INDEX_RECHECK_SECONDS", 5.0)
    now = time.monotonic()
    state = _search_state
    snapshot = state.snapshot
    if snapshot is not None and now - state.checked_at < recheck:
        return snapshot
    with _search_lock:
        signature = _search_signature()
        max_age = getattr(settings, "PLACE_INDEX_MAX_AGE", 3600.0)
        if state.snapshot is None or signature != state.signature or now - state.built_at > max_age:
            kinds = {t.code: t.names() for t in AreaType.objects.all()}
            state.snapshot = (_build_place_index(signature[0]), kinds)
            state.signature = signature
            state.built_at = now
        state.checked_at = now
        return state.snapshot


def forget_place_index() -> None:
    with _search_lock:
        _search_state.snapshot = None
        _search_state.signature = None


@dataclass(frozen=True)
class PlaceFound:
    """One answer of the place search, in the reader's language."""

    key: str  # "area:<id>" or "place:<id>"
    name: str
    kind: str  # the area type's code, or the place's kind
    kind_label: str
    context: str  # the area it lies in (a place) or belongs to (an area)
    area_id: int
    lat: float  # the place itself, or a point inside the area
    lon: float
    is_demo: bool
    matched: str  # the name or spelling that matched, as written


def place_search(
    query: str, *, limit: int = DEFAULT_LIMIT, language: str | None = None
) -> list[PlaceFound]:
    """Areas and places whose name (or a spelling residents use) matches ``query``, best
    first. No network: everything comes from the database and ``data/aliases.csv``."""
    index, kinds = _search_snapshot()
    out = []
    for hit in index.search(query, limit=limit):
        entry = hit.entry
        if entry.key.startswith("place:"):
            kind_label = str(PlaceKind(entry.kind).label)
        else:
            kind_label = pick_translation(kinds.get(entry.kind, {}), language) or entry.kind
        out.append(
            PlaceFound(
                key=entry.key,
                name=pick_translation(dict(entry.names), language),
                kind=entry.kind,
                kind_label=kind_label,
                context=pick_translation(dict(entry.context), language),
                area_id=entry.area_id,
                lat=entry.lat,
                lon=entry.lon,
                is_demo=entry.is_demo,
                matched=hit.matched,
            )
        )
    return out


def area_point(area_id: int) -> tuple[float, float] | None:
    """A point inside an area of the active generation, as (lat, lon); None for any other."""
    entry = place_index().entry(f"area:{area_id}")
    return (entry.lat, entry.lon) if entry is not None else None


def area_points(area_ids: Iterable[int]) -> dict[int, tuple[float, float]]:
    index = place_index()
    found = {}
    for area_id in area_ids:
        entry = index.entry(f"area:{area_id}")
        if entry is not None:
            found[area_id] = (entry.lat, entry.lon)
    return found


def area_children(area: Area) -> QuerySet[Area]:
    """The areas directly inside ``area``, in the active generation."""
    return areas_in_active_generation().filter(parent=area)


def areas_within(parents: Iterable[Area]) -> list[Area]:
    """The areas directly inside any of ``parents``, in the active generation, by name."""
    found = Area.objects.filter(parent__in=list(parents), boundaries__generation__active=True)
    return sorted(found, key=lambda a: a.name)


def active_geometries(area_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The GeoJSON geometry of each area of the active generation, by area id."""
    rows = Boundary.objects.filter(area_id__in=list(area_ids), generation__active=True)
    return dict(rows.values_list("area_id", "geometry"))


def outer_rings(areas: Iterable[Area]) -> list[list[list[float]]]:
    """The outer ring of every polygon of the areas' active boundaries (for outlines)."""
    rings: list[list[list[float]]] = []
    for geometry in active_geometries(a.pk for a in areas).values():
        polygons = (
            geometry["coordinates"]
            if geometry["type"] == "MultiPolygon"
            else [geometry["coordinates"]]
        )
        rings += [polygon[0] for polygon in polygons]
    return rings
