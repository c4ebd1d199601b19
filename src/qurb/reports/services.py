"""Writes about reports: intake, triage, answers. Each runs in one transaction and is audited."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from typing import IO, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qurb.accounts import access
from qurb.accounts.access import Capability
from qurb.accounts.models import User
from qurb.areas.selectors import areas_at
from qurb.audit.actions import AuditAction
from qurb.audit.actions import change as change_of
from qurb.audit.services import audit_record, audited
from qurb.core.errors import Invalid
from qurb.core.photos import CleanPhoto, photo_clean, photo_store
from qurb.language.triage import triage_text
from qurb.reports import policy, rollup
from qurb.reports.apikeys import api_key_forget, api_key_hash
from qurb.reports.models import (
    FINAL_STATUSES,
    TRANSITIONS,
    ApiKey,
    Category,
    Channel,
    Flag,
    Outcome,
    Photo,
    RecurrenceDays,
    Report,
    ReporterContact,
    ReportLabel,
    ResponseTemplate,
    StaffNote,
    Status,
    StatusChange,
    When,
)
from qurb.reports.signals import report_status_changed

# Crockford's base32 without look-alikes: read aloud or typed from a phone without confusion.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
# Words that say "now" in the languages residents write in (the reporter is told to call 19).
NOW_WORDS = [
    "maintenant",
    "en ce moment",
    "à l'instant",
    "right now",
    "happening now",
    "daba",
    "drouk",
    "dorok",
    "الآن",
    "الان",
    "دابا",
    "دروك",
    "حاليا",
    "في هذه اللحظة",
]
_NOW_PATTERN = re.compile(
    r"(?<!\w)(?:" + "|".join(re.escape(w) for w in NOW_WORDS) + r")(?!\w)", re.IGNORECASE
)


def tracking_code_new() -> str:
    """16 symbols of a 30-letter alphabet (78 bits), grouped by four: Q-XXXX-XXXX-XXXX-XXXX."""
    symbols = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(16))
    return "Q-" + "-".join(symbols[i : i + 4] for i in range(0, 16, 4))


def tracking_code_normalise(code: str) -> str:
    cleaned = re.sub(r"[^0-9A-Za-z]", "", code or "").upper()
    if cleaned.startswith("Q") and len(cleaned) == 17:
        cleaned = cleaned[1:]
    cleaned = cleaned.replace("O", "0").replace("I", "1").replace("L", "1")
    if len(cleaned) != 16:
        return ""
    return "Q-" + "-".join(cleaned[i : i + 4] for i in range(0, 16, 4))


def public_id_new() -> str:
    """12 symbols of the same alphabet (59 bits), random: R-XXXX-XXXX-XXXX. Not a secret (the
    public reads list it), only unique and free of any order."""
    symbols = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
    return "R-" + "-".join(symbols[i : i + 4] for i in range(0, 12, 4))


def public_id_normalise(reference: str) -> str:
    """A public reference however it is typed (``r-abcd-efgh-jkmn``, ``RABCDEFGHJKMN``); ""
    when it cannot be one."""
    cleaned = re.sub(r"[^0-9A-Za-z]", "", reference or "").upper()
    if not cleaned.startswith("R") or len(cleaned) != 13:
        return ""
    body = cleaned[1:].replace("O", "0").replace("I", "1").replace("L", "1")
    return "R-" + "-".join(body[i : i + 4] for i in range(0, 12, 4))


def text_says_now(text: str) -> bool:
    return bool(_NOW_PATTERN.search(text or ""))


def idempotency_scope(scope: str, key: str) -> str:
    """The stored form of a client's ``Idempotency-Key`` within ``scope`` (a partner key, or
    the public): a SHA-256 digest, so that any key the header allows (up to 80 characters)
    fits the column whatever the scope's prefix, and two scopes never share a key."""
    return hashlib.sha256(f"{scope}:{key}".encode()).hexdigest()


