"""GeoReport v2 bodies in JSON and XML, from the same plain Python values.

A body is a list of objects (``<services><service>…``) or one object (``<service_definition>``).
In XML, a list inside an object becomes an element whose children are named after the list
(``attributes`` → ``attribute``); booleans are ``true``/``false``, ``None`` an empty element,
date-times W3C (ISO 8601 with the offset).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

Format = Literal["json", "xml"]
FORMATS: tuple[Format, ...] = ("json", "xml")
JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"
# How the items of a list are named in XML, by the name of the list.
XML_ITEMS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def w3c(moment: datetime | None) -> str:
    """A W3C date-time in the site's time zone, to the second (``2026-03-01T21:30:00+01:00``)."""
    if moment is None:
        return ""
    return timezone.localtime(moment).isoformat(timespec="seconds")


# Years a partner's date may name: enough for any real report or filter, and far enough from
# the calendar's edges (years 1 and 9999) that moving a date by a time zone or a window of days
# never leaves it.
W3C_YEARS = range(1900, 3000)


def w3c_parse(raw: str) -> datetime | None:
    """A W3C date-time (or date) as an aware date-time (a naive one is read in the site's time
    zone); ``None`` when it is not one, or names a year outside ``W3C_YEARS``."""
    try:
        moment = parse_datetime(raw.strip())
    except ValueError:
        return None
    if moment is None or moment.year not in W3C_YEARS:
        return None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def not_w3c(name: str) -> str:
    return _("%(name)s is not a W3C date and time (for example 2026-01-01T00:00:00Z).") % {
        "name": name
    }


def _plain(value: Any) -> Any:
    """Values JSON can carry: date-times as W3C text, lazy translations as text."""
    if isinstance(value, datetime):
        return w3c(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


# Characters XML 1.0 does not allow in a document (C0 controls other than tab, newline and
# carriage return; U+FFFE, U+FFFF; lone surrogates): removed, so the body always parses.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_safe(text: str) -> str:
    return _NOT_XML.sub("", text)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return w3c(value)
    return xml_safe(str(value))


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, child in value.items():
            sub = ET.SubElement(element, str(key))
            _fill_named(sub, str(key), child)
    else:
        element.text = _text(value)


def _fill_named(element: ET.Element, name: str, value: Any) -> None:
    if isinstance(value, list | tuple):
        item = XML_ITEMS.get(name, "item")
        for child in value:
            _fill(ET.SubElement(element, item), child)
    else:
        _fill(element, value)


def xml_body(root: str, body: Sequence[Any] | Mapping[str, Any]) -> bytes:
    element = ET.Element(root)
    _fill_named(element, root, body)
    text: bytes = ET.tostring(element, encoding="utf-8", xml_declaration=True)
    return text


def render(
    fmt: Format, root: str, body: Sequence[Any] | Mapping[str, Any], *, status: int = 200
) -> HttpResponse:
    """``root`` names the XML root element (``services``, ``service_requests``, …)."""
    if fmt == "xml":
        return HttpResponse(xml_body(root, body), status=status, content_type=XML_TYPE)
    return JsonResponse(
        _plain(body),
        safe=False,
        status=status,
        content_type=JSON_TYPE,
        json_dumps_params={"ensure_ascii": False},
    )


def error_response(fmt: Format, status: int, descriptions: Sequence[Any]) -> HttpResponse:
    """``<errors><error><code/><description/></error>…</errors>``: one error per problem."""
    errors = [{"code": status, "description": str(d)} for d in descriptions]
    return render(fmt, "errors", errors, status=status)
