"""Anonymous reports used to keep the signed-in sender's account in ``submitted_by``; forget it.

``report_submit`` no longer stores it. Not reversible: the link is gone on purpose.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def unlink(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Report = apps.get_model("reports", "Report")
    Report.objects.using(schema_editor.connection.alias).filter(
        anonymous=True, submitted_by__isnull=False
    ).update(submitted_by=None)


class Migration(migrations.Migration):
    dependencies = [("reports", "0005_analysis_columns_and_daily_counts")]
    operations = [migrations.RunPython(unlink, migrations.RunPython.noop)]