@dataclass
class ReportInput:
    category: str
    description: str
    lat: float
    lon: float
    channel: str
    flags: Sequence[str] = ()
    address: str = ""
    when: str = When.UNKNOWN
    occurred_at: datetime | None = None
    recurrence_days: str = ""
    recurrence_from: time | None = None
    recurrence_to: time | None = None
    anonymous: bool = True
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    updates_email: str = ""
    language: str = "ar"
    idempotency_key: str = ""
    is_demo: bool = False
    photos: Sequence[IO[bytes]] = field(default_factory=list)


# The earliest moment a report may describe (older is a typing mistake, or a probe).
EARLIEST_MOMENT = datetime(2000, 1, 1, tzinfo=UTC)


def moment_aware(moment: datetime | None) -> datetime | None:
    """A moment as an aware date-time: a naive one (an API client that sent no offset) is
    read in the site's time zone. Moments at the edge of time (years 1 and 9999) are kept
    as they are, to be refused, never moved across the edge."""
    if moment is None or timezone.is_aware(moment):
        return moment
    return moment.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))


def report_validate(data: ReportInput) -> dict[str, list[Any]]:
    """Every problem with the input, field by field (messages in the active language)."""
    errors: dict[str, list[Any]] = {}

    def add(name: str, message: Any) -> None:
        errors.setdefault(name, []).append(message)

    if data.category not in Category.values:
        add("category", _("Choose what the report is about."))
    unknown = [f for f in data.flags if f not in Flag.values]
    if unknown:
        add("flags", _("Unknown flag: %(flags)s.") % {"flags": ", ".join(unknown)})
    # The text is optional (Open311 makes it so): the category and the place say what and
    # where. A text that is given must say something.
    text = (data.description or "").strip()
    if text and len(text) < 10:
        add("description", _("Describe what happens in a few words (at least 10 characters)."))
    if len(text) > settings.REPORT_TEXT_MAX:
        add(
            "description",
            _("The description may be at most %(n)s characters (it has %(m)s).")
            % {"n": settings.REPORT_TEXT_MAX, "m": len(text)},
        )
    if data.channel not in Channel.values:
        add("channel", _("Unknown channel."))
    if data.when not in When.values:
        add("when", _("Say when it happens."))
    if data.when == When.MOMENT and data.occurred_at is None:
        add("occurred_at", _("Give the date and time, or choose “I do not know”."))
    occurred_at = moment_aware(data.occurred_at)
    if occurred_at is not None and occurred_at < EARLIEST_MOMENT:
        add("occurred_at", _("This moment is too long ago: give a date after 2000."))
    elif occurred_at is not None and occurred_at > timezone.now() + timedelta(minutes=10):
        add("occurred_at", _("This moment is in the future."))
    if data.when == When.RECURRING and data.recurrence_days not in RecurrenceDays.values:
        add("recurrence_days", _("Say on which days it happens."))
    if not data.anonymous and not (data.contact_phone or data.contact_email):
        add("contact_phone", _("To be contacted, give a phone number or an e-mail address."))
    if len(data.photos) > settings.REPORT_PHOTOS_MAX:
        add("photos", _("At most %(n)s photos.") % {"n": settings.REPORT_PHOTOS_MAX})
    if not (-90 <= data.lat <= 90 and -180 <= data.lon <= 180):
        add("location", _("This point is not on the map."))
    return errors


def _place(lat: float, lon: float) -> tuple[Any, Any]:
    found = areas_at(lat=lat, lon=lon)
    districts = [a for a in found if a.type.code == settings.REPORT_AREA_TYPE]
    if not districts:
        raise ValidationError(
            {
                "location": [
                    _(
                        "This place is outside every police district served by Qurb. "
                        "Move the marker into a district, or call %(number)s."
                    )
                    % {"number": settings.EMERGENCY_NUMBER}
                ]
            }
        )
    return districts[0], found[-1]


