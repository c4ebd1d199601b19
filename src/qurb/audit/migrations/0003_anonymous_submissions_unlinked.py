"""Submission events of anonymous reports used to name the signed-in sender as actor; make them
the system's, as ``report_submit`` now records them.

The trail is append-only (0002's triggers), so this one UPDATE lifts the UPDATE trigger and
restores it in the same transaction: SQLite drops and recreates it (its DDL is transactional),
PostgreSQL disables and re-enables it under ALTER TABLE's exclusive lock, so no other client
can write in between and a failure rolls the trigger back with the rest. DELETE and TRUNCATE
stay refused throughout. Only ``actor`` and ``actor_label`` change; the event stays.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps
from django.db.models import CharField, Q
from django.db.models.functions import Cast

# The submission's action: "report.submit" in older rows, "reports.submit" since the actions
# became an enum (AuditAction.REPORTS_SUBMIT).
SUBMIT_ACTIONS = ["report.submit", "reports.submit"]

LIFT = {
    "sqlite": ["DROP TRIGGER IF EXISTS audit_event_no_update"],
    # ALTER TABLE refuses while deferred foreign-key checks on the table are pending.
    "postgresql": [
        "SET CONSTRAINTS ALL IMMEDIATE",
        "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_change",
    ],
}
RESTORE = {
    # As created by 0002_append_only_triggers.
    "sqlite": [
        """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent
           BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"""
    ],
    "postgresql": ["ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_no_change"],
}


def unlink(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    alias = schema_editor.connection.alias
    vendor = schema_editor.connection.vendor
    Report = apps.get_model("reports", "Report")
    AuditEvent = apps.get_model("audit", "AuditEvent")  # plain manager: update() is allowed
    anonymous = (
        Report.objects.using(alias)
        .filter(anonymous=True)
        .annotate(key=Cast("pk", CharField(max_length=64)))
        .values("key")
    )
    events = (
        AuditEvent.objects.using(alias)
        .filter(
            action__in=SUBMIT_ACTIONS,
            object_type="reports.report",
            object_id__in=anonymous,
        )
        .filter(Q(actor__isnull=False) | ~Q(actor_label="system"))
    )
    if not events.exists():
        return
    for sql in LIFT.get(vendor, []):
        schema_editor.execute(sql)
    events.update(actor=None, actor_label="system")
    for sql in RESTORE.get(vendor, []):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_append_only_triggers"),
        ("reports", "0006_anonymous_reports_unlinked"),
    ]
    operations = [migrations.RunPython(unlink, migrations.RunPython.noop)]
