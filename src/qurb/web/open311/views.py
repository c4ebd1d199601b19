"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) over Qurb's concern reports.

Every endpoint answers in JSON or XML after its extension. Reads need no key: anyone may list
and read the public subset of the requests (``schema.request_public``: where each stands, its
category and neighbourhood, the day it came; never what it says, its exact place or who sent
it), under their public reference (``R-…``). Partners submit with their ``api_key``; with it
they read back in full what they submitted, under the tracking code (``Q-…``) the submission
returned. Whoever holds a tracking code reads the public subset of that request by it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, validate_email
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils import translation
from django.utils.datastructures import MultiValueDict
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from qurb.reports.apikeys import api_key_authenticate
from qurb.reports.models import ApiKey, Category, Channel, Report, When
from qurb.reports.policy import is_publicly_listed
from qurb.reports.selectors import (
    latest_public_notes,
    public_places,
    report_by_public_id,
    report_by_token,
    report_by_tracking_code,
)
from qurb.reports.services import (
    ReportInput,
    public_id_normalise,
    report_submit,
    tracking_code_normalise,
)
from qurb.web.guards.intake import intake_limited
from qurb.web.open311 import schema
from qurb.web.open311.formats import Format, error_response, not_w3c, render, w3c_parse
from qurb.web.open311.queries import filters_parse, requests_of_key, requests_public

Handler = Callable[..., HttpResponse]
IDEMPOTENCY_KEY_MAX = 64
EMAIL_MAX = 254


def _language(value: str | None) -> str | None:
    """A supported language for the ``locale`` parameter (``fr``, ``fr_MA``, ``ar-MA``…)."""
    if not value:
        return None
    try:
        return translation.get_supported_language_variant(
            value.strip().replace("_", "-").lower()[:16]
        )
    except LookupError:
        return None


def endpoint(*methods: str) -> Callable[[Handler], Handler]:
    """The spec's common ground: methods, ``jurisdiction_id`` and ``locale``; no CSRF (keys)."""
    allowed = {*methods, "HEAD"} if "GET" in methods else set(methods)

    def decorate(view: Handler) -> Handler:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
            out: Format = "xml" if fmt == "xml" else "json"
            params = request.POST if request.method == "POST" else request.GET
            language = _language(params.get("locale") or request.GET.get("locale"))
            switch: AbstractContextManager[Any] = (
                translation.override(language) if language else nullcontext()
            )
            with switch:
                if request.method not in allowed:
                    response = error_response(
                        out, 405, [_("Use %(methods)s here.") % {"methods": ", ".join(methods)}]
                    )
                    response["Allow"] = ", ".join(sorted(allowed))
                    return response
                jurisdiction = params.get("jurisdiction_id") or request.GET.get("jurisdiction_id")
                if jurisdiction and jurisdiction != settings.OPEN311_JURISDICTION:
                    response = error_response(out, 404, [_("jurisdiction not found")])
                else:
                    response = view(request, out, **kwargs)
                response["Content-Language"] = get_language() or settings.LANGUAGE_CODE
            return response

        return wrapper

    return decorate


def _raw_key(request: HttpRequest) -> str:
    value = (
        request.POST.get("api_key")
        or request.GET.get("api_key")
        or request.headers.get("X-Api-Key")
        or ""
    )
    return str(value).strip()


def _key_required(fmt: Format) -> HttpResponse:
    return error_response(fmt, 403, [_("A valid api_key is required.")])


@endpoint("GET")
def discovery(request: HttpRequest, fmt: Format) -> HttpResponse:
    here = reverse("open311:discovery", kwargs={"fmt": fmt})
    root = request.build_absolute_uri(here.removesuffix(f"discovery.{fmt}"))
    return render(fmt, "discovery", schema.discovery(root))


@endpoint("GET")
def services(request: HttpRequest, fmt: Format) -> HttpResponse:
    return render(fmt, "services", schema.service_list())


