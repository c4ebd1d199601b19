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