def report_submit(
    *, data: ReportInput, user: Any = None, api_key: ApiKey | None = None
) -> tuple[Report, bool]:
    """Store a report, or return the one already stored under the same idempotency key.

    Returns ``(report, created)``. Raises ``ValidationError`` (a message dict) and stores
    nothing when anything is wrong, photos included.

    An anonymous report forgets who sent it: ``user`` is dropped here, so neither the report
    (``submitted_by``) nor the audit event (actor: the system) can point at an account.
    """
    if data.anonymous:
        user = None
    if data.occurred_at is not None:
        data = replace(data, occurred_at=moment_aware(data.occurred_at))
    if data.idempotency_key:
        existing = Report.objects.filter(idempotency_key=data.idempotency_key).first()
        if existing is not None:
            return existing, False
    errors = report_validate(data)
    if errors:
        raise ValidationError(errors)
    district, area = _place(data.lat, data.lon)
    cleaned: list[CleanPhoto] = []
    for upload in data.photos:
        try:
            cleaned.append(photo_clean(upload))
        except ValidationError as exc:
            raise ValidationError({"photos": exc.messages}) from None
    reported_flags = sorted(set(data.flags))
    flags = set(data.flags)
    if data.when == When.NOW or text_says_now(data.description):
        flags.add(Flag.IN_PROGRESS)
    # The automatic reading: its flags raise the report at once (a weapon or a minor moves it
    # up the queue, "now" shows the call-19 message); staff confirm or correct later. Without
    # a text there is nothing to read: the model would answer from its biases alone.
    suggestion = triage_text(data.description) if data.description.strip() else None
    if suggestion is not None:
        flags |= set(suggestion.flags)
    stored = [photo_store(p) for p in cleaned]
    received = timezone.now()
    when_seen = rollup.seen(
        when=data.when,
        created_at=received,
        occurred_at=data.occurred_at,
        recurrence_days=data.recurrence_days if data.when == When.RECURRING else "",
        recurrence_from=data.recurrence_from if data.when == When.RECURRING else None,
    )
    try:
        with transaction.atomic():
            report = Report.objects.create(
                tracking_code=tracking_code_new(),
                token=secrets.token_hex(12),
                public_id=public_id_new(),
                idempotency_key=data.idempotency_key or None,
                category=data.category,
                reported_category=data.category,
                reported_flags=reported_flags,
                suggested_category=suggestion.category if suggestion else "",
                suggestion_confidence=suggestion.confidence if suggestion else None,
                suggested_flags=suggestion.flags if suggestion else [],
                flag_weapon=Flag.WEAPON in flags,
                flag_minor=Flag.MINOR_INVOLVED in flags,
                flag_near_school=Flag.NEAR_SCHOOL in flags,
                flag_in_progress=Flag.IN_PROGRESS in flags,
                description=data.description.strip(),
                lat=data.lat,
                lon=data.lon,
                address=data.address.strip()[:300],
                district=district,
                area=area,
                when=data.when,
                occurred_at=data.occurred_at,
                recurrence_days=data.recurrence_days if data.when == When.RECURRING else "",
                recurrence_from=data.recurrence_from if data.when == When.RECURRING else None,
                recurrence_to=data.recurrence_to if data.when == When.RECURRING else None,
                channel=data.channel,
                api_key=api_key,
                submitted_by=user if getattr(user, "pk", None) else None,
                anonymous=data.anonymous,
                language=data.language[:8] or "ar",
                is_demo=data.is_demo,
                h3_cell=rollup.cell_of(data.lat, data.lon),
                seen_on=when_seen.on,
                hour_of_week=when_seen.hour_of_week,
            )
            rollup.move(None, rollup.counted(report))
            contact = ReporterContact(
                report=report,
                updates_email=data.updates_email.strip(),
                name="" if data.anonymous else data.contact_name.strip()[:150],
                phone="" if data.anonymous else data.contact_phone.strip()[:32],
                email="" if data.anonymous else data.contact_email.strip(),
            )
            if contact.updates_email or contact.name or contact.phone or contact.email:
                contact.save()
            Photo.objects.bulk_create(
                Photo(report=report, file=name, width=p.width, height=p.height, size=len(p.data))
                for name, p in zip(stored, cleaned, strict=True)
            )
            first = StatusChange.objects.create(report=report, to_status=Status.RECEIVED)
            # The history is known: callers that answer with it need not read it back.
            report._prefetched_objects_cache = {"changes": [first]}  # type: ignore[attr-defined]
            audit_record(
                actor=user,
                action=AuditAction.REPORTS_SUBMIT,
                target=report,
                area_id=district.pk,
                details={"channel": data.channel, "photos": len(stored)},
            )
    except BaseException as exc:
        for name in stored:  # nothing of a refused report stays on disk
            default_storage.delete(name)
        if not isinstance(exc, IntegrityError) or not data.idempotency_key:
            raise
        # The same idempotency key raced in from another request: that one was stored.
        if data.idempotency_key:
            existing = Report.objects.filter(idempotency_key=data.idempotency_key).first()
            if existing is not None:
                return existing, False
        raise
    return report, True


