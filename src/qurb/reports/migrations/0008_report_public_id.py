"""Reports get a public reference (``R-XXXX-XXXX-XXXX``), what the public Open311 reads go by.

Every report already stored gets one, synthetic reports apart (they are never shown one by
one). Backwards, the column goes."""

import secrets

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

# The tracking codes' alphabet (reports.services): no look-alikes.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
BATCH = 2000


def _reference() -> str:
    symbols = "".join(secrets.choice(ALPHABET) for _ in range(12))
    return "R-" + "-".join(symbols[i : i + 4] for i in range(0, 12, 4))


def fill(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Report = apps.get_model("reports", "Report")
    rows = Report.objects.using(schema_editor.connection.alias)
    used: set[str] = set()
    while True:
        batch = list(rows.filter(public_id__isnull=True, is_synthetic=False)[:BATCH])
        if not batch:
            return
        for report in batch:
            reference = _reference()
            while reference in used:
                reference = _reference()
            used.add(reference)
            report.public_id = reference
        rows.bulk_update(batch, ["public_id"])


class Migration(migrations.Migration):
    dependencies = [("reports", "0007_response_template_titles")]
    operations = [
        migrations.AddField(
            model_name="report",
            name="public_id",
            field=models.CharField(
                blank=True,
                editable=False,
                max_length=20,
                null=True,
                unique=True,
                verbose_name="public reference",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
