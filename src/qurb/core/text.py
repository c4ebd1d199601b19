"""Small helpers for multilingual fields (names kept in ar, fr and en)."""

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