# --- triage -----------------------------------------------------------------------------------


def _notify_after_commit(report: Report, change: StatusChange) -> None:
    from qurb.reports.tasks import notify_reporter

    if ReporterContact.objects.filter(report=report).exclude(updates_email="").exists():
        transaction.on_commit(lambda: notify_reporter.enqueue(change.pk))


@audited(AuditAction.REPORTS_CHANGE_STATUS)
def report_status_change(
    *,
    report: Report,
    to_status: str,
    actor: User,
    public_note: str = "",
    staff_note: str = "",
) -> StatusChange:
    policy.require(actor, Capability.REPORT_TRIAGE, report)
    return _status_change(
        report=report,
        to_status=to_status,
        actor=actor,
        public_note=public_note,
        staff_note=staff_note,
        action=AuditAction.REPORTS_CHANGE_STATUS,
    )


def _status_change(
    *,
    report: Report,
    to_status: str,
    actor: User,
    public_note: str,
    staff_note: str,
    action: AuditAction,
    details: dict[str, Any] | None = None,
) -> StatusChange:
    allowed = TRANSITIONS.get(report.status, frozenset())
    if to_status not in allowed:
        raise ValidationError(
            {
                "to_status": [
                    _("A report that is “%(from)s” cannot become “%(to)s”.")
                    % {
                        "from": Status(report.status).label,
                        "to": Status(to_status).label if to_status in Status.values else to_status,
                    }
                ]
            }
        )
    if to_status in FINAL_STATUSES and not public_note.strip():
        raise ValidationError(
            {"public_note": [_("Tell the reporter what was done (a public note is required).")]}
        )
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if locked.status != report.status:
            raise ValidationError({"to_status": [_("Someone else changed this report; reload.")]})
        change = StatusChange.objects.create(
            report=locked,
            from_status=locked.status,
            to_status=to_status,
            public_note=public_note.strip()[:2000],
            staff_note=staff_note.strip()[:2000],
            actor=actor,
        )
        counted_before = rollup.counted(locked)
        locked.status = to_status
        locked.save(update_fields=["status", "updated_at"])
        rollup.move(counted_before, rollup.counted(locked))
        audit_record(
            actor=actor,
            action=action,
            target=locked,
            area_id=locked.district_id,
            details={
                **(details or {}),
                "changes": {"status": change_of(change.from_status, to_status)},
            },
        )
        if change.public_note:
            _notify_after_commit(locked, change)
        report_status_changed.send(sender=Report, report=locked, change=change)
    report.status = to_status
    return change