@endpoint("GET")
def service_definition(request: HttpRequest, fmt: Format, service_code: str) -> HttpResponse:
    if service_code not in Category.values:
        return error_response(
            fmt, 404, [_("Unknown service_code: %(codes)s.") % {"codes": service_code}]
        )
    return render(fmt, "service_definition", schema.service_definition(service_code))


def _key_invalid(fmt: Format) -> HttpResponse:
    return error_response(
        fmt,
        403,
        [_("This api_key is not valid. Reading needs no key: leave it out to read as anyone.")],
    )


def _reader_key(request: HttpRequest) -> tuple[ApiKey | None, bool]:
    """(the partner's key, refused): reads need no key, but a key that is sent must be valid
    (a partner is told its key is wrong rather than silently read as anyone)."""
    raw = _raw_key(request)
    key = api_key_authenticate(raw) if raw else None
    return key, bool(raw) and key is None


def _public_bodies(reports: list[Report], tracking_codes: set[str]) -> list[dict[str, Any]]:
    notes = latest_public_notes(reports)
    places = public_places(reports)
    return [
        schema.request_public(
            r,
            notes.get(r.pk, ""),
            places.get(r.pk),
            request_id=r.tracking_code if r.tracking_code in tracking_codes else str(r.public_id),
        )
        for r in reports
    ]


@endpoint("GET", "POST")
def service_requests(request: HttpRequest, fmt: Format) -> HttpResponse:
    if request.method == "POST":
        return _submit(request, fmt)
    key, refused = _reader_key(request)
    if refused:
        return _key_invalid(fmt)
    filters, errors = filters_parse(request.GET)
    if errors:
        return error_response(fmt, 400, errors)
    if key is None:
        reports = requests_public(filters)
        body = _public_bodies(reports, set(filters.ids))
        return render(fmt, "service_requests", body)
    reports = requests_of_key(key, filters)
    notes = latest_public_notes(reports)
    return render(
        fmt, "service_requests", [schema.request_full(r, notes.get(r.pk, "")) for r in reports]
    )


def _report_by_id(value: str) -> tuple[Report | None, bool]:
    """The report a ``service_request_id`` names, and whether it was named by its tracking
    code; a public reference names only a report the public may read."""
    code = tracking_code_normalise(value)
    if code:
        return report_by_tracking_code(code), True
    report = report_by_public_id(public_id_normalise(value))
    if report is None or not is_publicly_listed(report):
        return None, False
    return report, False


@endpoint("GET")
def service_request(request: HttpRequest, fmt: Format, service_request_id: str) -> HttpResponse:
    key, refused = _reader_key(request)
    if refused:
        return _key_invalid(fmt)
    report, by_code = _report_by_id(service_request_id)
    if report is None:
        return error_response(fmt, 404, [_("No request has this id.")])
    if key is not None and report.api_key_id == key.pk:
        note = latest_public_notes([report]).get(report.pk, "")
        return render(fmt, "service_requests", [schema.request_full(report, note)])
    codes = {report.tracking_code} if by_code else set()
    return render(fmt, "service_requests", _public_bodies([report], codes))


@endpoint("GET")
def token(request: HttpRequest, fmt: Format, token: str) -> HttpResponse:
    report = report_by_token(token)
    if report is None:
        return error_response(fmt, 404, [_("No request has this token.")])
    return render(fmt, "service_requests", [schema.token_found(report)])


def _submit(request: HttpRequest, fmt: Format) -> HttpResponse:
    key = api_key_authenticate(_raw_key(request))
    if key is None:
        return _key_required(fmt)
    if intake_limited(request, api_key=key):
        return error_response(
            fmt,
            429,
            [_("Too many reports from this connection or device. Please try again later.")],
        )
    idempotency = str(request.headers.get("Idempotency-Key", "")).strip()
    data, errors = _report_input(request.POST, request.FILES, key=key, idempotency=idempotency)
    if data is None or errors:
        return error_response(fmt, 400, errors)
    try:
        report, created = report_submit(data=data, api_key=key)
    except ValidationError as exc:
        return error_response(fmt, 400, exc.messages)
    account_id = str(request.POST.get("account_id", ""))[:80]
    return render(
        fmt,
        "service_requests",
        [schema.submitted(report, account_id)],
        status=201 if created else 200,
    )


