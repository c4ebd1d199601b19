"""Text normalisation for reports written in MSA, Darija (Arabic or Latin letters) and French.

Pure functions, no Django: ``normalise`` makes spelling variants meet (diacritics, tatweel,
alef/hamza/yaa/taa-marbuta forms, Arabic-Indic digits, accents, letter repetitions, case);
``skeleton`` goes further and maps Arabic-script and Latin-letter Darija onto one consonant
alphabet, so that "l7chich" and "الحشيش" (or "9dam" and "قدام") become the same token, while
numbers that are numbers ("3 drari", "16 ans", "12h") stay numbers.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Literal

Script = Literal["arabic", "latin", "number", "other"]

_ARABIC_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
_TATWEEL = "\u0640"
_ARABIC_FOLD = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ئ": "ي",
        "ؤ": "و",
        "ة": "ه",
        "ک": "ك",
        "ی": "ي",
        "ڭ": "ك",
        "گ": "ك",
        "ڤ": "ف",
        "پ": "ب",
        "،": ",",
        "؛": ";",
        "؟": "?",
    }
)
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
# Three or more of the same letter are one ("bezaaaaf", "عفاااكم"); two stay ("cool", "مدّ").
_REPEATS = re.compile(r"([^\W\d_])\1{2,}")
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_SPACES = re.compile(r"\s+")


def _strip_latin_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(
        c for c in decomposed if not (unicodedata.combining(c) and not ("\u0600" <= c <= "\u06ff"))
    )
    return unicodedata.normalize("NFC", kept)


def _normalise_once(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = text.casefold()
    text = _ARABIC_DIACRITICS.sub("", text).replace(_TATWEEL, "")
    text = text.translate(_ARABIC_FOLD).translate(_DIGITS)
    text = _strip_latin_accents(text)
    text = _REPEATS.sub(r"\1", text)
    # Apostrophes and hyphens split words ("l'école" → "l ecole", "3la-wedd" → "3la wedd").
    text = re.sub(r"[’'`´\-]", " ", text)
    return _SPACES.sub(" ", text).strip()


def normalise(text: str) -> str:
    """Folded text: same spelling for the variants residents type. Idempotent, never fails."""
    if not isinstance(text, str):
        raise TypeError("normalise expects a string")
    previous, current = None, text
    # Each step can expose work for another (a composed letter after NFKC, a new run of
    # repeats once diacritics are gone); a few passes reach the fixed point.
    for _ in range(4):
        if current == previous:
            break
        previous, current = current, _normalise_once(current)
    return current


def tokens(text: str) -> list[str]:
    """Words of a normalised text (letters and digits; punctuation dropped)."""
    return _TOKEN.findall(text)


def script_of(token: str) -> Script:
    if not token:
        return "other"
    if _NUMBER.fullmatch(token):
        return "number"
    arabic = sum(1 for c in token if "\u0600" <= c <= "\u06ff")
    latin = sum(1 for c in token if c.isascii() and (c.isalpha() or c.isdigit()))
    if arabic and arabic >= latin:
        return "arabic"
    if latin:
        return "latin"
    return "other"


# A number, possibly with a unit: "3", "16", "12h", "12h30", "16ans", "200dh", "2km", "10min".
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?(?:h\d{0,2}|ans?|dh|dhs|km|m|min|mn|kg|eme|er|e)?")

# Latin Darija: digits that stand for Arabic letters, and digraphs, on the shared alphabet.
_LATIN_DIGRAPHS = [("ch", "S"), ("sh", "S"), ("kh", "K"), ("gh", "g"), ("dj", "j"), ("ou", "")]
_LATIN_SINGLE = str.maketrans(
    {
        "3": "E",
        "7": "H",
        "9": "q",
        "2": "",
        "5": "x",
        "8": "g",
        "4": "g",
        "6": "T",
        "a": "",
        "e": "",
        "i": "",
        "o": "",
        "u": "",
        "y": "",
        "c": "k",
        "p": "b",
        "v": "f",
        "x": "ks",
        "w": "",
    }
)
_ARABIC_TO_SKELETON = str.maketrans(
    {
        "ا": "",
        "ء": "",
        "ب": "b",
        "ت": "t",
        "ث": "t",
        "ج": "j",
        "ح": "H",
        "خ": "x",
        "د": "d",
        "ذ": "d",
        "ر": "r",
        "ز": "z",
        "س": "s",
        "ش": "S",
        "ص": "s",
        "ض": "d",
        "ط": "t",
        "ظ": "d",
        "ع": "E",
        "غ": "g",
        "ف": "f",
        "ق": "q",
        "ك": "k",
        "ل": "l",
        "م": "m",
        "ن": "n",
        "ه": "h",
        "و": "",
        "ي": "",
    }
)


def _latin_skeleton(token: str) -> str:
    word = token
    initial_w = word.startswith("w")
    for digraph, letter in _LATIN_DIGRAPHS:
        word = word.replace(digraph, letter)
    word = word.translate(_LATIN_SINGLE).replace("K", "x")
    return ("w" + word) if initial_w else word


def _arabic_skeleton(token: str) -> str:
    initial_w = token.startswith("و")
    word = token.translate(_ARABIC_TO_SKELETON)
    return ("w" + word) if initial_w else word


def _squeeze(word: str) -> str:
    """Doubled letters stay doubled at most; a final h (taa marbuta, or a silent h) goes."""
    word = re.sub(r"(.)\1+", r"\1\1", word)
    return word[:-1] if len(word) > 1 and word.endswith("h") else word


@functools.lru_cache(maxsize=1 << 16)
def skeleton_token(token: str) -> str:
    """One token's consonant skeleton; numbers stay as they are."""
    kind = script_of(token)
    if kind == "number":
        return token
    if kind == "arabic":
        out = _arabic_skeleton("".join(c for c in token if "\u0600" <= c <= "\u06ff"))
    elif kind == "latin":
        out = _latin_skeleton(token)
    else:
        out = ""
    return _squeeze(out) or token


def skeleton(text: str) -> str:
    """The consonant skeleton of a text (normalised first)."""
    return " ".join(skeleton_token(t) for t in tokens(normalise(text)))
