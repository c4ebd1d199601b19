"""SMS lengths: the GSM 03.38 alphabet (160 characters a message) or UCS-2 (70)."""

from __future__ import annotations

_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_EXTENDED = "^{}\\[~]|€\f"
GSM_CHARACTERS = frozenset(_BASIC)
GSM_EXTENDED = frozenset(_EXTENDED)


def is_gsm(text: str) -> bool:
    return all(c in GSM_CHARACTERS or c in GSM_EXTENDED for c in text)


def units(text: str) -> int:
    """The length as the network counts it: septets (extended characters count two) for GSM
    text, UTF-16 code units otherwise."""
    if is_gsm(text):
        return sum(2 if c in GSM_EXTENDED else 1 for c in text)
    return len(text.encode("utf-16-be")) // 2


def parts(text: str) -> int:
    """How many SMS the text takes (concatenated messages carry a 6-byte header)."""
    single, multi = (160, 153) if is_gsm(text) else (70, 67)
    n = units(text)
    return 1 if n <= single else -(-n // multi)


# Latin letters and signs outside the GSM alphabet, as GSM writes them: one "ç" would make a
# whole French SMS UCS-2 (70 characters a message instead of 160).
_FOLD = str.maketrans(
    {
        "ç": "c",
        "â": "a",
        "ê": "e",
        "ë": "e",
        "î": "i",
        "ï": "i",
        "ô": "o",
        "û": "u",
        "ü": "u",
        "ÿ": "y",
        "À": "A",
        "Â": "A",
        "È": "E",
        "Ê": "E",
        "Ë": "E",
        "Î": "I",
        "Ï": "I",
        "Ô": "O",
        "Û": "U",
        "Ù": "U",
        "œ": "oe",
        "Œ": "OE",
        "–": "-",
        "—": "-",
        "‘": "'",
        "’": "'",
        "“": '"',
        "”": '"',
        "«": '"',
        "»": '"',
        "…": "...",
        "\u00a0": " ",
        "\u202f": " ",
    }
)


def fold(text: str) -> str:
    """``text`` in the GSM alphabet when only a few Latin accents and signs kept it out of it
    (French: "reçu" becomes "recu"); any other text (Arabic) unchanged."""
    folded = text.translate(_FOLD)
    return folded if is_gsm(folded) else text