def _flags(params: QueryDict) -> list[str]:
    """``attribute[flags][]=a&attribute[flags][]=b``; also a repeated or comma list."""
    given = params.getlist("attribute[flags][]") + params.getlist("attribute[flags]")
    return list(dict.fromkeys(f.strip() for v in given for f in v.split(",") if f.strip()))


def _email_valid(email: str) -> bool:
    try:
        validate_email(email)
    except ValidationError:
        return False
    return True


def _point(params: QueryDict, errors: list[str]) -> tuple[float, float] | None:
    lat_raw = str(params.get("lat", "")).strip()
    lon_raw = str(params.get("long", "")).strip()
    if not lat_raw and not lon_raw:
        if params.get("address_string") or params.get("address_id"):
            errors.append(
                _(
                    "A point is required: send lat and long. An address_string alone cannot "
                    "be placed in a police district."
                )
            )
        else:
            errors.append(_("lat and long are required."))
        return None
    try:
        lat, lon = float(lat_raw), float(lon_raw)
    except ValueError:
        lat = lon = math.nan
    if not (math.isfinite(lat) and math.isfinite(lon)):
        errors.append(_("lat and long must be decimal degrees (WGS84)."))
        return None
    return lat, lon


def _report_input(
    params: QueryDict, files: MultiValueDict[str, Any], *, key: ApiKey, idempotency: str
) -> tuple[ReportInput | None, list[str]]:
    """The report an Open311 form describes, or every problem found before intake checks."""
    errors: list[str] = []
    code = str(params.get("service_code", "")).strip()
    if not code:
        errors.append(_("service_code is required."))
    elif code not in Category.values:
        errors.append(_("Unknown service_code: %(codes)s.") % {"codes": code})
    point = _point(params, errors)
    occurred_raw = str(params.get("attribute[occurred_at]", "")).strip()
    occurred_at = w3c_parse(occurred_raw) if occurred_raw else None
    if occurred_raw and occurred_at is None:
        errors.append(not_w3c("attribute[occurred_at]"))
    first = str(params.get("first_name", "")).strip()
    last = str(params.get("last_name", "")).strip()
    phone = str(params.get("phone", "")).strip()
    email = str(params.get("email", "")).strip()
    if email and (len(email) > EMAIL_MAX or not _email_valid(email)):
        errors.append(str(EmailValidator.message))
    if len(idempotency) > IDEMPOTENCY_KEY_MAX:
        errors.append(
            _("The Idempotency-Key header may be at most %(n)s characters.")
            % {"n": IDEMPOTENCY_KEY_MAX}
        )
    if errors or point is None:
        return None, errors
    # media_url is accepted and ignored: Qurb never fetches a remote address.
    return (
        ReportInput(
            category=code,
            description=str(params.get("description", "")),
            lat=point[0],
            lon=point[1],
            channel=Channel.OPEN311,
            flags=_flags(params),
            address=str(params.get("address_string", "")),
            when=str(params.get("attribute[when]", "")).strip() or When.UNKNOWN,
            occurred_at=occurred_at,
            recurrence_days=str(params.get("attribute[recurrence_days]", "")).strip(),
            anonymous=not (first or last or phone or email),
            contact_name=f"{first} {last}".strip(),
            contact_phone=phone,
            contact_email=email,
            language=get_language() or settings.LANGUAGE_CODE,
            idempotency_key=f"o{key.pk}:{idempotency}" if idempotency else "",
            photos=files.getlist("media"),
        ),
        [],
    )
