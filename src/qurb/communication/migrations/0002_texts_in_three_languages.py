"""Venues, stands and programme items (title, place, speakers) keep their texts in Arabic,
French and English.

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

# model, old field, new field stem, max_length (None: a text field), verbose name stem
TEXTS = [
    ("venue", "name", "name", 200, "name"),
    ("venue", "address", "address", 300, "address"),
    ("stand", "name", "name", 200, "name"),
    ("stand", "description", "description", None, "description"),
    ("programmeitem", "title", "title", 200, "title"),
    ("programmeitem", "place", "place", 200, "room or place"),
    ("programmeitem", "speakers", "speakers", 300, "speakers"),
]
LANGUAGES = {"ar": "Arabic", "fr": "French", "en": "English"}


def arabic(text: str) -> bool:
    letters = len(ARABIC.findall(text))
    return bool(letters) and letters >= len(LATIN.findall(text))


def field(max_length: int | None, verbose: str, code: str) -> Any:
    name = f"{verbose} ({LANGUAGES[code]})"
    if max_length is None:
        return models.TextField(blank=True, verbose_name=name)
    return models.CharField(blank=True, max_length=max_length, verbose_name=name)


def split(apps: Any, schema_editor: Any) -> None:
    for model_name, _old, stem, _length, _verbose in TEXTS:
        model = apps.get_model("communication", model_name)
        for pk, value in model.objects.exclude(**{f"{stem}_fr": ""}).values_list(
            "pk", f"{stem}_fr"
        ):
            if arabic(value):
                model.objects.filter(pk=pk).update(**{f"{stem}_ar": value, f"{stem}_fr": ""})


def merge(apps: Any, schema_editor: Any) -> None:
    for model_name, _old, stem, _length, _verbose in TEXTS:
        model = apps.get_model("communication", model_name)
        for pk, ar, en in model.objects.filter(**{f"{stem}_fr": ""}).values_list(
            "pk", f"{stem}_ar", f"{stem}_en"
        ):
            if ar or en:
                model.objects.filter(pk=pk).update(**{f"{stem}_fr": ar or en})


def operations() -> list[Any]:
    ops: list[Any] = [
        migrations.AlterModelOptions(
            name="stand", options={"ordering": ["pk"], "verbose_name": "stand"}
        ),
        migrations.AlterModelOptions(
            name="venue", options={"ordering": ["pk"], "verbose_name": "venue"}
        ),
    ]
    for model_name, old, stem, length, verbose in TEXTS:
        ops += [
            migrations.RenameField(model_name=model_name, old_name=old, new_name=f"{stem}_fr"),
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
    for code in LANGUAGES:
        ops.append(
            migrations.AlterField(
                model_name="event",
                name=f"description_{code}",
                field=field(None, "description", code),
            )
        )
    ops.append(migrations.RunPython(split, merge))
    return ops


class Migration(migrations.Migration):
    dependencies = [("communication", "0001_initial")]

    operations = operations()
