"""Small helpers for multilingual fields (names kept in ar, fr and en)."""

from django.utils.translation import get_language


def pick_translation(values: dict[str, str], language: str | None = None) -> str:
    """The value in the active language, falling back to Arabic, French, English in turn."""
    lang = (language or get_language() or "ar").split("-")[0]
    for code in (lang, "ar", "fr", "en"):
        if values.get(code):
            return values[code]
    return ""
