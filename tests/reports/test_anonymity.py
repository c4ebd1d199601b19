"""Anonymity that holds: a signed-in resident's anonymous report keeps no trace of them.

For each channel, the resident (signed in) sends an anonymous report; then every text and JSON
column of every table, every foreign key to the account, the e-mails sent, the log records (all
loggers at DEBUG), the stored photo and the rate-limit cache are searched for anything that
ties the report to the resident (see tests/reports/anonymity.py). The same search finds the
link of an identified report, so it can fail.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import json
import logging
import pickle
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from PIL import Image

from qurb.accounts.models import User
from qurb.audit.models import AuditEvent
from qurb.reports.models import Photo, Report
from qurb.reports.services import ReportInput, api_key_create, report_submit
from qurb.web.guards.intake import DEVICE_COOKIE, intake_trace_seconds
from tests.conftest import signed_in
from tests.reports.anonymity import (
    Findings,
    Person,
    Sent,
    links,
    mail_texts,
    naming,
    text_links,
)
from tests.reports.conftest import point_in, solved, web_key

ADDRESS = "198.51.100.23"  # the resident's connection (TEST-NET-2)
EMAIL = "omar.resident@example.org"
TEXT = "Des jeunes vendent du haschich devant l'école chaque soir vers 18h"
CHANNELS = ["web", "api", "open311"]
AUDIT_0002 = importlib.import_module("qurb.audit.migrations.0002_append_only_triggers")
AUDIT_0003 = importlib.import_module("qurb.audit.migrations.0003_anonymous_submissions_unlinked")
REPORTS_0006 = importlib.import_module("qurb.reports.migrations.0006_anonymous_reports_unlinked")


def query(sql: str, params: Any) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


@pytest.fixture(autouse=True)
def _cheap_proof_of_work(settings: Any) -> None:
    settings.REPORT_POW_MAX_NUMBER = 300


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every logger at DEBUG, the ones that do not propagate to the root included."""
    names = sorted(logging.root.manager.loggerDict)
    caplog.set_level(logging.DEBUG)
    for name in names:
        caplog.set_level(logging.DEBUG, logger=name)
    detached = [
        logger
        for name in names
        if isinstance(logger := logging.getLogger(name), logging.Logger) and not logger.propagate
    ]
    for logger in detached:
        logger.addHandler(caplog.handler)
    yield caplog
    for logger in detached:
        logger.removeHandler(caplog.handler)


