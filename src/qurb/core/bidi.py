"""Text in two directions on one line: "Yasmine، 9 سنوات" and not "9، Yasmine سنوات".

A name, a place or a number put into a sentence of another script takes its direction from
its neighbours under the Unicode bidirectional algorithm (UAX #9), and the line comes out in
the wrong order. Each inserted value is isolated instead, so that it keeps its own direction
and is placed as one piece: in HTML by ``<bdi>`` (the ``bdi`` template filter in
``qurb.web.templatetags.qurb_text``), in plain text (e-mails, push notifications, CAP) by
FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE, which this module adds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

FSI = "\u2068"  # FIRST STRONG ISOLATE: the value's direction is that of its first letter
PDI = "\u2069"  # POP DIRECTIONAL ISOLATE

# Directional formatting characters (embeddings, overrides, isolates): a value that carries
# its own could reach outside its isolate or reverse what follows; names never need them.
_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def isolate(value: object) -> str:
    """``value`` as text between FSI and PDI (``""`` stays empty)."""
    text = "" if value is None else _CONTROLS.sub("", str(value))
    return f"{FSI}{text}{PDI}" if text else ""


def isolated(values: Mapping[str, object]) -> dict[str, str]:
    """Each value isolated, for ``gettext(...) % isolated({...})``."""
    return {key: isolate(value) for key, value in values.items()}