@audited(AuditAction.REPORTS_ASSIGN)
def report_assign(*, report: Report, officer: User | None, actor: User) -> Report:
    policy.require(actor, Capability.REPORT_ASSIGN, report)
    if officer is not None and not policy.may(officer, Capability.REPORT_TRIAGE, report):
        raise Invalid(
            {"officer": [_("This officer does not serve this area.")]}, code="officer_out_of_area"
        )
    before = report.assigned_to.get_username() if report.assigned_to else None
    report.assigned_to = officer
    report.save(update_fields=["assigned_to", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.REPORTS_ASSIGN,
        target=report,
        area_id=report.district_id,
        details={
            "changes": {
                "assigned_to": change_of(before, officer.get_username() if officer else None)
            }
        },
    )
    return report


@audited(AuditAction.REPORTS_ADD_NOTE)
def report_note_add(*, report: Report, text: str, actor: User) -> StaffNote:
    policy.require(actor, Capability.REPORT_TRIAGE, report)
    if not text.strip():
        raise Invalid({"text": [_("The note is empty.")]}, code="empty_note")
    note = StaffNote.objects.create(report=report, text=text.strip()[:2000], author=actor)
    audit_record(
        actor=actor,
        action=AuditAction.REPORTS_ADD_NOTE,
        target=report,
        area_id=report.district_id,
        details={"note": note.pk},
    )
    return note


@audited(AuditAction.REPORTS_MERGE)
def report_merge(*, duplicate: Report, into: Report, actor: User) -> Report:
    """Mark ``duplicate`` as a duplicate of ``into``; its reporter is told where it went."""
    policy.require(actor, Capability.REPORT_TRIAGE, duplicate)
    policy.require(actor, Capability.REPORT_TRIAGE, into)
    if duplicate.pk == into.pk or into.duplicate_of_id is not None:
        raise ValidationError({"into": [_("Choose another report to merge into.")]})
    if Status.DUPLICATE not in TRANSITIONS.get(duplicate.status, frozenset()):
        raise ValidationError({"into": [_("This report can no longer be merged.")]})
    # One event: the merge, with the status it moved the duplicate to.
    _status_change(
        report=duplicate,
        to_status=Status.DUPLICATE,
        actor=actor,
        public_note=str(
            _("Other residents reported the same problem; it is followed in a single case.")
        ),
        staff_note=f"→ #{into.pk}",
        action=AuditAction.REPORTS_MERGE,
        details={"into": into.pk},
    )
    duplicate.duplicate_of = into
    duplicate.save(update_fields=["duplicate_of", "updated_at"])
    return duplicate


@audited(AuditAction.REPORTS_CONFIRM_TRIAGE)
def report_triage_confirm(
    *, report: Report, category: str, flags: Sequence[str], actor: User
) -> Report:
    """Staff confirm or correct the category and flags; the result is kept as labelled data."""
    policy.require(actor, Capability.REPORT_TRIAGE, report)
    if category not in Category.values:
        raise ValidationError({"category": [_("Choose a category.")]})
    unknown = [f for f in flags if f not in Flag.values]
    if unknown:
        raise ValidationError(
            {"flags": [_("Unknown flag: %(flags)s.") % {"flags": ", ".join(unknown)}]}
        )
    chosen = set(flags)
    before = {"category": report.category, "flags": report.flags}
    # The counts move from what is stored now, read under a lock.
    counted_before = rollup.counted(Report.objects.select_for_update().get(pk=report.pk))
    report.category = category
    report.flag_weapon = Flag.WEAPON in chosen
    report.flag_minor = Flag.MINOR_INVOLVED in chosen
    report.flag_near_school = Flag.NEAR_SCHOOL in chosen
    report.flag_in_progress = Flag.IN_PROGRESS in chosen
    report.triage_confirmed_at = timezone.now()
    report.triage_confirmed_by = actor
    report.save()
    rollup.move(counted_before, rollup.counted(report))
    if report.description.strip():  # a report without a text teaches the model nothing
        ReportLabel.objects.create(
            report=report,
            text=report.description,
            category=category,
            flags=sorted(chosen),
            suggested_category=report.suggested_category,
            corrected=(
                category != report.suggested_category
                or sorted(chosen) != sorted(report.suggested_flags)
            ),
            author=actor,
        )
    audit_record(
        actor=actor,
        action=AuditAction.REPORTS_CONFIRM_TRIAGE,
        target=report,
        area_id=report.district_id,
        details={
            "changes": {
                "category": change_of(before["category"], category),
                "flags": change_of(before["flags"], sorted(chosen)),
            }
        },
    )
    return report


def report_outcome_record(*, report: Report, outcome: str) -> Report:
    """The reporter's answer, after resolution, to "did things get better?"."""
    if report.status != Status.RESOLVED:
        raise ValidationError({"outcome": [_("You can answer once the report is resolved.")]})
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": [_("Choose one of the answers.")]})
    with transaction.atomic():
        report.outcome = outcome
        report.outcome_at = timezone.now()
        report.save(update_fields=["outcome", "outcome_at", "updated_at"])
        audit_record(
            actor=None,
            action=AuditAction.REPORTS_RECORD_OUTCOME,
            target=report,
            area_id=report.district_id,
            details={"outcome": outcome},
        )
    return report


@audited(AuditAction.REPORTS_READ_CONTACT)
def contact_read(*, report: Report, actor: User) -> ReporterContact | None:
    """The reporter's contact details for follow-up. Each read is audited.

    Only officers and district chiefs of the report's area may read them, and only when the
    reporter chose to be contacted; the updates e-mail is never shown.
    """
    policy.require(actor, Capability.REPORT_CONTACT_READ, report)
    contact = None if report.anonymous else ReporterContact.objects.filter(report=report).first()
    audit_record(
        actor=actor,
        action=AuditAction.REPORTS_READ_CONTACT,
        target=report,
        area_id=report.district_id,
        details={"found": contact is not None},
    )
    return contact


# --- partner keys -------------------------------------------------------------------------------


@audited(AuditAction.REPORTS_CREATE_API_KEY)
def api_key_create(
    *, name: str, actor: User | None = None, is_demo: bool = False
) -> tuple[ApiKey, str]:
    """A new partner key; the clear key is returned once and never stored. Only an
    administrator (or the system: the demo, the command line) creates one."""
    if actor is not None:
        access.require(actor, Capability.API_KEY_MANAGE)
    prefix = secrets.token_hex(4)
    key = f"qurb_{prefix}_{secrets.token_urlsafe(32)}"
    record = ApiKey.objects.create(
        name=name.strip()[:120] or "partner",
        prefix=prefix,
        key_hash=api_key_hash(key),
        created_by=actor if getattr(actor, "pk", None) else None,
        is_demo=is_demo,
    )
    audit_record(
        actor=actor,
        action=AuditAction.REPORTS_CREATE_API_KEY,
        target=record,
        details={"prefix": prefix},
    )
    return record, key


@audited(AuditAction.REPORTS_REVOKE_API_KEY)
def api_key_revoke(*, api_key: ApiKey, actor: User | None = None) -> ApiKey:
    if actor is not None:
        access.require(actor, Capability.API_KEY_MANAGE)
    api_key.is_active = False
    api_key.revoked_at = timezone.now()
    api_key.save(update_fields=["is_active", "revoked_at"])
    api_key_forget(api_key.key_hash)
    transaction.on_commit(lambda: api_key_forget(api_key.key_hash))
    audit_record(
        actor=actor,
        action=AuditAction.REPORTS_REVOKE_API_KEY,
        target=api_key,
        details={"prefix": api_key.prefix},
    )
    return api_key


# --- response templates ---------------------------------------------------------------------------

# What an administrator writes in a response template.
RESPONSE_TEMPLATE_FIELDS = (
    "status",
    "category",
    "title_ar",
    "title_fr",
    "title_en",
    "text_ar",
    "text_fr",
    "text_en",
)


@audited(AuditAction.REPORTS_SAVE_RESPONSE_TEMPLATE)
def response_template_save(
    *, template: ResponseTemplate | None, values: dict[str, Any], actor: User
) -> ResponseTemplate:
    """Create a response template (``template`` None) or change one; the event holds what
    changed, old and new."""
    access.require(actor, Capability.RESPONSE_TEMPLATE_MANAGE)
    unknown = sorted(set(values) - set(RESPONSE_TEMPLATE_FIELDS))
    if unknown:
        raise Invalid({f: [_("This field cannot be set.")] for f in unknown}, code="unknown_field")
    created = template is None
    record = ResponseTemplate() if template is None else template
    before = {f: getattr(record, f) for f in RESPONSE_TEMPLATE_FIELDS}
    for name, value in values.items():
        setattr(record, name, value)
    record.full_clean()
    record.save()
    after = {f: getattr(record, f) for f in RESPONSE_TEMPLATE_FIELDS}
    audit_record(
        actor=actor,
        action=AuditAction.REPORTS_SAVE_RESPONSE_TEMPLATE,
        target=record,
        details={
            "created": created,
            "changes": {f: change_of(before[f], after[f]) for f in after if before[f] != after[f]},
        },
    )
    return record
