"""Reading boundary files: GeoJSON (RFC 7946) and TopoJSON, into plain features."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _


class BoundaryFileError(ValueError):
    """The file cannot be read as boundaries at all (not a feature in particular)."""


@dataclass
class Feature:
    index: int  # 1-based position in the file, for messages
    properties: dict[str, Any]
    geometry: dict[str, Any] | None

    @property
    def geojson(self) -> dict[str, Any]:
        """The geometry, for features already known to have one."""
        if self.geometry is None:
            raise BoundaryFileError(_("%(feature)s has no geometry.") % {"feature": self.label})
        return self.geometry

    @property
    def label(self) -> str:
        code = self.properties.get("code")
        name = self.properties.get("name") or self.properties.get("name_fr") or ""
        return _("feature %(n)s (code %(code)s, %(name)s)") % {
            "n": self.index,
            "code": code or "?",
            "name": name or "?",
        }


@dataclass
class BoundaryFile:
    features: list[Feature]
    metadata: dict[str, Any]  # licence, attribution, source, as the file states them


def _no_constant(name: str) -> float:
    raise ValueError(_("%(value)s is not a JSON number") % {"value": name})


def read_boundary_file(path: Path) -> BoundaryFile:
    """The file's features, or a one-line ``BoundaryFileError`` saying why it cannot be read."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError as exc:
        raise BoundaryFileError(_("No such file: %(path)s") % {"path": path}) from exc
    except IsADirectoryError as exc:
        raise BoundaryFileError(
            _("%(path)s is a directory, not a boundary file.") % {"path": path}
        ) from exc
    except OSError as exc:
        raise BoundaryFileError(
            _("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror or exc}
        ) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BoundaryFileError(
            _("%(path)s is not UTF-8 text (byte %(position)s).")
            % {"path": path, "position": exc.start + 1}
        ) from exc
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except RecursionError as exc:
        raise BoundaryFileError(
            _("%(path)s is not valid JSON: %(error)s")
            % {"path": path, "error": _("nested too deeply")}
        ) from exc
    except ValueError as exc:  # json.JSONDecodeError, NaN or Infinity
        raise BoundaryFileError(
            _("%(path)s is not valid JSON: %(error)s") % {"path": path, "error": exc}
        ) from exc
    return parse_boundaries(data)


def parse_boundaries(data: Any) -> BoundaryFile:
    if not isinstance(data, dict):
        raise BoundaryFileError(_("Expected a GeoJSON or TopoJSON object."))
    metadata = {
        k: data[k] for k in ("license", "attribution", "source") if isinstance(data.get(k), str)
    }
    kind = data.get("type")
    if kind == "Topology":
        return BoundaryFile(_topojson_features(data), metadata)
    if kind == "FeatureCollection":
        raw = data.get("features")
        if not isinstance(raw, list):
            raise BoundaryFileError(_("A FeatureCollection needs a list of features."))
    elif kind == "Feature":
        raw = [data]
    else:
        raise BoundaryFileError(
            _("Unsupported type “%(type)s”: expected FeatureCollection, Feature or Topology.")
            % {"type": kind}
        )
    features = []
    for n, item in enumerate(raw, start=1):
        if not isinstance(item, dict) or item.get("type") != "Feature":
            raise BoundaryFileError(_("Item %(n)s is not a GeoJSON Feature.") % {"n": n})
        props = item.get("properties") or {}
        if not isinstance(props, dict):
            raise BoundaryFileError(
                _("Feature %(n)s has properties that are not an object.") % {"n": n}
            )
        geometry = item.get("geometry")
        features.append(Feature(n, props, geometry if isinstance(geometry, dict) else None))
    return BoundaryFile(features, metadata)


def _topojson_features(topology: dict[str, Any]) -> list[Feature]:
    """Decode every object of a Topology into GeoJSON features (quantized arcs included)."""
    try:
        return _decode_topology(topology)
    except BoundaryFileError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError) as exc:
        raise BoundaryFileError(
            _("Invalid TopoJSON: its arcs or objects are not in the expected form.")
        ) from exc


def _decode_topology(topology: dict[str, Any]) -> list[Feature]:
    arcs_raw = topology.get("arcs")
    objects = topology.get("objects")
    if not isinstance(arcs_raw, list) or not isinstance(objects, dict):
        raise BoundaryFileError(_("A TopoJSON Topology needs 'arcs' and 'objects'."))
    transform = topology.get("transform")
    if transform and not (
        isinstance(transform, dict)
        and all(
            isinstance(transform.get(k), list)
            and len(transform[k]) == 2
            and all(_is_number(v) for v in transform[k])
            for k in ("scale", "translate")
        )
    ):
        raise BoundaryFileError(
            _("Invalid TopoJSON transform: it needs a 'scale' and a 'translate' of two numbers.")
        )
    arcs: list[list[list[float]]] = []
    for n, arc in enumerate(arcs_raw):
        if not isinstance(arc, list) or not all(
            isinstance(p, list) and len(p) >= 2 and _is_number(p[0]) and _is_number(p[1])
            for p in arc
        ):
            raise BoundaryFileError(
                _("Invalid TopoJSON: arc %(n)s is not a list of positions.") % {"n": n}
            )
        if transform:
            (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
            x = y = 0
            points = []
            for position in arc:
                x += position[0]
                y += position[1]
                points.append([round(x * sx + tx, 7), round(y * sy + ty, 7)])
            arcs.append(points)
        else:
            arcs.append([[float(p[0]), float(p[1])] for p in arc])

    def ring(indexes: list[int]) -> list[list[float]]:
        if not isinstance(indexes, list):
            raise BoundaryFileError(_("Invalid TopoJSON: a ring is not a list of arc indexes."))
        points: list[list[float]] = []
        for i in indexes:
            if not isinstance(i, int) or isinstance(i, bool) or not -len(arcs) <= i < len(arcs):
                raise BoundaryFileError(
                    _("Invalid TopoJSON: arc index %(index)s does not exist (%(count)s arcs).")
                    % {"index": i, "count": len(arcs)}
                )
            arc = arcs[i] if i >= 0 else list(reversed(arcs[~i]))
            points.extend(arc if not points else arc[1:])
        return points

    def geometry(obj: dict[str, Any]) -> dict[str, Any] | None:
        kind = obj.get("type")
        if kind == "Polygon":
            return {"type": "Polygon", "coordinates": [ring(r) for r in obj["arcs"]]}
        if kind == "MultiPolygon":
            return {
                "type": "MultiPolygon",
                "coordinates": [[ring(r) for r in polygon] for polygon in obj["arcs"]],
            }
        return None

    features: list[Feature] = []
    for obj in objects.values():
        if not isinstance(obj, dict):
            raise BoundaryFileError(_("Invalid TopoJSON: an object is not a JSON object."))
        members = obj.get("geometries", []) if obj.get("type") == "GeometryCollection" else [obj]
        for member in members:
            if not isinstance(member, dict):
                raise BoundaryFileError(_("Invalid TopoJSON: a geometry is not a JSON object."))
            props = member.get("properties") or {}
            if not isinstance(props, dict):
                raise BoundaryFileError(
                    _("Feature %(n)s has properties that are not an object.")
                    % {"n": len(features) + 1}
                )
            props = dict(props)
            if "id" in member and "code" not in props:
                props["code"] = member["id"]
            features.append(Feature(len(features) + 1, props, geometry(member)))
    return features


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
