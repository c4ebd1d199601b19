"""Writes to the geography: boundary loads, generation activation, places."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import shapely
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from qurb.areas.formats import BoundaryFile
from qurb.areas.models import Area, AreaType, Boundary, Generation, Place, PlaceKind
from qurb.areas.selectors import (
    active_generation,
    forget_place_index,
    forget_point_index,
    pending_generation,
)
from qurb.areas.validation import (
    OUTSIDE_PARENT_TOLERANCE,
    feature_geometry,
    names_from,
    outside_share,
    overlaps,
    square_degrees_to_km2,
)
from qurb.audit.actions import AuditAction
from qurb.audit.services import audit_record, audited

Progress = Callable[[int, int], None]


@dataclass
class LoadReport:
    """What a load did, or would do in a dry run."""

    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    committed: bool = False
    generation: int | None = None
    activated: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Planned:
    code: str
    type: AreaType
    parent_code: str | None
    names: dict[str, str]
    geometry: BaseGeometry
    label: str


def area_type_ensure(*, code: str, level: int, names: dict[str, str]) -> AreaType:
    area_type, _created = AreaType.objects.update_or_create(
        code=code,
        defaults={
            "level": level,
            "name_ar": names["ar"],
            "name_fr": names["fr"],
            "name_en": names["en"],
        },
    )
    return area_type


def working_generation() -> Generation | None:
    """The generation loads go into: the pending one if any, else the active one."""
    return pending_generation() or active_generation()


def _geometry_json(geom: BaseGeometry) -> dict[str, Any]:
    # RFC 7946 winding: exterior rings counter-clockwise, holes clockwise.
    oriented = shapely.orient_polygons(geom, exterior_cw=False)
    return dict(mapping(oriented))


def areas_load(
    *,
    boundary_file: BoundaryFile,
    area_type: str | None = None,
    parent_code: str | None = None,
    code_property: str = "code",
    commit: bool = False,
    activate: bool = False,
    is_demo: bool = False,
    source: str = "",
    description: str = "",
    actor: AbstractBaseUser | None = None,
    progress: Progress | None = None,
) -> LoadReport:
    """Validate every feature, then (only if all are valid and ``commit``) write them.

    Nothing is written when any feature is rejected: the report lists every problem found.
    """
    report = LoadReport()
    types = {t.code: t for t in AreaType.objects.all()}
    base = working_generation()
    total = len(boundary_file.features)
    planned: dict[str, _Planned] = {}
    for done, feature in enumerate(boundary_file.features, start=1):
        if progress:
            progress(done, total)
        raw_code = feature.properties.get(code_property)
        code = str(raw_code).strip() if raw_code not in (None, "") else ""
        if not code:
            report.errors.append(
                _("%(feature)s has no '%(prop)s' property.")
                % {"feature": feature.label, "prop": code_property}
            )
            continue
        if code in planned:
            report.errors.append(
                _("%(feature)s repeats code %(code)s.") % {"feature": feature.label, "code": code}
            )
            continue
        type_code = str(feature.properties.get("type") or area_type or "")
        if type_code not in types:
            report.errors.append(
                _("%(feature)s: unknown area type '%(type)s' (known: %(known)s).")
                % {
                    "feature": feature.label,
                    "type": type_code,
                    "known": ", ".join(sorted(types)) or "-",
                }
            )
            continue
        geom, error = feature_geometry(feature, settings.AREAS_EXTENT)
        if error:
            report.errors.append(error)
            continue
        assert geom is not None  # noqa: S101 - feature_geometry returns one or the other
        parent_of = feature.properties.get("parent") or parent_code
        planned[code] = _Planned(
            code=code,
            type=types[type_code],
            parent_code=str(parent_of) if parent_of else None,
            names=names_from(feature.properties),
            geometry=geom,
            label=feature.label,
        )

    existing = {
        a.code: a
        for a in Area.objects.select_related("type", "parent").filter(
            code__in=set(planned) | {p.parent_code for p in planned.values() if p.parent_code}
        )
    }
    base_geoms: dict[int, BaseGeometry] = {}
    if base is not None:
        base_geoms = {
            b.area_id: shape(b.geometry)
            for b in Boundary.objects.filter(generation=base).only("area_id", "geometry")
        }

    def parent_geometry(code: str) -> BaseGeometry | None:
        if code in planned:
            return planned[code].geometry
        area = existing.get(code)
        return base_geoms.get(area.pk) if area else None

    for item in planned.values():
        if not item.parent_code:
            continue
        parent_type = (
            planned[item.parent_code].type
            if item.parent_code in planned
            else (existing[item.parent_code].type if item.parent_code in existing else None)
        )
        if parent_type is None:
            report.errors.append(
                _("%(feature)s: unknown parent %(parent)s.")
                % {"feature": item.label, "parent": item.parent_code}
            )
            continue
        if parent_type.level >= item.type.level:
            report.errors.append(
                _("%(feature)s: a %(type)s cannot sit inside a %(parent_type)s.")
                % {"feature": item.label, "type": item.type.name, "parent_type": parent_type.name}
            )
            continue
        parent_geom = parent_geometry(item.parent_code)
        if parent_geom is not None:
            share = outside_share(item.geometry, parent_geom)
            if share > OUTSIDE_PARENT_TOLERANCE:
                report.errors.append(
                    _("%(feature)s: %(share)s%% of it lies outside its parent %(parent)s.")
                    % {
                        "feature": item.label,
                        "share": round(share * 100, 1),
                        "parent": item.parent_code,
                    }
                )

    # Siblings: same parent and type, from the file and from the generation being changed.
    groups: dict[tuple[str | None, str], list[tuple[str, BaseGeometry]]] = {}
    for item in planned.values():
        groups.setdefault((item.parent_code, item.type.code), []).append((item.code, item.geometry))
    if base is not None:
        keys = set(groups)
        others = (
            Area.objects.filter(boundaries__generation=base)
            .exclude(code__in=planned)
            .select_related("parent", "type")
        )
        for area in others:
            key = (area.parent.code if area.parent else None, area.type.code)
            if key in keys and area.pk in base_geoms:
                groups[key].append((area.code, base_geoms[area.pk]))
    labels = {item.code: item.label for item in planned.values()}
    for siblings in groups.values():
        for a, b, overlap in overlaps(siblings):
            report.errors.append(
                _("%(feature)s overlaps its sibling %(other)s (%(km2)s km²).")
                % {
                    "feature": labels.get(a, a),
                    "other": labels.get(b, b),
                    "km2": round(square_degrees_to_km2(overlap, dict(siblings)[a].centroid.y), 3),
                }
            )

    if report.errors:
        return report

    for item in planned.values():
        current = existing.get(item.code)
        if current is None:
            report.created.append(item.code)
            continue
        old = base_geoms.get(current.pk)
        same_geom = old is not None and shapely.equals_exact(
            shapely.normalize(old), shapely.normalize(item.geometry), tolerance=1e-9
        )
        same_attrs = (
            current.names() == item.names
            and current.type_id == item.type.pk
            and (current.parent.code if current.parent else None) == item.parent_code
        )
        (report.unchanged if same_geom and same_attrs else report.changed).append(item.code)

    if not commit:
        report.generation = base.pk if base else None
        return report
    if not report.created and not report.changed:
        # Nothing to write; a pending generation may still be made live.
        report.generation = base.pk if base else None
        if activate and base is not None and not base.active:
            generation_activate(generation=base, actor=actor)
            report.activated = True
        return report

    with transaction.atomic():
        generation = _pending_generation(description or _("Boundary load"))
        saved: dict[str, Area] = {}
        # Outermost levels first, so that every parent exists before its children.
        for item in sorted(planned.values(), key=lambda p: p.type.level):
            parent: Area | None = None
            if item.parent_code:
                parent = saved.get(item.parent_code) or existing[item.parent_code]
            _save_area(item, parent, is_demo, source, saved)
        for code in [*report.created, *report.changed, *report.unchanged]:
            area = saved[code]
            geom = planned[code].geometry
            x0, y0, x1, y1 = geom.bounds
            Boundary.objects.update_or_create(
                area=area,
                generation=generation,
                defaults={
                    "geometry": _geometry_json(geom),
                    "min_lon": x0,
                    "min_lat": y0,
                    "max_lon": x1,
                    "max_lat": y1,
                },
            )
        audit_record(
            actor=actor,
            action=AuditAction.AREAS_LOAD,
            target=generation,
            details={
                "created": len(report.created),
                "changed": len(report.changed),
                "unchanged": len(report.unchanged),
            },
        )
        report.committed = True
        report.generation = generation.pk
        if activate:
            generation_activate(generation=generation, actor=actor)
            report.activated = True
    return report


def _save_area(
    item: _Planned, parent: Area | None, is_demo: bool, source: str, saved: dict[str, Area]
) -> Area:
    area = Area.objects.filter(code=item.code).first() or Area(code=item.code)
    area.type = item.type
    area.parent = parent
    area.name_ar, area.name_fr, area.name_en = item.names["ar"], item.names["fr"], item.names["en"]
    area.is_demo = is_demo
    if source:
        area.source = source
    area.full_clean(exclude=["parent"] if parent is None else None)
    area.save()
    saved[item.code] = area
    return area


def _pending_generation(description: str) -> Generation:
    """The generation being prepared; a new one starts as a copy of the active one."""
    pending = pending_generation()
    if pending is not None:
        return pending
    pending = Generation.objects.create(description=description)
    active = active_generation()
    if active is not None:
        Boundary.objects.bulk_create(
            Boundary(
                area_id=b.area_id,
                generation=pending,
                geometry=b.geometry,
                min_lon=b.min_lon,
                min_lat=b.min_lat,
                max_lon=b.max_lon,
                max_lat=b.max_lat,
            )
            for b in Boundary.objects.filter(generation=active)
        )
    return pending


@audited(AuditAction.AREAS_ACTIVATE_GENERATION)
def generation_activate(
    *, generation: Generation, actor: AbstractBaseUser | None = None
) -> Generation:
    """Make ``generation`` the one lookups use. The previous one stays, inactive, as history."""
    Generation.objects.filter(active=True).exclude(pk=generation.pk).update(active=False)
    generation.active = True
    generation.activated_at = timezone.now()
    generation.save(update_fields=["active", "activated_at"])
    audit_record(actor=actor, action=AuditAction.AREAS_ACTIVATE_GENERATION, target=generation)
    # This process sees the new boundaries at once; others within the recheck interval.
    transaction.on_commit(forget_point_index)
    transaction.on_commit(forget_place_index)
    return generation


@audited(AuditAction.AREAS_UPSERT_PLACE)
def place_upsert(
    *,
    code: str,
    kind: PlaceKind,
    lat: float,
    lon: float,
    names: dict[str, str],
    area: Area | None,
    is_demo: bool = False,
    actor: AbstractBaseUser | None = None,
) -> Place:
    place = Place.objects.filter(code=code).first() or Place(code=code)
    place.kind, place.lat, place.lon, place.area, place.is_demo = kind, lat, lon, area, is_demo
    place.name_ar, place.name_fr, place.name_en = (
        names.get("ar", ""),
        names.get("fr", ""),
        names.get("en", ""),
    )
    place.full_clean()
    place.save()
    audit_record(
        actor=actor,
        action=AuditAction.AREAS_UPSERT_PLACE,
        target=place,
        area_id=area.pk if area else None,
    )
    # This process's place search sees it at once (others: see _search_snapshot).
    transaction.on_commit(forget_place_index)
    return place
