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

from django import template
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
