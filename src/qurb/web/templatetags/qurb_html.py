"""Values written into HTML attributes in the exact syntax HTML asks for (``{% load qurb_html %}``).

``{{ moment|datetime_attr }}`` for ``<time datetime="…">``: a valid global date and time string,
``2025-04-05T10:11:12+01:00`` in the page's time zone, never with a fraction of a second
(``|date:"c"`` writes microseconds, six digits, and HTML allows three at most). A date gives
``2025-04-05``.

``{{ number|tel_href }}`` for ``<a href="…">``: a ``tel:`` URI (RFC 3966) of a number written
for people, ``+212 535 00 00 10`` → ``tel:+212535000010`` (spaces are not allowed in a URI).
"""

from __future__ import annotations

import re
from datetime import date, datetime

from django import template

register = template.Library()

_NOT_DIALLED = re.compile(r"[^0-9+*#]")


@register.filter(expects_localtime=True)
def datetime_attr(value: object) -> str:
    """A date and time (in the current time zone) or a date, for a ``datetime`` attribute."""
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return ""


@register.filter
def tel_href(value: object) -> str:
    """``tel:`` and the number's digits (a leading ``+`` kept), without visual separators."""
    number = _NOT_DIALLED.sub("", str(value or ""))
    if not number.strip("+"):
        return ""
    return "tel:" + ("+" if number.startswith("+") else "") + number.replace("+", "")