def photo_naming(user: User) -> io.BytesIO:
    """A phone photo whose EXIF names its owner (artist, copyright) and where it was taken."""
    image = Image.new("RGB", (64, 48), (30, 120, 30))
    exif = Image.Exif()
    exif[0x013B] = user.get_username()  # Artist
    exif[0x8298] = EMAIL  # Copyright
    exif[0x8825] = {1: "N", 2: (34.0, 3.0, 36.0), 3: "W", 4: (4.0, 58.0, 40.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    out.seek(0)
    out.name = f"{user.get_username()}-IMG_0042.jpg"
    return out


@dataclass
class Sending:
    client: Client
    person: Person
    device: str


def sending(channel: str, user: User) -> Sending:
    """The resident's browser or app, signed in, with what identifies it."""
    client = signed_in(user.get_username())
    if channel == "web":
        assert client.get("/report/", REMOTE_ADDR=ADDRESS).status_code == 200
        device = client.cookies[DEVICE_COOKIE].value
    else:
        device = "dev-" + secrets.token_hex(8)
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    return Sending(client, Person.of(user, session_key, ADDRESS, device), device)


def send(channel: str, s: Sending, user: User, *, anonymous: bool) -> Report:
    lat, lon = point_in("032310107")
    key = secrets.token_hex(8)
    if channel == "web":
        data: dict[str, Any] = {
            "lat": lat,
            "lon": lon,
            "category": "drugs",
            "when": "unknown",
            "description": TEXT,
            "anonymity": "anonymous" if anonymous else "identified",
            "contact_name": "" if anonymous else "Omar",
            "contact_phone": "" if anonymous else "0600000000",
            "altcha": solved(),
            "idempotency_key": key,
            "photos": [photo_naming(user)],
        }
        response = s.client.post("/report/", data, REMOTE_ADDR=ADDRESS)
        assert response.status_code == 302, response.content.decode()[:2000]
        report = Report.objects.get(idempotency_key=web_key(s.client, key))
        sent = s.client.get(response["Location"], REMOTE_ADDR=ADDRESS)
        assert sent.status_code == 200
        assert report.tracking_code in sent.content.decode()
        return report
    if channel == "api":
        body: dict[str, Any] = {
            "category": "drugs",
            "description": TEXT,
            "lat": lat,
            "lon": lon,
            "anonymous": anonymous,
            "altcha": solved(),
        }
        if not anonymous:
            body["contact"] = {"name": "Omar", "email": EMAIL}
        response = s.client.post(
            "/api/v1/reports",
            json.dumps(body),
            content_type="application/json",
            REMOTE_ADDR=ADDRESS,
            HTTP_X_DEVICE_ID=s.device,
            HTTP_IDEMPOTENCY_KEY=key,
        )
        assert response.status_code == 201, response.content
        return Report.objects.get(tracking_code=response.json()["tracking_code"])
    _record, api_key = api_key_create(name="Résidents app")
    form: dict[str, Any] = {
        "api_key": api_key,
        "service_code": "drugs",
        "lat": lat,
        "long": lon,
        "description": TEXT,
        "device_id": s.device,
        "account_id": user.get_username(),
        "media": [photo_naming(user)],
    }
    if not anonymous:
        form |= {"first_name": "Omar", "email": EMAIL}
    response = s.client.post(
        "/open311/v2/requests.json", form, REMOTE_ADDR=ADDRESS, HTTP_IDEMPOTENCY_KEY=key
    )
    assert response.status_code == 201, response.content
    code = response.json()[0]["service_request_id"]
    return Report.objects.get(tracking_code=code)


def rate_limit_findings(person: Person) -> Findings:
    """The rate-limit counters: no address, device or account in clear or as a plain hash,
    and none kept longer than the form says."""
    findings = Findings()
    backend = caches["default"]
    if not isinstance(backend, LocMemCache):  # Redis (CI): the EXPIRE is the same limit_ttl
        return findings
    plain = [hashlib.sha256(s.encode()).hexdigest()[:32] for s in person.strings]
    now = time.time()
    stored = backend._cache  # type: ignore[attr-defined]
    expires = backend._expire_info  # type: ignore[attr-defined]
    for key, value in list(stored.items()):
        text = f"{key} {pickle.loads(value)!r}"  # noqa: S301 - our own cache
        for s in (*person.strings, *plain):
            if s in text:
                findings.add(f"cache {key}: {s!r}")
        if ":rl:" in key and expires[key] - now > intake_trace_seconds():
            findings.add(f"cache {key}: kept {expires[key] - now:.0f}s")
    return findings


def search(
    report: Report,
    person: Person,
    before: dict[str, set[tuple[str, ...]]],
    logs: pytest.LogCaptureFixture,
) -> Findings:
    """Everything that ties ``report`` to ``person``: database, mail, logs, photos, cache."""
    found = links(query, person, Sent.of(report), before)
    found.items += text_links(mail_texts(mail.outbox), person, "mail").items
    log_texts = [r.getMessage() for r in logs.records] + [logs.text]
    found.items += text_links(log_texts, person, "log").items
    for photo in Photo.objects.filter(report=report):
        with default_storage.open(photo.file, "rb") as fh:
            content = fh.read().decode("latin-1")
        found.items += text_links([photo.file, content], person, "photo").items
    found.items += rate_limit_findings(person).items
    return found


@pytest.fixture
def resident(db: None) -> User:
    user = User.objects.get(username="resident")
    user.email = EMAIL
    user.save(update_fields=["email"])
    return user


def anonymous_report_leaves_no_trace(
    channel: str, user: User, logs: pytest.LogCaptureFixture
) -> Report:
    s = sending(channel, user)
    before = naming(query, s.person)
    mail.outbox.clear()
    logs.clear()
    report = send(channel, s, user, anonymous=True)
    found = search(report, s.person, before, logs)
    assert not found, "\n".join(found.items)
    report.refresh_from_db()
    assert report.anonymous
    assert report.submitted_by_id is None
    event = AuditEvent.objects.get(object_type="reports.report", object_id=str(report.pk))
    assert event.actor_id is None
    assert event.actor_label in {"", "system"}
    assert set(event.details) <= {"channel", "photos"}
    assert event.details["channel"] == channel
    return report


@pytest.mark.django_db
@pytest.mark.parametrize("channel", CHANNELS)
def test_anonymous_report_of_a_signed_in_resident_keeps_no_trace_of_them(
    channel: str, resident: User, all_logs: pytest.LogCaptureFixture
) -> None:
    anonymous_report_leaves_no_trace(channel, resident, all_logs)


@pytest.mark.django_db
@pytest.mark.parametrize("channel", CHANNELS)
def test_identified_report_keeps_its_link(
    channel: str, resident: User, all_logs: pytest.LogCaptureFixture
) -> None:
    s = sending(channel, resident)
    before = naming(query, s.person)
    report = send(channel, s, resident, anonymous=False)
    found = search(report, s.person, before, all_logs)
    tables = {item.split(":", 1)[0] for item in found.items}
    if channel == "web":
        # The form knows the account: the report and its audit event name it.
        assert report.submitted_by_id == resident.pk
        event = AuditEvent.objects.get(object_type="reports.report", object_id=str(report.pk))
        assert (event.actor_id, event.actor_label) == (resident.pk, "resident")
        assert {"reports_report", "audit_auditevent"} <= tables, found.items
    else:
        # Partners' channels know no account; the contact given is what names the resident.
        assert "reports_reportercontact" in tables, found.items


@pytest.mark.django_db  # the form lists the neighbourhoods
def test_form_says_how_long_abuse_limits_remember_a_connection() -> None:
    assert intake_trace_seconds() <= 2 * 3600
    for language, words in [("en", "1 hour"), ("fr", "1 heure"), ("ar", "ساعة")]:
        page = Client().get("/report/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        note = page.split('id="trace-note">', 1)[1].split("</p>", 1)[0]
        assert words in note.replace("\xa0", " "), (language, note)
        assert page.index('id="trace-note"') > page.index('name="anonymity"')


# --- committed for real: on_commit hooks, tasks and e-mails run -----------------------------


@pytest.mark.django_db(transaction=True)
def test_committed_anonymous_report_keeps_no_trace(
    committed: None, resident: User, all_logs: pytest.LogCaptureFixture
) -> None:
    report = anonymous_report_leaves_no_trace("web", resident, all_logs)
    assert not transaction.get_connection().in_atomic_block
    assert Report.objects.filter(pk=report.pk).exists()


# --- existing rows: the migrations ----------------------------------------------------------


class _Editor:
    """What the migrations' functions use of a schema editor, on the test's connection (the
    SQLite schema editor refuses to open inside the test's transaction)."""

    connection = connection

    def execute(self, sql: str, params: Any = ()) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def _old_event(report: Report, actor: User, action: str) -> AuditEvent:
    event = AuditEvent(
        actor=actor,
        actor_label=actor.get_username(),
        action=action,
        object_type="reports.report",
        object_id=str(report.pk),
        object_label=str(report),
        area_id=report.district_id,
        details={"channel": "web", "photos": 0},
    )
    event.save()
    return event


@pytest.mark.django_db
def test_migrations_unlink_existing_anonymous_reports_and_their_submission_events() -> None:
    resident = User.objects.get(username="resident")
    chief = User.objects.get(username="chief.medina")
    lat, lon = point_in("032310107")

    def old_report(anonymous: bool) -> Report:
        report, _ = report_submit(
            data=ReportInput(
                category="drugs",
                description=TEXT,
                lat=lat,
                lon=lon,
                channel="web",
                anonymous=anonymous,
                contact_phone="" if anonymous else "0600000000",
            )
        )
        # As stored before: the signed-in sender kept on the report.
        Report.objects.filter(pk=report.pk).update(submitted_by=resident)
        return report

    anonymous, identified = old_report(True), old_report(False)
    # Older rows say "report.submit"; the enum says "reports.submit".
    old = _old_event(anonymous, resident, "report.submit")
    newer = _old_event(anonymous, resident, "reports.submit")
    status = _old_event(anonymous, chief, "report.status")
    kept = _old_event(identified, resident, "report.submit")

    executor = MigrationExecutor(connection)
    target = ("audit", "0003_anonymous_submissions_unlinked")
    assert ("reports", "0006_anonymous_reports_unlinked") in executor.loader.graph.forwards_plan(
        target
    )
    assert target in executor.loader.applied_migrations
    state = executor.loader.project_state(("audit", "0003_anonymous_submissions_unlinked")).apps
    REPORTS_0006.unlink(state, _Editor())
    AUDIT_0003.unlink(state, _Editor())

    anonymous.refresh_from_db()
    identified.refresh_from_db()
    assert anonymous.submitted_by_id is None
    assert identified.submitted_by_id == resident.pk
    events = {
        e.pk: e for e in AuditEvent.objects.filter(pk__in=[old.pk, newer.pk, status.pk, kept.pk])
    }
    assert [(events[e.pk].actor_id, events[e.pk].actor_label) for e in (old, newer)] == [
        (None, "system"),
        (None, "system"),
    ]
    assert events[old.pk].details == {"channel": "web", "photos": 0}
    assert (events[status.pk].actor_id, events[status.pk].actor_label) == (chief.pk, "chief.medina")
    assert (events[kept.pk].actor_id, events[kept.pk].actor_label) == (resident.pk, "resident")
    # The triggers are back: the trail refuses changes again.
    for sql in ("UPDATE audit_auditevent SET actor_label = 'x'", "DELETE FROM audit_auditevent"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    # Run again: nothing left to do.
    AUDIT_0003.unlink(state, _Editor())
