"""Small helpers for multilingual fields (names kept in ar, fr and en)."""

import re
from collections.abc import Mapping

from django.utils.translation import get_language


def pick_translation(values: dict[str, str], language: str | None = None) -> str:
    """The value in the active language, falling back to Arabic, French, English in turn."""
    lang = (language or get_language() or "ar").split("-")[0]
    for code in (lang, "ar", "fr", "en"):
        if values.get(code):
            return values[code]
    return ""


FIELD_LANGUAGES = ("ar", "fr", "en")


def field_language(language: str | None) -> str:
    """Which of the ``_ar``/``_fr``/``_en`` fields a text written in ``language`` goes to
    (Arabic when Qurb keeps no field in that language)."""
    code = (language or "").split("-")[0]
    return code if code in FIELD_LANGUAGES else "ar"


# Letters of the Arabic script (Arabic, its supplements and presentation forms).
ARABIC_LETTER = re.compile(
    r"[\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufefc]"
)
LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")


def written_in(text: str) -> str:
    """``"ar"`` for a text written mostly in Arabic script, otherwise ``"fr"`` (Qurb's texts
    in Latin script are French far more often than English)."""
    arabic = len(ARABIC_LETTER.findall(text))
    return "ar" if arabic and arabic >= len(LATIN_LETTER.findall(text)) else "fr"


Texts = str | Mapping[str, str]
"""A text in one language (a ``str``, in the language it is given with) or in several
(``{"ar": …, "fr": …, "en": …}``)."""


def texts_of(value: Texts, language: str | None = None) -> dict[str, str]:
    """``value`` as ``{"ar", "fr", "en"}``, stripped. A plain string goes to the field of
    ``language`` (see ``field_language``) or, with no language given, of the language it is
    written in (``written_in``); the other languages are empty."""
    if isinstance(value, str):
        code = field_language(language) if language else written_in(value)
        value = {code: value}
    return {code: str(value.get(code) or "").strip() for code in FIELD_LANGUAGES}


def languages_of(texts: Mapping[str, str]) -> list[str]:
    """The languages a text is given in, in Qurb's order (for the audit trail)."""
    return [code for code in FIELD_LANGUAGES if texts.get(code)]


def field_values(
    stem: str, texts: Mapping[str, str], max_length: int | None = None
) -> dict[str, str]:
    """``{"<stem>_ar": …, "<stem>_fr": …, "<stem>_en": …}``, to create or update a model's
    three fields (each cut to ``max_length``)."""
    return {f"{stem}_{code}": (texts.get(code) or "")[:max_length] for code in FIELD_LANGUAGES}
