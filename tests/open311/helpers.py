"""Read a GeoReport v2 answer the same way in JSON and XML (XML values are text)."""

from __future__ import annotations

from typing import Any

import xmltodict  # type: ignore[import-untyped]
from shapely.geometry import Point, shape

from qurb.areas.models import Area, Boundary
from tests.reports.conftest import point_in

FORMATS = ["json", "xml"]
ITEMS = {"services": "service", "service_requests": "request", "errors": "error"}
NESTED = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
MEDINA = "032310107"
DESCRIPTION = "Des jeunes vendent du haschich devant l'école tous les jours à midi"


def as_text(value: Any) -> Any:
    """A JSON value as the XML would carry it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict):
        return {k: as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_text(v) for v in value]
    return value


def xml_lists(value: Any, item: str | None = None) -> Any:
    """xmltodict's ``{"attribute": x}`` (one or many) as a plain list, recursively."""
    if value is None:
        return ""
    if isinstance(value, dict):
        if len(value) == 1 and item is not None and item in value:
            inner = value[item]
            return [xml_lists(v) for v in (inner if isinstance(inner, list) else [inner])]
        return {k: xml_lists(v, NESTED.get(k)) for k, v in value.items()}
    return value


def body(response: Any, fmt: str, root: str) -> Any:
    """The answer as Python: lists of dicts with text values, in either format."""
    assert response["Content-Type"] == CONTENT_TYPES[fmt]
    if fmt == "json":
        return as_text(response.json())
    parsed = xmltodict.parse(response.content)
    assert list(parsed) == [root]
    if root not in ITEMS:
        return xml_lists(parsed[root])
    if not parsed[root]:
        return []
    items = parsed[root][ITEMS[root]]
    return [xml_lists(i) for i in (items if isinstance(items, list) else [items])]


def errors(response: Any, fmt: str, status: int) -> list[str]:
    """The error descriptions, after checking the status and each error's code."""
    assert response.status_code == status, response.content.decode()[:1000]
    found = body(response, fmt, "errors")
    assert found
    assert all(e["code"] == str(status) for e in found)
    return [e["description"] for e in found]


def request_form(key: str | None, **extra: Any) -> dict[str, Any]:
    """An Open311 request form inside the Médina district; ``None`` leaves a field out."""
    lat, lon = point_in(MEDINA)
    data: dict[str, Any] = {
        "api_key": key,
        "service_code": "drugs",
        "lat": lat,
        "long": lon,
        "address_string": "Bab Boujloud, près de l'école",
        "description": DESCRIPTION,
        "attribute[flags][]": ["near_school", "minor_involved"],
        "attribute[when]": "recurring",
        "attribute[recurrence_days]": "school_days",
        "device_id": "device-1",
        "account_id": "acct-42",
        "media_url": "http://example.invalid/photo.jpg",
    }
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def off_centre(code: str) -> tuple[float, float]:
    """A point inside the area's first neighbourhood (as ``point_in``) that is not the point
    its outline chose (the one the public reads show), at least about 50 metres from it."""
    area = Area.objects.get(code=code)
    child = Area.objects.filter(parent=area).order_by("code").first() or area
    boundary = Boundary.objects.get(area=child, generation__active=True)
    outline = shape(boundary.geometry)
    centre = outline.representative_point()
    for vertex in outline.envelope.boundary.coords:
        for share in (0.5, 0.3, 0.15):
            p = Point(
                centre.x + (vertex[0] - centre.x) * share, centre.y + (vertex[1] - centre.y) * share
            )
            if outline.contains(p) and centre.distance(p) > 0.0005:
                return p.y, p.x
    raise AssertionError(f"no point off the centre of {child.code}")
