"""Searching the whole database, the mail and the logs for what could tie a report to a person.

Shared by tests/reports/test_anonymity.py (through Django's connection) and the browser journey
(through sqlite3 on the served database), so both run the same search: the tables and their
columns come from the models, the rows from plain SQL.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models

# Runs one statement with %s placeholders and returns its rows.
Query = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]
TEXT_FIELDS = (
    models.CharField,  # EmailField, SlugField, URLField too
    models.TextField,
    models.JSONField,
    models.GenericIPAddressField,
)


@dataclass(frozen=True)
class Table:
    name: str
    texts: tuple[str, ...]
    user_fks: tuple[str, ...]
    report_fks: tuple[str, ...]


@dataclass(frozen=True)
class Person:
    """What identifies the resident: their account and strings that name them or their
    browser (username, display name, e-mail, session key, address, device cookie)."""

    user_id: int
    strings: tuple[str, ...]

    @classmethod
    def of(cls, user: Any, *others: str) -> Person:
        given = (user.get_username(), user.email, getattr(user, "display_name", ""), *others)
        return cls(user.pk, tuple(s for s in dict.fromkeys(given) if s))


@dataclass(frozen=True)
class Sent:
    """What identifies the report: its id (as a foreign key) and its codes."""

    report_id: int
    strings: tuple[str, ...]

    @classmethod
    def of(cls, report: Any) -> Sent:
        given = (report.tracking_code, report.token, report.idempotency_key or "")
        return cls(report.pk, tuple(s for s in given if s))


@dataclass
class Findings:
    items: list[str] = field(default_factory=list)

    def add(self, what: str) -> None:
        self.items.append(what[:400])

    def __bool__(self) -> bool:
        return bool(self.items)


def tables() -> list[Table]:
    """Every concrete table of every installed model (many-to-many tables included)."""
    user_model = get_user_model()
    report_model = apps.get_model("reports", "Report")
    found: dict[str, Table] = {}
    for model in apps.get_models(include_auto_created=True):
        opts = model._meta
        if opts.proxy or not opts.managed or opts.db_table in found:
            continue
        fields = opts.concrete_fields
        found[opts.db_table] = Table(
            name=opts.db_table,
            texts=tuple(f.column for f in fields if isinstance(f, TEXT_FIELDS) and f.column),
            user_fks=tuple(
                f.column
                for f in fields
                if f.is_relation and f.related_model is user_model and f.column
            ),
            report_fks=tuple(
                f.column
                for f in fields
                if f.is_relation and f.related_model is report_model and f.column
            ),
        )
    return list(found.values())


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _like(value: str) -> str:
    escaped = value.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matching(
    query: Query, table: Table, strings: Iterable[str], fks: Sequence[str], fk_value: int | None
) -> list[tuple[Any, ...]]:
    conditions: list[str] = []
    params: list[Any] = []
    for column in table.texts:
        for s in strings:
            conditions.append(f"LOWER(CAST({_q(column)} AS TEXT)) LIKE %s ESCAPE '\\'")
            params.append(_like(s))
    if fk_value is not None:
        for column in fks:
            conditions.append(f"{_q(column)} = %s")
            params.append(fk_value)
    if not conditions:
        return []
    sql = f"SELECT * FROM {_q(table.name)} WHERE " + " OR ".join(conditions)  # noqa: S608
    return query(sql, params)


def naming(query: Query, person: Person) -> dict[str, set[tuple[str, ...]]]:
    """Every row, in every table, that names the person: a text or JSON column holding one of
    their strings, or a foreign key to their account. Rows as text, by table."""
    rows: dict[str, set[tuple[str, ...]]] = {}
    for table in tables():
        found = _matching(query, table, person.strings, table.user_fks, person.user_id)
        if found:
            rows[table.name] = {tuple(str(v) for v in row) for row in found}
    return rows


def session_payload(data: str) -> str:
    """A stored session's contents as anyone reading the table sees them: the payload is signed,
    not encrypted (base64 JSON, zlib-compressed when it starts with a dot)."""
    payload = data.split(":", 1)[0]
    compressed = payload.startswith(".")
    raw = base64.urlsafe_b64decode(payload.lstrip(".") + "=" * (-len(payload.lstrip(".")) % 4))
    return (zlib.decompress(raw) if compressed else raw).decode()


def links(
    query: Query,
    person: Person,
    sent: Sent,
    before: dict[str, set[tuple[str, ...]]],
) -> Findings:
    """What ties ``sent`` to ``person`` in the database, given the rows naming the person before
    the submission (``naming`` then):

    * a row that names the person and is new or changed since (the report, its audit event, a
      task, a session touched while sending, …);
    * a row naming the person that holds the report's codes or a foreign key to it;
    * a session that is the person's (their key, or their account signed in) and holds the
      report's codes once decoded.
    """
    findings = Findings()
    after = naming(query, person)
    for name, rows in after.items():
        for row in sorted(rows - before.get(name, set())):
            findings.add(f"{name}: row naming the person written while sending: {row}")
    for table in tables():
        if table.name not in after:
            continue
        for row in _matching(query, table, sent.strings, table.report_fks, sent.report_id):
            if tuple(str(v) for v in row) in after[table.name]:
                findings.add(f"{table.name}: row naming the person and the report: {row}")
    for key, data in query('SELECT session_key, session_data FROM "django_session"', []):
        try:
            content = session_payload(str(data))
            decoded = json.loads(content)
        except (ValueError, zlib.error):
            continue
        theirs = key in person.strings or str(decoded.get("_auth_user_id")) == str(person.user_id)
        if theirs and any(s in content for s in sent.strings):
            findings.add(f"django_session {key}: the person's session holds the report: {content}")
    return findings


def text_links(texts: Iterable[str], person: Person, where: str) -> Findings:
    """Any of the person's strings (or ``user_id=<id>``-like mentions) in free text."""
    findings = Findings()
    id_marks = (
        f"user_id={person.user_id}",
        f"user={person.user_id}",
        f'"user": {person.user_id}',
        f"_auth_user_id': '{person.user_id}'",
    )
    for text in texts:
        lowered = text.lower()
        for s in (*person.strings, *id_marks):
            if s.lower() in lowered:
                findings.add(f"{where}: {s!r} in {text!r}")
    return findings


def mail_texts(messages: Iterable[Any]) -> list[str]:
    return [
        "\n".join(
            [
                str(m.subject),
                str(m.body),
                str(m.from_email),
                *map(str, m.to),
                *map(str, getattr(m, "cc", [])),
                *map(str, getattr(m, "bcc", [])),
                *(f"{k}: {v}" for k, v in getattr(m, "extra_headers", {}).items()),
            ]
        )
        for m in messages
    ]
