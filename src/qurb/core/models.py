from __future__ import annotations

from typing import Any, overload

from django.db import models
from django.utils.translation import gettext_lazy as _

from qurb.core.text import FIELD_LANGUAGES, pick_translation


class Multilingual:
    """Texts kept as ``<field>_ar``, ``<field>_fr`` and ``<field>_en``: ``localized(field)`` is
    the one in the active language (or ``language``), falling back to Arabic, French, English;
    ``translations(field)`` all three."""

    def translations(self, field: str) -> dict[str, str]:
        return {code: getattr(self, f"{field}_{code}") or "" for code in FIELD_LANGUAGES}

    def localized(self, field: str, language: str | None = None) -> str:
        return pick_translation(self.translations(field), language)


class translated:  # noqa: N801 - used like ``property``
    """A read-only attribute for templates and outputs: ``field`` in the reader's language
    (``Multilingual.localized``); on the class, the descriptor itself."""

    def __init__(self, field: str) -> None:
        self.field = field
        self.__doc__ = f"The {field} in the active language, with fallback."

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> translated: ...

    @overload
    def __get__(self, instance: Multilingual, owner: type | None = None) -> str: ...

    def __get__(self, instance: Multilingual | None, owner: type | None = None) -> Any:
        return self if instance is None else instance.localized(self.field)

    def __set__(self, instance: Multilingual, value: Any) -> None:
        raise AttributeError(f"set {self.field}_ar, {self.field}_fr or {self.field}_en")


class MultilingualName(Multilingual, models.Model):
    """A name kept in Arabic, French and English, shown in the reader's language."""

    name_ar = models.CharField(_("name (Arabic)"), max_length=200, blank=True)
    name_fr = models.CharField(_("name (French)"), max_length=200, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.localized("name")

    def names(self) -> dict[str, str]:
        return self.translations("name")


class MultilingualTitle(Multilingual, models.Model):
    """A title kept in Arabic, French and English, shown in the reader's language."""

    title_ar = models.CharField(_("title (Arabic)"), max_length=200, blank=True)
    title_fr = models.CharField(_("title (French)"), max_length=200, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return self.localized("title")

    def titles(self) -> dict[str, str]:
        return self.translations("title")
