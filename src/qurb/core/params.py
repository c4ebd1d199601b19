"""Reading numbers out of a request (a query string, a form, a path, a JSON body) without
letting a hostile value reach the database or crash a view.

Python's ``str.isdigit`` accepts "²" (which ``int`` refuses) and ``int`` accepts "١٢" and
"１２"; an integer past the database's 64-bit range crashes a filter (``OverflowError`` on
SQLite, ``DataError`` on PostgreSQL). Every id or count a view reads goes through here: ASCII
digits only, within the range of a signed 64-bit column, or nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

# The largest value a BigAutoField / BigIntegerField holds on every supported database.
BIGINT_MAX = 2**63 - 1
_MAX_DIGITS = len(str(BIGINT_MAX))


def int_param(value: Any, *, minimum: int = 0, maximum: int = BIGINT_MAX) -> int | None:
    """``value`` as an integer when it is written in ASCII digits (an optional leading "-"
    only when ``minimum`` is negative) and lies within ``minimum``..``maximum``; None for
    anything else (empty, "abc", "²", "١٢", 10**30, a list, …). A Python ``int`` (not a
    bool) is accepted within the same range."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text.startswith("-") and minimum < 0 else text
        if not digits or len(digits) > _MAX_DIGITS or not digits.isascii():
            return None
        if not digits.isdigit():
            return None
        number = int(text)
    else:
        return None
    return number if minimum <= number <= maximum else None


def id_param(value: Any) -> int | None:
    """A database id: a positive integer within the 64-bit range, or None."""
    return int_param(value, minimum=1)


def id_params(values: Iterable[Any], *, limit: int = 1000) -> list[int]:
    """The ids among ``values`` (the others dropped), each once, in order, at most ``limit``."""
    found: dict[int, None] = {}
    for value in values:
        number = id_param(value)
        if number is not None:
            found[number] = None
            if len(found) >= limit:
                break
    return list(found)


def in_id_range(value: int) -> bool:
    """Whether an integer (from a URL's ``<int:…>``, which takes any number of ASCII digits)
    can be an id in the database."""
    return 0 <= value <= BIGINT_MAX


def float_param(
    value: Any, *, minimum: float = -math.inf, maximum: float = math.inf
) -> float | None:
    """A finite number within ``minimum``..``maximum`` (from text in ASCII or a JSON number),
    or None: never NaN, an infinity, or an integer too large for a float."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text or len(text) > 64 or not text.isascii():
            return None
        value = text
    elif not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    if not math.isfinite(number) or not minimum <= number <= maximum:
        return None
    return number
