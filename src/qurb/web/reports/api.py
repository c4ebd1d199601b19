"""The reports JSON API: submit (with a partner key or a solved proof of work) and follow."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Field, Header, Query, Router, Schema
from ninja import Status as Reply

from qurb.core.errors import Invalid, error_code
from qurb.reports.apikeys import api_key_authenticate
from qurb.reports.models import (
    ApiKey,
    Category,
    Channel,
    Flag,
    RecurrenceDays,
    Report,
    Status,
    When,
)
from qurb.reports.selectors import idempotency_key_used, public_history, report_by_tracking_code
from qurb.reports.selectors import partner_reports as reports_of_partner
from qurb.reports.services import (
    ReportInput,
    idempotency_scope,
    report_submit,
    tracking_code_normalise,
)
from qurb.web.common.apierrors import error_body, errors
from qurb.web.guards.intake import device_id, intake_limited, pow_accept, pow_challenge

router = Router(tags=["reports"])


class ContactIn(Schema):
    name: str = Field("", max_length=150)
    phone: str = Field("", max_length=32)
    email: str = Field("", max_length=254)


class ReportIn(Schema):
    category: Category
    # The service refuses fewer than 10 characters once trimmed; the document says the same.
    description: str = Field(..., min_length=10, max_length=settings.REPORT_TEXT_MAX)
    lat: float = Field(..., ge=-90, le=90)
    lon: float = Field(..., ge=-180, le=180)
    flags: list[Flag] = Field(default_factory=list, max_length=4)
    address: str = Field("", max_length=300)
    when: When = When.UNKNOWN
    occurred_at: datetime | None = None
    recurrence_days: RecurrenceDays | None = None
    recurrence_from: time | None = None
    recurrence_to: time | None = None
    anonymous: bool = True
    contact: ContactIn | None = None
    updates_email: str = Field("", max_length=254)
    altcha: str = Field(
        "",
        max_length=2000,
        description="A solved ALTCHA challenge (GET /reports/challenge); "
        "required without X-Api-Key.",
    )


class ChangeOut(Schema):
    status: str
    status_label: str
    note: str
    at: datetime


class ReportStatusOut(Schema):
    tracking_code: str
    category: str
    status: str
    status_label: str
    district: str
    received_at: datetime
    updated_at: datetime
    in_progress: bool
    history: list[ChangeOut]
    url: str


class SubmittedOut(ReportStatusOut):
    message: str


class ChallengeOut(Schema):
    algorithm: str
    challenge: str
    maxnumber: int
    salt: str
    signature: str


class ListFilters(Schema):
    status: Status | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0)


def _status_out(report: Report, request: HttpRequest) -> dict[str, Any]:
    return {
        "tracking_code": report.tracking_code,
        "category": report.category,
        "status": report.status,
        "status_label": str(Status(report.status).label),
        "district": report.district.name,
        "received_at": report.created_at,
        "updated_at": report.updated_at,
        "in_progress": report.flag_in_progress,
        "history": [
            {
                "status": c.to_status,
                "status_label": str(Status(c.to_status).label),
                "note": c.public_note,
                "at": c.created_at,
            }
            for c in public_history(report)
        ],
        "url": request.build_absolute_uri(reverse("reports:track", args=[report.tracking_code])),
    }


@router.get(
    "/reports/challenge",
    response={200: ChallengeOut, **errors(400)},
    summary="A proof-of-work challenge",
)
def challenge(request: HttpRequest) -> dict[str, Any]:
    return pow_challenge()


@router.post(
    "/reports",
    response={
        200: SubmittedOut,
        201: SubmittedOut,
        **errors(400, 401, 413, 422, 429),
    },
    summary="Submit a concern report",
    description="With `X-Api-Key` (partners) or a solved `altcha` challenge. Send an "
    "`Idempotency-Key` header so that a retried request is stored once (the retry answers 200 "
    "with the same report). A key belongs to its client: the partner key, or for an anonymous "
    "client its `X-Device-Id` (a random identifier only that client knows); without either, "
    "the key is ignored.",
)
def submit(
    request: HttpRequest,
    payload: ReportIn,
    x_api_key: str | None = Header(None, alias="X-Api-Key"),  # type: ignore[type-arg]
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=80),  # type: ignore[type-arg]
) -> Reply[dict[str, Any]]:
    key = api_key_authenticate(x_api_key) if x_api_key else None
    if x_api_key and key is None:
        return Reply(401, error_body(_("This API key is not valid."), "api_key_not_valid"))
    _emails_valid(payload)
    if intake_limited(request, api_key=key):
        return Reply(
            429,
            error_body(
                _("Too many reports from this connection or device. Please try again later."),
                "too_many_requests",
            ),
        )
    # A key is only ever looked up within its client's own scope, so that another client
    # reusing it can never get this client's report (nor skip the proof of work).
    scope = _idempotency_scope(request, key)
    scoped_key = idempotency_scope(scope, idempotency_key) if scope and idempotency_key else ""
    retry = bool(scoped_key) and idempotency_key_used(scoped_key)
    if key is None and not retry and not pow_accept(payload.altcha):
        return Reply(
            400,
            error_body(
                _("The anti-spam proof of work is missing, wrong, expired or already used."),
                "proof_of_work",
                [
                    {
                        "field": "altcha",
                        "message": _("Solve a new challenge from /api/v1/reports/challenge."),
                    }
                ],
            ),
        )
    contact = payload.contact or ContactIn(name="", phone="", email="")
    try:
        report, created = report_submit(
            data=ReportInput(
                category=payload.category,
                description=payload.description,
                lat=payload.lat,
                lon=payload.lon,
                channel=Channel.API,
                flags=[str(f) for f in payload.flags],
                address=payload.address,
                when=payload.when,
                occurred_at=payload.occurred_at,
                recurrence_days=payload.recurrence_days or "",
                recurrence_from=payload.recurrence_from,
                recurrence_to=payload.recurrence_to,
                anonymous=payload.anonymous,
                contact_name=contact.name,
                contact_phone=contact.phone,
                contact_email=contact.email,
                updates_email=payload.updates_email,
                language=get_language() or "ar",
                idempotency_key=scoped_key,
            ),
            api_key=key,
        )
    except ValidationError as exc:
        return Reply(
            400,
            error_body(
                _("The report was not accepted."),
                error_code(exc),
                [
                    {"field": field, "message": str(m)}
                    for field, msgs in exc.message_dict.items()
                    for m in msgs
                ],
            ),
        )
    body = _status_out(report, request)
    body["message"] = (
        _("If it is happening now, call %(number)s immediately.")
        % {"number": settings.EMERGENCY_NUMBER}
        if report.flag_in_progress
        else _("Received. Keep the tracking code to follow the report.")
    )
    return Reply(201 if created else 200, body)


def _idempotency_scope(request: HttpRequest, key: ApiKey | None) -> str:
    """Whose ``Idempotency-Key`` this is: the partner key, else the anonymous client's device
    identifier; "" (the key is ignored) when the client cannot be told apart from others."""
    if key is not None:
        return f"k{key.pk}"
    device = device_id(request)
    return f"d:{device}" if device else ""


def _emails_valid(payload: ReportIn) -> None:
    """Refuse a malformed address at the door (422), not when the update e-mail fails."""
    problems: dict[str, list[str]] = {}
    addresses = {
        "updates_email": payload.updates_email,
        "contact.email": payload.contact.email if payload.contact else "",
    }
    for field, address in addresses.items():
        if address.strip():
            try:
                validate_email(address.strip())
            except ValidationError:
                problems[field] = [_("Give a valid e-mail address.")]
    if problems:
        raise Invalid(problems, code="invalid")


@router.get(
    "/reports/{tracking_code}",
    response={200: ReportStatusOut, **errors(400, 404)},
    summary="Follow a report by its tracking code",
)
def status(request: HttpRequest, tracking_code: str) -> Reply[dict[str, Any]]:
    report = report_by_tracking_code(tracking_code_normalise(tracking_code))
    if report is None:
        return Reply(404, error_body(_("No report has this tracking code."), "not_found"))
    return Reply(200, _status_out(report, request))


@router.get(
    "/reports",
    response={200: list[ReportStatusOut], **errors(400, 401, 422)},
    summary="The reports a partner submitted (X-Api-Key)",
)
def partner_reports(
    request: HttpRequest,
    filters: Query[ListFilters],
    x_api_key: str | None = Header(None, alias="X-Api-Key"),  # type: ignore[type-arg]
) -> Reply[Any]:
    key = api_key_authenticate(x_api_key)
    if key is None:
        return Reply(401, error_body(_("An API key is required (X-Api-Key)."), "api_key_required"))
    rows = reports_of_partner(
        key, status=filters.status or "", offset=filters.offset, limit=filters.limit
    )
    return Reply(200, [_status_out(r, request) for r in rows])
