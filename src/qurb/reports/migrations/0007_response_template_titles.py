"""Response templates keep their titles in Arabic, French and English, like their texts.

The title becomes ``title_fr`` (renamed, so no value is lost). The starting templates (titled
in English by 0002) get their three titles; any other title moves to ``title_ar`` when it is
written in Arabic script. Backwards, ``title_fr`` takes the Arabic (or English) title when it
is empty, and is renamed back."""

import re
from typing import Any

from django.db import migrations, models

ARABIC = re.compile(
    r"[\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufefc]"
)
LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")

# The starting templates' titles (0002): English → Arabic, French.
STARTING = {
    "Received and read": ("توصلنا بالبلاغ وقرأناه", "Reçu et lu"),
    "Being checked": ("قيد التحقق", "En cours de vérification"),
    "Drugs: patrols and checks": ("المخدرات: دوريات ومراقبة", "Drogues : patrouilles et contrôles"),
    "Drugs: action near a school": (
        "المخدرات: تدخل قرب مؤسسة تعليمية",
        "Drogues : action près d'une école",
    ),
    "Robbery: patrols on the route": (
        "السرقة: دوريات على المسار",
        "Vol : patrouilles sur le trajet",
    ),
    "Road: traffic checks": ("الطريق: مراقبة حركة السير", "Route : contrôles de la circulation"),
    "Resolved": ("تمت المعالجة", "Traité"),
    "Not a police matter": ("ليس من اختصاص الشرطة", "Hors de la compétence de la police"),
}
LANGUAGES = {"ar": "Arabic", "fr": "French", "en": "English"}


def arabic(text: str) -> bool:
    letters = len(ARABIC.findall(text))
    return bool(letters) and letters >= len(LATIN.findall(text))


def split(apps: Any, schema_editor: Any) -> None:
    model = apps.get_model("reports", "ResponseTemplate")
    for pk, title in model.objects.values_list("pk", "title_fr"):
        if title in STARTING:
            ar, fr = STARTING[title]
            model.objects.filter(pk=pk).update(title_ar=ar, title_fr=fr, title_en=title)
        elif arabic(title):
            model.objects.filter(pk=pk).update(title_ar=title, title_fr="")


def merge(apps: Any, schema_editor: Any) -> None:
    model = apps.get_model("reports", "ResponseTemplate")
    english = {fr: en for en, (_ar, fr) in STARTING.items()}
    for pk, ar, fr, en in model.objects.values_list("pk", "title_ar", "title_fr", "title_en"):
        title = en if en in STARTING else english.get(fr) or fr or ar or en
        model.objects.filter(pk=pk).update(title_fr=title[:120])


def title(code: str) -> Any:
    return models.CharField(blank=True, max_length=200, verbose_name=f"title ({LANGUAGES[code]})")


class Migration(migrations.Migration):
    dependencies = [("reports", "0006_anonymous_reports_unlinked")]

    operations = [
        migrations.AlterModelOptions(
            name="responsetemplate",
            options={
                "ordering": ["status", "category", "pk"],
                "verbose_name": "response template",
                "verbose_name_plural": "response templates",
            },
        ),
        migrations.RenameField(
            model_name="responsetemplate", old_name="title", new_name="title_fr"
        ),
        migrations.AlterField(model_name="responsetemplate", name="title_fr", field=title("fr")),
        migrations.AddField(model_name="responsetemplate", name="title_ar", field=title("ar")),
        migrations.AddField(model_name="responsetemplate", name="title_en", field=title("en")),
        migrations.RunPython(split, merge),
    ]
