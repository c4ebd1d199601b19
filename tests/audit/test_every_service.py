"""Every service that acts for someone is audited, every action of the vocabulary is used, and
every audited service, called as in production (no transaction around it), commits its work
with exactly one audit event, or refuses an actor out of scope and writes nothing.

The calls commit for real (``transaction=True``). Django would flush the database after each
such test, which the audit trail's append-only triggers refuse (and the rest of the suite reads
the demo): instead, ``committed`` snapshots every table before the test and puts every row back
afterwards, checking that the database is exactly as it was (new tasks in the queue included).
"""

from __future__ import annotations

import importlib
import inspect
import io
import json
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.db.models import Max
from django.utils import timezone

import qurb
from qurb.accounts.models import Association, Rank, Role, User
from qurb.alerts.models import AlertCase
from qurb.areas.models import Area, Generation, Place, PlaceKind
from qurb.audit.actions import DETAILS, AuditAction, change, check_details
from qurb.audit.models import AuditEvent
from qurb.audit.services import AUDITED_SERVICES, takes_actor
from qurb.communication.models import (
    Article,
    Event,
    Newsletter,
    NewsletterItem,
    NewsletterSubscriber,
    Venue,
)
from qurb.core.errors import NotFound
from qurb.engagement.models import Meeting, Registration
from qurb.reports.models import Report, ReporterContact
from tests.alerts.conftest import open_case
from tests.committed import differences, snapshot
from tests.conftest import signed_in

AUDIT_0002 = importlib.import_module("qurb.audit.migrations.0002_append_only_triggers")
SRC = Path(qurb.__file__).parent

FES = "03.231"
MEDINA = "032310107"
MEDINA_S1 = "032310107-S1"
PENDING_ASSOCIATION = "DEMO-FES-0002"  # Zouagha, in Fès: cell.fes verifies it
VERIFIED_ASSOCIATION = "DEMO-FES-0001"  # Fès-Médina, led by the account "association"
SEEN = (34.0651, -4.9796)  # Fès-Médina, first sector (officer.medina's)
# A one-page PDF (pikepdf refuses a catalog without a page tree).
PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
    b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
ALL_CRITERIA = {
    "criteria_minor": True,
    "criteria_confirmed": True,
    "criteria_helpful": True,
    "criteria_safe": True,
}


# --- 1. every service that acts for someone is audited -------------------------------------

# The apps the services live in (checked to be found, so that the enumeration cannot go blind).
SERVICE_APPS = [
    *("accounts", "areas", "reports", "engagement", "communication", "alerts"),
    "messaging",
]

# Services that take an actor but are not ``@audited``, each with why.
EXEMPT: dict[str, str] = {
    "qurb.areas.services.areas_load": (
        "a dry run (commit=False) writes nothing and must record nothing; a committed load "
        "records areas.load in its own transaction, and activation goes through the audited "
        "generation_activate"
    ),
    "qurb.audit.services.audit_record": (
        "the recorder itself: it writes the event, inside the caller's audited transaction"
    ),
}


def _service_modules() -> list[Any]:
    """Every ``qurb.<app>.services`` module (a package with each of its modules), and the
    second-factor module of accounts."""
    names: list[str] = []
    for info in pkgutil.iter_modules(qurb.__path__):
        if not info.ispkg:
            continue
        services = f"qurb.{info.name}.services"
        if (SRC / info.name / "services.py").exists():
            names.append(services)
        elif (SRC / info.name / "services" / "__init__.py").exists():
            inside = pkgutil.iter_modules([str(SRC / info.name / "services")])
            names += [services, *(f"{services}.{m.name}" for m in inside)]
    return [importlib.import_module(n) for n in [*sorted(names), "qurb.accounts.mfa"]]


def _public_functions() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for module in _service_modules():
        for name, value in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(value):
                continue
            if value.__module__ == module.__name__:  # defined there, not imported
                found[f"{module.__name__}.{name}"] = value
    return found


def test_every_service_acting_for_someone_is_audited_or_exempt() -> None:
    modules = {m.__name__ for m in _service_modules()}
    assert {f"qurb.{app}.services" for app in SERVICE_APPS} | {"qurb.accounts.mfa"} <= modules
    functions = _public_functions()
    acting = {name for name, f in functions.items() if takes_actor(f)}
    audited = {name for name, f in functions.items() if hasattr(f, "audit_actions")}
    assert audited <= acting, "an audited service without an actor parameter"
    unaudited = sorted(acting - audited - set(EXEMPT))
    assert not unaudited, f"acting for someone, neither audited nor exempt: {unaudited}"
    stale = sorted(name for name in EXEMPT if name not in acting or name in audited)
    assert not stale, f"exemptions for what is no actor-taking unaudited service: {stale}"
    assert all(reason.strip() for reason in EXEMPT.values())
    for name in audited:
        assert AUDITED_SERVICES[name] == functions[name].audit_actions, name


# --- 2. every action is used ---------------------------------------------------------------


