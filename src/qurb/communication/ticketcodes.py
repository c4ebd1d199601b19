"""Ticket codes that people type at the gate.

A ticket's code is 16 symbols of Crockford's base32 (80 bits), stored in capitals without
separators and shown in groups of four (``7KQ2-M9TX-…``). Crockford's alphabet has no I, L, O
or U, so a code typed in lower case, with spaces or dashes, with an "o" for the zero or an "l"
or "i" for the one still reads as the one code. Tickets issued before this format carry a
URL-safe base64 code (case matters there): the gate still takes them as printed, or in another
case when that names only one ticket of the event.
"""

from __future__ import annotations

import re
import secrets
import unicodedata

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 16
_CONFUSED = str.maketrans({"I": "1", "L": "1", "O": "0"})
# What people put between groups, or what a phone inserts: spaces of every kind and dashes.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212\u00ad\u200b-\u200f\u2060\ufeff_.·]+")
# Digits in the Arabic scripts (Arabic-Indic and Eastern Arabic-Indic), for an Arabic keyboard.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_LEGACY = re.compile(r"[A-Za-z0-9_-]{8,24}")
MAX_INPUT = 300  # a scanned ticket address is well below this


def new() -> str:
    return "".join(secrets.choice(CROCKFORD) for _ in range(LENGTH))


def grouped(code: str) -> str:
    """The code as printed on a ticket: four groups of four (an older code as it is)."""
    if len(code) == LENGTH and all(c in CROCKFORD for c in code):
        return "-".join(code[i : i + 4] for i in range(0, LENGTH, 4))
    return code


def last_segment(raw: str) -> str:
    """The code in what the gate received: typed, or a scanned ticket address (its last
    path segment). Empty for input too long to be either."""
    text = (raw or "").strip()
    if len(text) > MAX_INPUT:
        return ""
    text = text.split("#", 1)[0].split("?", 1)[0]
    return text.rstrip("/").rsplit("/", 1)[-1].strip()


def given(raw: str) -> bool:
    """Whether the gate received a code at all (not only spaces and dashes)."""
    return bool(_SEPARATORS.sub("", raw or ""))


def canonical(raw: str) -> str:
    """The stored form of a current-format code, or "" when ``raw`` cannot be one."""
    text = unicodedata.normalize("NFKC", raw or "").translate(_DIGITS)
    text = _SEPARATORS.sub("", text).upper().translate(_CONFUSED)
    if len(text) != LENGTH or any(c not in CROCKFORD for c in text):
        return ""
    return text


def legacy(raw: str) -> str:
    """An older (URL-safe base64) code as typed, or "" when ``raw`` cannot be one."""
    text = (raw or "").strip()
    return text if _LEGACY.fullmatch(text) else ""
