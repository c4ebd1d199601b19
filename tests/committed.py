"""Tests that commit for real (``transaction=True``, no transaction around the code, as in
production), then put the database back.

Django flushes every table after such a test: the audit trail's append-only triggers refuse
that, and the rest of the suite reads the demo loaded once per session. The ``committed``
fixture (tests/conftest.py) instead snapshots every table before the test and puts every row
back afterwards (the triggers lifted for the audit rows the test wrote), then checks that the
database is exactly as it was, new queued tasks included.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

from django.apps import apps
from django.db import connection, transaction

from qurb.audit.models import AuditEvent

AUDIT_0002 = importlib.import_module("qurb.audit.migrations.0002_append_only_triggers")

Rows = dict[Any, tuple[Any, ...]]
Snapshot = dict[str, tuple[tuple[str, ...], str, Rows]]


def _tables() -> dict[str, str]:
    """Every table of the project's models, with its primary-key column."""
    tables: dict[str, str] = {}
    for model in apps.get_models(include_auto_created=True):
        pk = model._meta.pk
        if not model._meta.proxy and model._meta.managed and pk is not None and pk.column:
            tables[model._meta.db_table] = pk.column
    return dict(sorted(tables.items()))


def snapshot() -> Snapshot:
    snapshot: Snapshot = {}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, pk in _tables().items():
            cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608 - names from the models
            columns = tuple(c[0] for c in cursor.description)
            at = columns.index(pk)
            snapshot[table] = (columns, pk, {row[at]: tuple(row) for row in cursor.fetchall()})
    return snapshot


def differences(before: Snapshot, after: Snapshot) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for table, (_columns, _pk, rows) in before.items():
        now = after[table][2]
        counts = {
            "new": len(now.keys() - rows.keys()),
            "gone": len(rows.keys() - now.keys()),
            "changed": sum(1 for k in rows.keys() & now.keys() if rows[k] != now[k]),
        }
        if any(counts.values()):
            out[table] = counts
    return out


def _param(value: Any) -> Any:
    if connection.vendor == "postgresql" and isinstance(value, dict | list):
        from psycopg.types.json import Jsonb

        return Jsonb(value)
    return value


def _audit_events_delete(ids: list[Any]) -> None:
    """Test clean-up only: the append-only triggers are lifted for this one DELETE."""
    table = AuditEvent._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER audit_event_no_delete")
            _delete(cursor, table, "id", ids)
            cursor.execute(AUDIT_0002.SQLITE[1])
        elif connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER audit_event_no_change")
            _delete(cursor, table, "id", ids)
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER audit_event_no_change")
        else:
            raise NotImplementedError(connection.vendor)


def _delete(cursor: Any, table: str, pk: str, ids: list[Any]) -> None:
    quote = connection.ops.quote_name
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join(["%s"] * len(chunk))
        cursor.execute(f"DELETE FROM {quote(table)} WHERE {quote(pk)} IN ({marks})", chunk)  # noqa: S608


def _restore(before: Snapshot) -> None:
    """Put every table back as in ``before``: remove new rows, undo changes, re-insert what
    went (foreign keys are checked at commit, so the order of the tables does not matter)."""
    after = snapshot()
    audit = AuditEvent._meta.db_table
    added = after[audit][2].keys() - before[audit][2].keys()
    if added:  # first, in a transaction of its own (the triggers are lifted for it)
        _audit_events_delete(sorted(added))
    quote = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        for table, (columns, pk, rows) in before.items():
            if table == audit:
                continue
            now = after[table][2]
            if now.keys() - rows.keys():
                _delete(cursor, table, pk, list(now.keys() - rows.keys()))
            settable = [c for c in columns if c != pk]
            assignments = ", ".join(f"{quote(c)} = %s" for c in settable)
            for key in rows.keys() & now.keys():
                if rows[key] != now[key]:
                    values = dict(zip(columns, rows[key], strict=True))
                    cursor.execute(
                        f"UPDATE {quote(table)} SET {assignments} WHERE {quote(pk)} = %s",  # noqa: S608
                        [_param(values[c]) for c in settable] + [key],
                    )
            names = ", ".join(quote(c) for c in columns)
            marks = ", ".join(["%s"] * len(columns))
            for key in rows.keys() - now.keys():
                cursor.execute(
                    f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})",  # noqa: S608
                    [_param(v) for v in rows[key]],
                )


def committed_then_restored() -> Iterator[None]:
    """The test commits for real; afterwards every table is put back exactly as it was."""
    before = snapshot()
    yield
    _restore(before)
    left = differences(before, snapshot())
    assert not left, f"rows not put back after the committed test: {left}"