def test_every_action_is_declared_by_a_service_or_recorded_somewhere() -> None:
    assert set(DETAILS) == set(AuditAction)
    declared = {a for actions in AUDITED_SERVICES.values() for a in actions}
    used: set[str] = set()
    for path in SRC.rglob("*.py"):
        if path == SRC / "audit" / "actions.py":
            continue
        used |= set(re.findall(r"AuditAction\.([A-Z][A-Z0-9_]*)", path.read_text()))
    unknown = used - set(AuditAction.__members__)
    assert not unknown, f"names that are no action: {sorted(unknown)}"
    unused = [a for a in AuditAction if a not in declared and a.name not in used]
    assert not unused, f"actions nothing records: {[str(a) for a in unused]}"


# --- 3. every audited service, called for real ----------------------------------------------


def user(username: str) -> User:
    return User.objects.get(username=username)


def area(code: str) -> Area:
    return Area.objects.get(code=code)


def today() -> Any:
    return timezone.localdate()


def _at(day: Any, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _received_report(area_code: str = MEDINA_S1, *, skip: int = 0) -> Report:
    found = Report.objects.filter(area__code=area_code, status="received", duplicate_of=None)
    return found.order_by("pk")[skip]


def _medina_report(*, skip: int = 0) -> Report:
    found = Report.objects.filter(district__code=MEDINA, status="received", duplicate_of=None)
    return found.order_by("pk")[skip]


def _new_user(username: str) -> User:
    from qurb.accounts.services import user_create

    return user_create(username=username, password=None)


def _fes_school() -> Place:
    fes = Area.objects.filter(code__startswith="03231")
    return Place.objects.filter(kind=PlaceKind.SCHOOL, area__in=fes).order_by("pk")[0]


def _demo_event() -> Event:
    return Event.objects.get(slug__startswith="portes-ouvertes")


def _demo_meeting() -> Meeting:
    return Meeting.objects.filter(area__code=MEDINA).order_by("pk")[0]


def _demo_case() -> AlertCase:
    return AlertCase.objects.get(is_exercise=True, child_first_name="Yasmine")


def _priority(title: str = "Éclairage des derbs") -> Any:
    from qurb.engagement.services import priority_set

    return priority_set(
        area=area(MEDINA), title=title, set_on=today(), language="fr", actor=user("chief.medina")
    )


@dataclass
class Call:
    """A call ready to run, what its event must say (its details, computed from the result
    when they depend on it) and which object it names (the result unless said)."""

    run: Callable[[], Any]
    details: dict[str, Any] | Callable[[Any], dict[str, Any]]
    target: Callable[[Any], models.Model] | None = None


Prepare = Callable[[User | None], Call]


# accounts


def _user_create(actor: User | None) -> Call:
    from qurb.accounts.services import user_create

    return Call(lambda: user_create(username="audit.new", password=None, actor=actor), {})


def _user_details_update(actor: User | None) -> Call:
    from qurb.accounts.services import user_details_update

    resident = user("resident")
    assert actor is not None
    return Call(
        lambda: user_details_update(user=resident, values={"display_name": "Omar B."}, actor=actor),
        {"changes": {"display_name": change(resident.display_name, "Omar B.")}},
    )


def _role_grant(actor: User | None) -> Call:
    from qurb.accounts.services import role_grant

    someone = _new_user("audit.chief")
    return Call(
        lambda: role_grant(user=someone, role=Role.DISTRICT_CHIEF, area=area(MEDINA), actor=actor),
        {"role": "district_chief"},
        target=lambda _r: someone,
    )


def _role_revoke(actor: User | None) -> Call:
    from qurb.accounts.services import role_grant, role_revoke

    someone = _new_user("audit.chief")
    assignment = role_grant(user=someone, role=Role.DISTRICT_CHIEF, area=area(MEDINA))
    return Call(
        lambda: role_revoke(assignment=assignment, actor=actor),
        {"role": "district_chief"},
        target=lambda _r: someone,
    )


def _officer_profile_set(actor: User | None) -> Call:
    from qurb.accounts.services import officer_profile_set

    someone = _new_user("audit.officer")
    phone = "+212 535 00 00 99"
    return Call(
        lambda: officer_profile_set(
            user=someone, rank=Rank.INSPECTEUR, public_phone=phone, actor=actor
        ),
        {"changes": {"rank": change("", "inspecteur"), "public_phone": change("", phone)}},
    )


def _association_register(actor: User | None) -> Call:
    from qurb.accounts.services import association_register

    return Call(
        lambda: association_register(
            names={"fr": "Association Derb Lamtiyine"},
            registration_number="AUDIT-1",
            area=area(MEDINA),
            contact_email="audit-1@example.org",
            contact_person="Fatima Zahra",
            documents=[io.BytesIO(PDF)],
            actor=actor,
        ),
        {"documents": 1},
    )


def _association_verify(actor: User | None) -> Call:
    from qurb.accounts.services import association_verify

    application = Association.objects.get(registration_number=PENDING_ASSOCIATION)
    assert actor is not None
    return Call(
        lambda: association_verify(association=application, actor=actor),
        lambda result: {
            "changes": {"status": change("pending", "verified")},
            "lead": result.members.get(association_lead=True).pk,
        },
    )


def _association_reject(actor: User | None) -> Call:
    from qurb.accounts.services import association_reject

    application = Association.objects.get(registration_number=PENDING_ASSOCIATION)
    assert actor is not None
    return Call(
        lambda: association_reject(
            association=application, reason="Dossier incomplet", actor=actor
        ),
        {"changes": {"status": change("pending", "rejected")}, "reason": "Dossier incomplet"},
    )


def _association_member_invite(actor: User | None) -> Call:
    from qurb.accounts.services import association_member_invite

    association = Association.objects.get(registration_number=VERIFIED_ASSOCIATION)
    assert actor is not None
    return Call(
        lambda: association_member_invite(
            association=association, name="Said Fassi", email="said@example.org", actor=actor
        ),
        {"association": association.pk, "invited": True},
    )


def _association_member_remove(actor: User | None) -> Call:
    from qurb.accounts.services import association_member_invite, association_member_remove

    association = Association.objects.get(registration_number=VERIFIED_ASSOCIATION)
    member = association_member_invite(
        association=association, name="Said Fassi", email="said@example.org", actor=user("cell.fes")
    )
    assert actor is not None
    return Call(
        lambda: association_member_remove(user=member, association=association, actor=actor),
        {"association": association.pk},
    )


def _association_member_add(actor: User | None) -> Call:
    from qurb.accounts.services import association_member_add

    association = Association.objects.get(registration_number=VERIFIED_ASSOCIATION)
    someone = _new_user("audit.member")
    return Call(
        lambda: association_member_add(user=someone, association=association, actor=actor),
        {"association": association.pk},
    )


def _user_disable(actor: User | None) -> Call:
    from qurb.accounts.services import user_disable

    someone = _new_user("audit.leaving")
    return Call(lambda: user_disable(user=someone, actor=actor), {})


def _association_document_read(actor: User | None) -> Call:
    from qurb.accounts.services import association_document_read

    application = Association.objects.get(registration_number=PENDING_ASSOCIATION)
    document = application.documents.get()
    assert actor is not None
    return Call(
        lambda: association_document_read(
            actor=actor, association_id=application.pk, document_id=document.pk
        ),
        {"document": document.pk},
        target=lambda _r: application,
    )


def _user_password_set(actor: User | None) -> Call:
    from qurb.accounts.services import user_password_set

    resident = user("resident")
    assert actor is not None
    return Call(
        lambda: user_password_set(user=resident, password="Une phrase assez longue", actor=actor),
        {"usable": True},
    )


# areas


def _generation_activate(actor: User | None) -> Call:
    from qurb.areas.services import generation_activate

    generation = Generation.objects.get(active=True)
    return Call(lambda: generation_activate(generation=generation, actor=actor), {})


def _place_upsert(actor: User | None) -> Call:
    from qurb.areas.services import place_upsert

    return Call(
        lambda: place_upsert(
            code="AUDIT-SCHOOL",
            kind=PlaceKind.SCHOOL,
            lat=SEEN[0],
            lon=SEEN[1],
            names={"ar": "مدرسة", "fr": "École", "en": "School"},
            area=area(MEDINA_S1),
            actor=actor,
        ),
        {},
    )


# reports


def _report_status_change(actor: User | None) -> Call:
    from qurb.reports.services import report_status_change

    report = _medina_report()
    assert actor is not None
    return Call(
        lambda: report_status_change(report=report, to_status="acknowledged", actor=actor),
        {"changes": {"status": change("received", "acknowledged")}},
        target=lambda _r: report,
    )


def _report_assign(actor: User | None) -> Call:
    from qurb.reports.services import report_assign

    report = _received_report(MEDINA_S1)
    before = report.assigned_to.get_username() if report.assigned_to else None
    assert actor is not None
    return Call(
        lambda: report_assign(report=report, officer=user("officer.medina"), actor=actor),
        {"changes": {"assigned_to": change(before, "officer.medina")}},
    )


def _report_note_add(actor: User | None) -> Call:
    from qurb.reports.services import report_note_add

    report = _received_report(MEDINA_S1)
    assert actor is not None
    return Call(
        lambda: report_note_add(report=report, text="Patrouille prévue vendredi.", actor=actor),
        lambda note: {"note": note.pk},
        target=lambda _r: report,
    )


def _report_merge(actor: User | None) -> Call:
    from qurb.reports.services import report_merge

    duplicate, into = _medina_report(skip=1), _medina_report()
    assert actor is not None
    return Call(
        lambda: report_merge(duplicate=duplicate, into=into, actor=actor),
        {"into": into.pk, "changes": {"status": change("received", "duplicate")}},
    )


def _report_triage_confirm(actor: User | None) -> Call:
    from qurb.reports.services import report_triage_confirm

    report = _medina_report()
    before = {"category": report.category, "flags": report.flags}
    assert actor is not None
    return Call(
        lambda: report_triage_confirm(
            report=report, category="drugs", flags=["near_school"], actor=actor
        ),
        {
            "changes": {
                "category": change(before["category"], "drugs"),
                "flags": change(before["flags"], ["near_school"]),
            }
        },
    )


def _contact_read(actor: User | None) -> Call:
    from qurb.reports.services import contact_read

    report = _medina_report()
    found = not report.anonymous and ReporterContact.objects.filter(report=report).exists()
    assert actor is not None
    return Call(
        lambda: contact_read(report=report, actor=actor),
        {"found": found},
        target=lambda _r: report,
    )


def _api_key_create(actor: User | None) -> Call:
    from qurb.reports.services import api_key_create

    return Call(
        lambda: api_key_create(name="Partenaire", actor=actor),
        lambda result: {"prefix": result[0].prefix},
        target=lambda result: result[0],
    )


def _api_key_revoke(actor: User | None) -> Call:
    from qurb.reports.services import api_key_create, api_key_revoke

    key, _clear = api_key_create(name="Partenaire")
    return Call(lambda: api_key_revoke(api_key=key, actor=actor), {"prefix": key.prefix})


def _response_template_save(actor: User | None) -> Call:
    from qurb.reports.services import response_template_save

    assert actor is not None
    values = {"status": "resolved", "title_fr": "Patrouille", "text_fr": "Une patrouille passe."}
    return Call(
        lambda: response_template_save(template=None, values=values, actor=actor),
        {"created": True, "changes": {f: change("", v) for f, v in values.items()}},
    )


# engagement


def _priority_set(actor: User | None) -> Call:
    from qurb.engagement.services import priority_set

    report = _medina_report()
    assert actor is not None
    return Call(
        lambda: priority_set(
            area=area(MEDINA),
            title="Éclairage des derbs",
            set_on=today(),
            evidence_reports=[report.pk],
            language="fr",
            actor=actor,
        ),
        {"reports": 1, "hotspots": 0, "languages": ["fr"]},
    )


def _priority_evidence_add(actor: User | None) -> Call:
    from qurb.engagement.services import priority_evidence_add

    priority, report = _priority(), _medina_report()
    assert actor is not None
    return Call(
        lambda: priority_evidence_add(priority=priority, evidence_reports=[report.pk], actor=actor),
        {"reports": 1, "hotspots": 0},
    )


def _priority_action_add(actor: User | None) -> Call:
    from qurb.engagement.services import priority_action_add

    priority = _priority()
    assert actor is not None
    return Call(
        lambda: priority_action_add(
            priority=priority, description="Lampadaires réparés", done_on=today(), actor=actor
        ),
        {"done_on": today().isoformat(), "progress": "done", "languages": ["fr"]},
        target=lambda _r: priority,
    )


def _priority_close(actor: User | None) -> Call:
    from qurb.engagement.services import priority_close

    priority = _priority()
    assert actor is not None
    return Call(
        lambda: priority_close(priority=priority, actor=actor),
        {"changes": {"status": change("current", "closed")}},
    )


def _meeting_create(actor: User | None) -> Call:
    from qurb.engagement.services import meeting_create

    start = timezone.now() + timedelta(days=3)
    assert actor is not None
    return Call(
        lambda: meeting_create(
            area=area(MEDINA),
            title="Réunion de quartier",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            location="Dar Chabab Batha",
            language="fr",
            actor=actor,
        ),
        {"public": True, "invited": [], "languages": ["fr"]},
    )


def _meeting_hold(actor: User | None) -> Call:
    from qurb.engagement.services import meeting_create, meeting_hold

    start = timezone.now() - timedelta(hours=3)
    meeting = meeting_create(
        area=area(MEDINA),
        title="Réunion de quartier",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        location="Dar Chabab Batha",
        language="fr",
        actor=user("chief.medina"),
    )
    came = Registration.objects.create(meeting=meeting, name="Amina")
    assert actor is not None
    return Call(
        lambda: meeting_hold(
            meeting=meeting, attended=[came.pk], minutes="Éclairage, écoles.", actor=actor
        ),
        {"attended": 1},
    )


def _proposal_add(actor: User | None) -> Call:
    from qurb.engagement.services import proposal_add

    meeting = _demo_meeting()
    assert actor is not None
    return Call(
        lambda: proposal_add(meeting=meeting, text="Un agent aux sorties d'école", actor=actor),
        {"meeting": meeting.pk},
    )


def _proposal_submit(actor: User | None) -> Call:
    from qurb.engagement.services import proposal_submit

    association = Association.objects.get(registration_number=VERIFIED_ASSOCIATION)
    assert actor is not None
    return Call(
        lambda: proposal_submit(
            association=association,
            area=area(MEDINA_S1),
            text="Éclairer la ruelle derrière la medersa",
            actor=actor,
        ),
        {"association": association.pk},
    )


def _proposal_answer(actor: User | None) -> Call:
    from qurb.engagement.services import proposal_add, proposal_answer

    proposal = proposal_add(
        meeting=_demo_meeting(), text="Un agent aux sorties d'école", actor=user("chief.medina")
    )
    assert actor is not None
    return Call(
        lambda: proposal_answer(proposal=proposal, answer="accepted", actor=actor),
        {"changes": {"answer": change("pending", "accepted"), "reason": change("", "")}},
    )


def _action_item_add(actor: User | None) -> Call:
    from qurb.engagement.services import action_item_add

    meeting = _demo_meeting()
    assert actor is not None
    return Call(
        lambda: action_item_add(
            meeting=meeting,
            text="Signaler les lampadaires",
            owner="Commune",
            due_on=today() + timedelta(days=30),
            actor=actor,
        ),
        {"meeting": meeting.pk},
    )


def _action_item_done(actor: User | None) -> Call:
    from qurb.engagement.services import action_item_add, action_item_done

    item = action_item_add(
        meeting=_demo_meeting(),
        text="Signaler les lampadaires",
        owner="Commune",
        due_on=today() + timedelta(days=30),
        actor=user("chief.medina"),
    )
    assert actor is not None
    return Call(
        lambda: action_item_done(item=item, actor=actor),
        {"changes": {"status": change("open", "done")}},
    )


def _survey_open(actor: User | None) -> Call:
    from qurb.engagement.services import survey_open

    assert actor is not None
    return Call(
        lambda: survey_open(
            area=area(MEDINA), opens_on=today(), closes_on=today() + timedelta(days=30), actor=actor
        ),
        {},
    )


# communication


def _event_create(actor: User | None) -> Call:
    from qurb.communication.services import event_create

    assert actor is not None
    return Call(
        lambda: event_create(
            actor=actor,
            area=area(FES),
            kind="public",
            title="Journée de la sécurité routière",
            starts_on=today(),
            ends_on=today(),
            language="fr",
        ),
        {"languages": ["fr"]},
    )


def _venue_add(actor: User | None) -> Call:
    from qurb.communication.services import venue_add

    event = _demo_event()
    assert actor is not None
    return Call(
        lambda: venue_add(
            actor=actor, event=event, name={"ar": "ساحة بوجلود", "fr": "Place Boujloud"}
        ),
        {"event": event.pk, "languages": ["ar", "fr"]},
    )


def _stand_add(actor: User | None) -> Call:
    from qurb.communication.services import stand_add

    venue = Venue.objects.filter(event=_demo_event()).order_by("pk")[0]
    assert actor is not None
    return Call(
        lambda: stand_add(actor=actor, venue=venue, name="Police montée"),
        {"event": venue.event_id, "languages": ["fr"]},
    )


def _programme_add(actor: User | None) -> Call:
    from qurb.communication.services import programme_add

    event = _demo_event()
    assert actor is not None
    return Call(
        lambda: programme_add(
            actor=actor,
            event=event,
            title="Atelier : premiers secours",
            starts_at=_at(event.starts_on, 14),
            ends_at=_at(event.starts_on, 15),
        ),
        {"event": event.pk, "languages": ["fr"]},
    )


def _event_publish(actor: User | None) -> Call:
    from qurb.communication.services import event_publish

    event = _demo_event()
    assert actor is not None
    return Call(
        lambda: event_publish(actor=actor, event=event, published=False),
        {"changes": {"is_published": change(True, False)}},
    )


def _check_in(actor: User | None) -> Call:
    from qurb.communication.services import check_in, event_create

    event = event_create(
        actor=user("cell.fes"),
        area=area(FES),
        kind="public",
        title="Journée de la sécurité routière",
        starts_on=today(),
        ends_on=today(),
    )
    assert actor is not None
    return Call(
        lambda: check_in(actor=actor, event=event, visitor_kind="resident"),
        {"day": today().isoformat(), "kind": "resident"},
    )


def _school_session_save(actor: User | None) -> Call:
    from qurb.communication.services import school_session_save

    school = _fes_school()
    assert actor is not None
    return Call(
        lambda: school_session_save(
            actor=actor,
            school=school,
            topic="road",
            held_on=today() + timedelta(days=7),
            trainer="Brigade de proximité",
        ),
        {"created": True},
    )


def _article_save(actor: User | None) -> Call:
    from qurb.communication.services import article_save

    assert actor is not None
    return Call(
        lambda: article_save(
            actor=actor,
            area=area(FES),
            texts={"fr": {"title": "Rentrée scolaire", "body": "Des agents aux sorties."}},
        ),
        {"created": True},
    )


def _article_move(actor: User | None) -> Call:
    from qurb.communication.services import article_move

    article = Article.objects.get(status="published", area__code=FES)
    assert actor is not None
    return Call(
        lambda: article_move(actor=actor, article=article, status="withdrawn"),
        {"changes": {"status": change("published", "withdrawn")}},
    )


def _newsletter_send(actor: User | None) -> Call:
    from qurb.communication.services import newsletter_send

    NewsletterSubscriber.objects.create(email="reader@example.org", confirmed_at=timezone.now())
    readers = NewsletterSubscriber.objects.filter(active=True, confirmed_at__isnull=False).count()
    articles = list(Article.objects.filter(status="published"))
    assert actor is not None
    return Call(
        lambda: newsletter_send(actor=actor, subject="Nouvelles de Fès", articles=articles),
        {"recipients": readers},
    )


def _fes_draft(*titles: str) -> Newsletter:
    """A draft edition of the Fès prefecture with an item for each title."""
    draft = Newsletter.objects.create(area=area(FES), subject_fr="Lettre de Fès")
    for n, title in enumerate(titles, start=1):
        NewsletterItem.objects.create(
            newsletter=draft, position=n, kind="note", title_fr=title, body_fr="Texte."
        )
    return draft


def _newsletter_compose(actor: User | None) -> Call:
    from qurb.communication.services import ItemDraft, newsletter_compose

    assert actor is not None
    note = ItemDraft(kind="note", titles={"fr": "Portes ouvertes"}, bodies={"fr": "Venez."})
    return Call(lambda: newsletter_compose(actor=actor, area=area(FES), items=[note]), {"items": 1})


def _newsletter_edit(actor: User | None) -> Call:
    from qurb.communication.services import ItemChange, newsletter_edit

    draft = _fes_draft("Un", "Deux")
    first = draft.items.get(position=1)
    assert actor is not None
    change = ItemChange(first.pk, 3, {"fr": "Un, revu"}, {"fr": "Texte revu."})
    return Call(
        lambda: newsletter_edit(
            actor=actor, newsletter=draft, subject={"fr": "Lettre revue"}, changes=[change]
        ),
        {"items": 2},
    )


def _newsletter_edition_send(actor: User | None) -> Call:
    from qurb.communication.models import NewsletterArea
    from qurb.communication.selectors import edition_readers
    from qurb.communication.services import newsletter_edition_send

    reader = NewsletterSubscriber.objects.create(
        email="fes@example.org", confirmed_at=timezone.now()
    )
    NewsletterArea.objects.create(subscriber=reader, area=area(FES))
    draft = _fes_draft("Un")
    readers = edition_readers(area(FES)).count()
    assert actor is not None
    return Call(
        lambda: newsletter_edition_send(actor=actor, newsletter=draft), {"recipients": readers}
    )


def _newsletter_discard(actor: User | None) -> Call:
    from qurb.communication.services import newsletter_discard

    draft = _fes_draft("Un")
    assert actor is not None
    return Call(lambda: newsletter_discard(actor=actor, newsletter=draft), {"items": 1})


def _yearly_report_publish(actor: User | None) -> Call:
    from qurb.communication.services import yearly_report_publish

    year = today().year - 1
    assert actor is not None
    return Call(
        lambda: yearly_report_publish(actor=actor, area=area(FES), year=year), {"year": year}
    )


# alerts


def _case_open(actor: User | None) -> Call:
    assert actor is not None
    return Call(lambda: open_case(actor=actor, photo=None, is_exercise=True), {})


def _case_read(actor: User | None) -> Call:
    from qurb.alerts.services import case_read

    case = _demo_case()
    assert actor is not None
    return Call(lambda: case_read(actor=actor, case_id=case.pk), {"status": "published"})


def _case_photo_read(actor: User | None) -> Call:
    from qurb.alerts.services import case_photo_read

    case = _demo_case()
    assert case.photo
    assert actor is not None
    return Call(lambda: case_photo_read(actor=actor, case_id=case.pk), {"status": "published"})


def _case_validate(actor: User | None) -> Call:
    from qurb.alerts.services import case_validate

    case = open_case(photo=None, is_exercise=True)
    assert actor is not None
    return Call(
        lambda: case_validate(actor=actor, case=case, approve=True, criteria=ALL_CRITERIA),
        {"decision": "publish", "criteria": ALL_CRITERIA},
    )


def _case_update(actor: User | None) -> Call:
    from qurb.alerts.services import case_update

    case = _demo_case()
    assert actor is not None
    return Call(
        lambda: case_update(actor=actor, case=case, clothing="Veste jaune, cartable rose"),
        {"fields": ["clothing"]},
        target=lambda _r: case,
    )


def _case_close(actor: User | None) -> Call:
    from qurb.alerts.services import case_close

    case = _demo_case()
    assert actor is not None
    return Call(lambda: case_close(actor=actor, case=case, reason="found"), {"reason": "found"})


# messaging


def _district_message(
    status: str = "draft", *, author: str = "chief.medina", code: str = MEDINA
) -> Any:
    from qurb.messaging.models import DistrictMessage

    return DistrictMessage.objects.create(
        area=area(code),
        kind="information",
        title_fr="Travaux",
        body_fr="La rue sera fermée jeudi.",
        status=status,
        author=user(author),
        published_at=timezone.now() if status == "published" else None,
        fanned_out_at=timezone.now() if status == "published" else None,
    )


def _message_save(actor: User | None) -> Call:
    from qurb.messaging.services import message_save

    assert actor is not None
    return Call(
        lambda: message_save(
            actor=actor,
            area=area(MEDINA),
            kind="information",
            titles={"fr": "Travaux"},
            bodies={"fr": "La rue sera fermée jeudi."},
        ),
        {"created": True, "languages": ["fr"]},
    )


def _message_submit(actor: User | None) -> Call:
    from qurb.messaging.services import message_submit

    message = _district_message()
    assert actor is not None
    return Call(
        lambda: message_submit(actor=actor, message=message),
        {"changes": {"status": change("draft", "review")}},
    )


def _message_publish(actor: User | None) -> Call:
    from qurb.messaging.services import message_publish

    message = _district_message()
    assert actor is not None
    return Call(
        lambda: message_publish(actor=actor, message=message),
        {"changes": {"status": change("draft", "published")}},
    )


def _message_review(actor: User | None) -> Call:
    from qurb.messaging.services import message_review

    message = _district_message("review", author="officer.medina", code=MEDINA_S1)
    assert actor is not None
    return Call(
        lambda: message_review(actor=actor, message=message, approve=True),
        {"decision": "approve", "changes": {"status": change("review", "published")}},
    )


def _message_withdraw(actor: User | None) -> Call:
    from qurb.messaging.services import message_withdraw

    message = _district_message("published")
    assert actor is not None
    return Call(
        lambda: message_withdraw(actor=actor, message=message),
        {"changes": {"status": change("published", "withdrawn")}},
    )


@dataclass(frozen=True)
class Case:
    prepare: Prepare
    actor: str | None  # who may (None: the system, for services only the system calls)
    refused: str | None  # someone out of scope, refused; None for the UNGUARDED services
    refusal: type[Exception] = PermissionDenied  # NotFound where existence must not leak


A = "qurb.accounts.services."
R = "qurb.reports.services."
G = "qurb.areas.services."
# A package: each service is registered under the module that defines it.
EP, EM, EO, EA, ES = (
    f"qurb.engagement.services.{m}."
    for m in ("priorities", "meetings", "proposals", "action_items", "surveys")
)
C = "qurb.communication.services."
L = "qurb.alerts.services."
M = "qurb.messaging.services."

CASES: dict[str, Case] = {
    A + "user_create": Case(_user_create, "admin", "chief.agdal"),
    A + "user_details_update": Case(_user_details_update, "admin", "chief.agdal"),
    A + "role_grant": Case(_role_grant, "admin", "chief.agdal"),
    A + "role_revoke": Case(_role_revoke, "admin", "chief.agdal"),
    A + "officer_profile_set": Case(_officer_profile_set, "admin", "chief.agdal"),
    # A public application: no one signed in, so the system.
    A + "association_register": Case(_association_register, None, None),
    A + "association_verify": Case(_association_verify, "cell.fes", "cell.meknes"),
    A + "association_reject": Case(_association_reject, "cell.fes", "cell.meknes"),
    A + "association_member_invite": Case(_association_member_invite, "cell.fes", "cell.meknes"),
    A + "association_member_remove": Case(_association_member_remove, "cell.fes", "cell.meknes"),
    A + "association_member_add": Case(_association_member_add, "admin", "chief.agdal"),
    A + "user_disable": Case(_user_disable, "admin", "chief.agdal"),
    A + "user_password_set": Case(_user_password_set, "admin", "chief.agdal"),
    A + "association_document_read": Case(
        _association_document_read, "cell.fes", "cell.meknes", NotFound
    ),
    # Run by the command line and the demo loader only.
    G + "generation_activate": Case(_generation_activate, None, None),
    G + "place_upsert": Case(_place_upsert, None, None),
    R + "report_status_change": Case(_report_status_change, "chief.medina", "chief.agdal"),
    R + "report_assign": Case(_report_assign, "chief.medina", "chief.agdal"),
    R + "report_note_add": Case(_report_note_add, "officer.medina", "officer.agdal"),
    R + "report_merge": Case(_report_merge, "chief.medina", "chief.agdal"),
    R + "report_triage_confirm": Case(_report_triage_confirm, "chief.medina", "chief.agdal"),
    R + "contact_read": Case(_contact_read, "chief.medina", "chief.agdal"),
    R + "api_key_create": Case(_api_key_create, "admin", "chief.agdal"),
    R + "api_key_revoke": Case(_api_key_revoke, "admin", "chief.agdal"),
    R + "response_template_save": Case(_response_template_save, "admin", "chief.agdal"),
    EP + "priority_set": Case(_priority_set, "chief.medina", "chief.agdal"),
    EP + "priority_evidence_add": Case(_priority_evidence_add, "chief.medina", "chief.agdal"),
    EP + "priority_action_add": Case(_priority_action_add, "chief.medina", "chief.agdal"),
    EP + "priority_close": Case(_priority_close, "chief.medina", "chief.agdal"),
    EM + "meeting_create": Case(_meeting_create, "chief.medina", "chief.agdal"),
    EM + "meeting_hold": Case(_meeting_hold, "chief.medina", "chief.agdal"),
    EO + "proposal_add": Case(_proposal_add, "chief.medina", "chief.agdal"),
    EO + "proposal_submit": Case(_proposal_submit, "association", "resident"),
    EO + "proposal_answer": Case(_proposal_answer, "chief.medina", "chief.agdal"),
    EA + "action_item_add": Case(_action_item_add, "chief.medina", "chief.agdal"),
    EA + "action_item_done": Case(_action_item_done, "chief.medina", "chief.agdal"),
    ES + "survey_open": Case(_survey_open, "chief.medina", "chief.agdal"),
    C + "event_create": Case(_event_create, "cell.fes", "cell.meknes"),
    C + "venue_add": Case(_venue_add, "cell.fes", "cell.meknes"),
    C + "stand_add": Case(_stand_add, "cell.fes", "cell.meknes"),
    C + "programme_add": Case(_programme_add, "cell.fes", "cell.meknes"),
    C + "event_publish": Case(_event_publish, "cell.fes", "cell.meknes"),
    C + "check_in": Case(_check_in, "officer.medina", "chief.meknes"),
    C + "school_session_save": Case(_school_session_save, "cell.fes", "cell.meknes"),
    C + "article_save": Case(_article_save, "cell.fes", "cell.meknes"),
    C + "article_move": Case(_article_move, "cell.fes", "cell.meknes"),
    # The newsletter goes to every subscriber: national communication only.
    C + "newsletter_send": Case(_newsletter_send, "admin", "cell.fes"),
    # An edition of an area: whoever sends the newsletter over that area.
    C + "newsletter_compose": Case(_newsletter_compose, "cell.fes", "cell.meknes"),
    C + "newsletter_edit": Case(_newsletter_edit, "cell.fes", "cell.meknes"),
    C + "newsletter_edition_send": Case(_newsletter_edition_send, "cell.fes", "cell.meknes"),
    C + "newsletter_discard": Case(_newsletter_discard, "cell.fes", "cell.meknes"),
    C + "yearly_report_publish": Case(_yearly_report_publish, "cell.fes", "cell.meknes"),
    L + "case_open": Case(_case_open, "officer.medina", "chief.agdal"),
    L + "case_read": Case(_case_read, "chief.medina", "chief.agdal", NotFound),
    L + "case_photo_read": Case(_case_photo_read, "chief.medina", "chief.agdal", NotFound),
    L + "case_validate": Case(_case_validate, "unit.fes", "chief.agdal"),
    L + "case_update": Case(_case_update, "officer.medina", "chief.agdal"),
    L + "case_close": Case(_case_close, "chief.medina", "chief.agdal"),
    M + "message_save": Case(_message_save, "chief.medina", "chief.agdal"),
    M + "message_submit": Case(_message_submit, "chief.medina", "chief.agdal"),
    M + "message_publish": Case(_message_publish, "chief.medina", "chief.agdal"),
    # The second person: the district's chief approves the officer's message.
    M + "message_review": Case(_message_review, "chief.medina", "chief.agdal"),
    M + "message_withdraw": Case(_message_withdraw, "chief.medina", "chief.agdal"),
}

# Audited services that refuse no one, each with why (so no refusal case).
UNGUARDED: dict[str, str] = {
    A + "association_register": "a public application: anyone may apply, no one signed in",
    G + "generation_activate": (
        "no access check: only the command line (load_areas) and the demo loader call it"
    ),
    G + "place_upsert": "no access check: only the demo loader calls it",
}

_service_modules()  # every audited service is registered on import
SERVICES = sorted(AUDITED_SERVICES)
GUARDED = [name for name in SERVICES if name not in UNGUARDED]


def test_every_audited_service_has_a_case() -> None:
    missing = [name for name in SERVICES if name not in CASES]
    assert not missing, f"audited services without a case in CASES: {missing}"
    assert set(CASES) <= set(SERVICES), sorted(set(CASES) - set(SERVICES))
    for name, case in CASES.items():
        assert (case.refused is None) == (name in UNGUARDED), name
    assert all(reason.strip() for reason in UNGUARDED.values())


def _last_event() -> int:
    return int(AuditEvent.objects.aggregate(n=Max("pk"))["n"] or 0)


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", SERVICES)
def test_audited_service_commits_its_work_with_one_event(name: str, committed: None) -> None:
    case = CASES.get(name)
    assert case is not None, f"{name} has no case in CASES"
    actor = user(case.actor) if case.actor else None
    call = case.prepare(actor)
    assert not connection.in_atomic_block  # as in production: the service owns its transaction
    last = _last_event()

    result = call.run()

    assert not connection.in_atomic_block
    events = list(AuditEvent.objects.filter(pk__gt=last).order_by("pk"))
    assert [e.action for e in events] == [str(AUDITED_SERVICES[name][0])], (
        f"{name} committed {[e.action for e in events]}"
    )
    event = events[0]
    if actor is None:
        assert (event.actor_id, event.actor_label) == (None, "system")
    else:
        assert (event.actor_id, event.actor_label) == (actor.pk, actor.username)
    check_details(AuditAction(event.action), event.details)
    expected = call.details(result) if callable(call.details) else call.details
    assert event.details == _json(expected)
    target = call.target(result) if call.target else result
    assert isinstance(target, models.Model)
    assert (event.object_type, event.object_id) == (target._meta.label_lower, str(target.pk))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", GUARDED)
def test_audited_service_refuses_an_actor_out_of_scope_and_writes_nothing(
    name: str, committed: None
) -> None:
    case = CASES.get(name)
    assert case is not None, f"{name} has no case in CASES"
    assert case.refused is not None, f"{name} has no refusal case"
    call = case.prepare(user(case.refused))
    before = snapshot()
    with pytest.raises(case.refusal):
        call.run()
    assert not connection.in_atomic_block
    written = differences(before, snapshot())
    assert not written, f"{name} refused {case.refused} but wrote {written}"


@pytest.mark.django_db(transaction=True)
def test_association_document_download_records_one_read(committed: None, settings: Any) -> None:
    settings.MEDIA_ROOT = settings.QURB_DEMO_MEDIA  # where the demo stored the statutes
    application = Association.objects.get(registration_number=PENDING_ASSOCIATION)
    document = application.documents.get()
    url = f"/staff/associations/{application.pk}/documents/{document.pk}/"
    cell, elsewhere = signed_in("cell.fes"), signed_in("cell.meknes")
    last = _last_event()

    answer = cell.get(url)

    assert answer.status_code == 200
    assert b"".join(answer.streaming_content).startswith(b"%PDF-")  # type: ignore[attr-defined]
    events = list(AuditEvent.objects.filter(pk__gt=last))
    assert [(e.action, e.actor_label, e.details) for e in events] == [
        ("accounts.read_association_document", "cell.fes", {"document": document.pk})
    ]
    assert elsewhere.get(url).status_code == 404
    assert AuditEvent.objects.filter(pk__gt=last).count() == 1
