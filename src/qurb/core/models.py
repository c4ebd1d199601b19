from django.db import models
from django.utils.translation import gettext_lazy as _

from qurb.core.text import pick_translation


class MultilingualName(models.Model):
    """A name kept in Arabic, French and English, shown in the reader's language."""

    name_ar = models.CharField(_("name (Arabic)"), max_length=200, blank=True)
    name_fr = models.CharField(_("name (French)"), max_length=200, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)

    class Meta:
        abstract = True

    @property
    def name(self) -> str:
        return pick_translation({"ar": self.name_ar, "fr": self.name_fr, "en": self.name_en})

    def names(self) -> dict[str, str]:
        return {"ar": self.name_ar, "fr": self.name_fr, "en": self.name_en}


class MultilingualTitle(models.Model):
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
        return pick_translation({"ar": self.title_ar, "fr": self.title_fr, "en": self.title_en})
