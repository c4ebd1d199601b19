"""Text of people and places inside a page of another script (``{% load qurb_text %}``).

``{{ value|bdi }}`` puts a name, a title, a number… in its own ``<bdi>``, so that it keeps its
direction inside a sentence of the other script: "Yasmine، 9 سنوات" in an Arabic page and
"ياسمين, 9 years old" in an English one, instead of the letters and digits running into the
words around them. In a blocktranslate it isolates each inserted value:
``{% blocktranslate with name=case.child_first_name|bdi age=case.child_age|bdi %}``.

``{{ value|isolate }}`` does the same where no tag can stand (``<title>``, attributes such as
``content`` or ``aria-label``, plain-text e-mails): Unicode FSI … PDI (``qurb.core.bidi``).
"""

from __future__ import annotations

import math

from django import template
from django.utils import formats
from django.utils.html import format_html
from django.utils.safestring import SafeString

from qurb.core import bidi

register = template.Library()


@register.filter
def bdi(value: object) -> SafeString | str:
    """``<bdi>value</bdi>``, the value escaped (unless already safe); nothing for no value."""
    if value is None or value == "":
        return ""
    return format_html("<bdi>{}</bdi>", value)


@register.filter(is_safe=True)
def isolate(value: object) -> str:
    """The value between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE, for plain text."""
    return bidi.isolate(value)


@register.filter
def significant(value: object, digits: int = 2) -> str:
    """A small number (a q-value, a share) to ``digits`` significant digits in the page's
    number format: 0,0016 on a French page, 0.0016 on an English one; "< 0,000001" below."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    if not math.isfinite(number):
        return ""
    if number == 0:
        return formats.number_format(0)
    floor = 10.0**-_MAX_DECIMALS
    if abs(number) < floor:
        return "< " + formats.number_format(floor, _MAX_DECIMALS)
    decimals = max(0, min(_MAX_DECIMALS, digits - 1 - math.floor(math.log10(abs(number)))))
    return formats.number_format(round(number, decimals), decimals)


_MAX_DECIMALS = 6
