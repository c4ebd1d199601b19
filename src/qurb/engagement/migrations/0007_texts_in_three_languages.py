"""A meeting's place and agenda, and what was done about a priority, are kept in Arabic, French
and English.

Each single text becomes its ``_fr`` field (renamed, so no value is lost), then moves to its
``_ar`` field when it is written in Arabic script; ``_en`` starts empty. Backwards, each
``_fr`` field takes the Arabic (or English) text when it is empty, and is renamed back."""

import re
from typing import Any

from django.db import migrations, models

ARABIC = re.compile(
    r"[\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufefc]"
)
LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")

# model, old field, max_length (None: a text field; 0: a text field of at most 2000), verbose
TEXTS = [
    ("meeting", "location", 300, "place"),
    ("meeting", "agenda", None, "agenda"),
    ("priorityaction", "description", 0, "what was done"),
]
LANGUAGES = {"ar": "Arabic", "fr": "French", "en": "English"}


def arabic(text: str) -> bool:
    letters = len(ARABIC.findall(text))
    return bool(letters) and letters >= len(LATIN.findall(text))


def field(max_length: int | None, verbose: str, code: str) -> Any:
    name = f"{verbose} ({LANGUAGES[code]})"
    if max_length is None:
        return models.TextField(blank=True, verbose_name=name)
    if max_length == 0:
        return models.TextField(blank=True, max_length=2000, verbose_name=name)
    return models.CharField(blank=True, max_length=max_length, verbose_name=name)


def split(apps: Any, schema_editor: Any) -> None:
    for model_name, stem, _length, _verbose in TEXTS:
        model = apps.get_model("engagement", model_name)
        for pk, value in model.objects.exclude(**{f"{stem}_fr": ""}).values_list(
            "pk", f"{stem}_fr"
        ):
            if arabic(value):
                model.objects.filter(pk=pk).update(**{f"{stem}_ar": value, f"{stem}_fr": ""})


def merge(apps: Any, schema_editor: Any) -> None:
    for model_name, stem, _length, _verbose in TEXTS:
        model = apps.get_model("engagement", model_name)
        for pk, ar, en in model.objects.filter(**{f"{stem}_fr": ""}).values_list(
            "pk", f"{stem}_ar", f"{stem}_en"
        ):
            if ar or en:
                model.objects.filter(pk=pk).update(**{f"{stem}_fr": ar or en})


def operations() -> list[Any]:
    ops: list[Any] = []
    for model_name, stem, length, verbose in TEXTS:
        ops += [
            migrations.RenameField(model_name=model_name, old_name=stem, new_name=f"{stem}_fr"),
            migrations.AlterField(
                model_name=model_name, name=f"{stem}_fr", field=field(length, verbose, "fr")
            ),
            migrations.AddField(
                model_name=model_name, name=f"{stem}_ar", field=field(length, verbose, "ar")
            ),
            migrations.AddField(
                model_name=model_name, name=f"{stem}_en", field=field(length, verbose, "en")
            ),
        ]
    ops.append(migrations.RunPython(split, merge))
    return ops


class Migration(migrations.Migration):
    dependencies = [("engagement", "0006_association_space")]

    operations = operations()
