"""Checks on boundary features before anything is written. Every message names the feature."""

from __future__ import annotations

import math
import re
from typing import Any

import shapely
from django.utils.translation import gettext as _
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from qurb.areas.formats import Feature

# Two siblings may share edges but not surface. Boundaries digitised separately (or quantized,
# as TopoJSON is, to ~3 m) leave thin ribbons along shared borders; an intersection counts as
# an overlap above this share of the smaller sibling's area, or this many square degrees
# (about 12 m² at Moroccan latitudes) for tiny areas.
OVERLAP_TOLERANCE = 1e-9
OVERLAP_SHARE_TOLERANCE = 0.005
# A child may stick out of its parent by this share of its own area (digitising noise).
OUTSIDE_PARENT_TOLERANCE = 0.005

_LOCATION = re.compile(r"^(?P<reason>[^\[]+)\[(?P<x>\S+) (?P<y>\S+)\]$")


def _in_extent(bounds: tuple[float, float, float, float], extent: tuple[float, ...]) -> bool:
    x0, y0, x1, y1 = bounds
    return extent[0] <= x0 and x1 <= extent[2] and extent[1] <= y0 and y1 <= extent[3]


def feature_geometry(
    feature: Feature, extent: tuple[float, ...]
) -> tuple[BaseGeometry | None, str | None]:
    """The feature's polygon, or why it cannot be one."""
    raw = feature.geometry
    if raw is None:
        return None, _("%(feature)s has no geometry.") % {"feature": feature.label}
    if not isinstance(raw.get("type"), str) or raw["type"] not in {"Polygon", "MultiPolygon"}:
        return None, _("%(feature)s: geometry type %(type)s is not a Polygon or MultiPolygon.") % {
            "feature": feature.label,
            "type": raw.get("type"),
        }
    try:
        geom = shape(raw)
    except (
        ValueError,
        TypeError,
        IndexError,
        KeyError,
        AttributeError,
        RecursionError,
        shapely.errors.GEOSException,
    ) as exc:
        return None, _("%(feature)s: unreadable coordinates (%(error)s).") % {
            "feature": feature.label,
            "error": exc,
        }
    if geom.is_empty:
        return None, _("%(feature)s has an empty geometry.") % {"feature": feature.label}
    bounds = geom.bounds
    if not _in_extent(bounds, extent):
        swapped = (bounds[1], bounds[0], bounds[3], bounds[2])
        if _in_extent(swapped, extent):
            return None, _(
                "%(feature)s: coordinates are in the wrong order (latitude, longitude); "
                "GeoJSON wants longitude first."
            ) % {"feature": feature.label}
        if not _in_extent(bounds, (-180, -90, 180, 90)):
            return None, _("%(feature)s: coordinates out of range for longitude/latitude.") % {
                "feature": feature.label
            }
        return None, _(
            "%(feature)s lies outside the territory of this force (setting QURB_AREAS_EXTENT)."
        ) % {"feature": feature.label}
    reason = shapely.is_valid_reason(geom)
    if reason != "Valid Geometry":
        match = _LOCATION.match(reason)
        if match and "self-intersection" in match["reason"].lower():
            return None, _("%(feature)s: self-intersecting polygon near %(lon)s, %(lat)s.") % {
                "feature": feature.label,
                "lon": match["x"],
                "lat": match["y"],
            }
        where = (
            _(" near %(lon)s, %(lat)s") % {"lon": match["x"], "lat": match["y"]} if match else ""
        )
        return None, _("%(feature)s: invalid polygon (%(reason)s)%(where)s.") % {
            "feature": feature.label,
            "reason": match["reason"] if match else reason,
            "where": where,
        }
    return geom, None


def overlaps(
    siblings: list[tuple[str, BaseGeometry]],
) -> list[tuple[str, str, float]]:
    """Pairs of sibling areas sharing more than edges: (code a, code b, overlap area)."""
    if len(siblings) < 2:
        return []
    geoms = [g for _, g in siblings]
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    found = []
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i >= j:
            continue
        area = shapely.intersection(geoms[i], geoms[j]).area
        smaller = min(geoms[i].area, geoms[j].area)
        if area > max(OVERLAP_TOLERANCE, OVERLAP_SHARE_TOLERANCE * smaller):
            found.append((siblings[i][0], siblings[j][0], area))
    return found


def square_degrees_to_km2(area: float, latitude: float) -> float:
    """Planar area in degrees² near ``latitude`` to km² (equirectangular approximation)."""
    return area * 111.32 * 111.32 * math.cos(math.radians(latitude))


def outside_share(child: BaseGeometry, parent: BaseGeometry) -> float:
    if child.area == 0:
        return 0.0
    return float(shapely.difference(child, parent).area / child.area)


def names_from(properties: dict[str, Any]) -> dict[str, str]:
    plain = str(properties.get("name") or "").strip()
    return {
        "ar": str(properties.get("name_ar") or "").strip(),
        "fr": str(properties.get("name_fr") or plain).strip(),
        "en": str(properties.get("name_en") or plain).strip(),
    }
