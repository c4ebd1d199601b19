"""What the GeoReport v2 endpoints say: services, their attributes, requests, discovery.

Plain values in the active language; ``formats`` turns them into JSON or XML. A request body
never carries the reporter's name, phone or e-mail; what anyone may read of a request is
``request_public`` (see ``qurb.reports.policy``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qurb.reports.models import Category, Flag, RecurrenceDays, Report, Status, When
from qurb.reports.policy import public_day
from qurb.reports.selectors import PublicPlace

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# The date this interface last changed (discovery's changeset): bump it with any change.
CHANGESET = "2026-05-01T00:00:00Z"

CRIME = gettext_lazy("Crime")
PUBLIC_ORDER = gettext_lazy("Public order and safety")
OTHER = gettext_lazy("Other")

SERVICE_GROUPS: dict[str, Promise] = {
    Category.DRUGS: CRIME,
    Category.ROBBERY: CRIME,
    Category.THEFT: CRIME,
    Category.WEAPONS: CRIME,
    Category.HARASSMENT: CRIME,
    Category.DISORDER: PUBLIC_ORDER,
    Category.ROAD: PUBLIC_ORDER,
    Category.VANDALISM: PUBLIC_ORDER,
    Category.HOOLIGANISM: PUBLIC_ORDER,
    Category.OTHER: OTHER,
}

SERVICE_KEYWORDS: dict[str, Promise] = {
    Category.DRUGS: gettext_lazy("drugs, dealing, hashish, pills"),
    Category.ROBBERY: gettext_lazy("robbery, mugging, bag snatching, violence"),
    Category.THEFT: gettext_lazy("theft, pickpocket, burglary, stolen motorbike"),
    Category.WEAPONS: gettext_lazy("weapon, knife, threat"),
    Category.HARASSMENT: gettext_lazy("harassment, stalking, insults"),
    Category.DISORDER: gettext_lazy("fight, drunkenness, noise, loitering"),
    Category.ROAD: gettext_lazy("speeding, dangerous driving, traffic"),
    Category.VANDALISM: gettext_lazy("vandalism, arson, graffiti, damage"),
    Category.HOOLIGANISM: gettext_lazy("stadium, supporters, match, violence"),
    Category.OTHER: gettext_lazy("other"),
}

OPEN = "open"
CLOSED = "closed"
# A translation may separate its keywords with the Arabic comma (U+060C) or an ideographic
# one; the spec's list is separated by the ASCII comma, in every language.
KEYWORD_SEPARATORS = re.compile(r"[,\u060c\u3001\uff0c]")


def keywords(text: str) -> str:
    """``a, b, c``: the keywords of a translation, separated by ASCII commas."""
    return ", ".join(part.strip() for part in KEYWORD_SEPARATORS.split(text) if part.strip())


def service_list() -> list[dict[str, Any]]:
    """One service per report category."""
    return [
        {
            "service_code": code,
            "service_name": str(label),
            "description": str(label),
            "metadata": True,
            "type": "realtime",
            "keywords": keywords(str(SERVICE_KEYWORDS[code])),
            "group": str(SERVICE_GROUPS[code]),
        }
        for code, label in Category.choices
    ]


def _values(choices: Sequence[tuple[str, Any]]) -> list[dict[str, str]]:
    return [{"key": key, "name": str(name)} for key, name in choices]


def service_definition(service_code: str) -> dict[str, Any]:
    """The attributes every service takes (the same for all categories); none is required."""
    return {
        "service_code": service_code,
        "attributes": [
            {
                "variable": True,
                "code": "flags",
                "datatype": "multivaluelist",
                "required": False,
                "datatype_description": "",
                "order": 1,
                "description": _("What applies? Several answers are possible."),
                "values": _values(Flag.choices),
            },
            {
                "variable": True,
                "code": "when",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": "",
                "order": 2,
                "description": _("When does it happen?"),
                "values": _values(When.choices),
            },
            {
                "variable": True,
                "code": "occurred_at",
                "datatype": "datetime",
                "required": False,
                "datatype_description": _(
                    "A W3C date and time, for example 2026-03-01T21:30:00+01:00."
                ),
                "order": 3,
                "description": _("When did it happen? Required when “when” is “%(moment)s”.")
                % {"moment": When.MOMENT.value},
            },
            {
                "variable": True,
                "code": "recurrence_days",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": "",
                "order": 4,
                "description": _(
                    "On which days does it happen? Required when “when” is “%(recurring)s”."
                )
                % {"recurring": When.RECURRING.value},
                "values": _values(RecurrenceDays.choices),
            },
        ],
    }


def open311_status(report: Report) -> str:
    return OPEN if report.is_open else CLOSED


def request_public(
    report: Report, note: str, place: PublicPlace | None, *, request_id: str
) -> dict[str, Any]:
    """What anyone may read of a request (``qurb.reports.policy``): where it stands, its
    category, the neighbourhood (as ``address``, and a point of the neighbourhood, not of the
    report) and the days it came and last changed; never its text, photos, exact place or
    anything of the reporter. ``request_id`` is the public reference, or the tracking code
    for whoever asked by it."""
    return {
        "service_request_id": request_id,
        "status": open311_status(report),
        "status_notes": note,
        "service_name": str(Category(report.category).label),
        "service_code": report.category,
        "agency_responsible": report.district.name,
        "service_notice": str(Status(report.status).label),
        "requested_datetime": public_day(report.created_at),
        "updated_datetime": public_day(report.updated_at),
        "address": place.name if place else "",
        "lat": place.lat if place else None,
        "long": place.lon if place else None,
    }


def request_full(report: Report, note: str) -> dict[str, Any]:
    """Everything the partner who submitted the request may read back (never the reporter)."""
    return {
        "service_request_id": report.tracking_code,
        "status": open311_status(report),
        "status_notes": note,
        "service_name": str(Category(report.category).label),
        "service_code": report.category,
        "description": report.description,
        "agency_responsible": report.district.name,
        "service_notice": str(Status(report.status).label),
        "requested_datetime": report.created_at,
        "updated_datetime": report.updated_at,
        "expected_datetime": "",
        "address": report.address,
        "address_id": "",
        "zipcode": "",
        "lat": report.lat,
        "long": report.lon,
        "media_url": "",
    }


def submitted(report: Report, account_id: str) -> dict[str, Any]:
    notice = (
        _("If it is happening now, call %(number)s immediately.")
        % {"number": settings.EMERGENCY_NUMBER}
        if report.flag_in_progress
        else _("Received. Keep the tracking code to follow the report.")
    )
    return {
        "service_request_id": report.tracking_code,
        "token": report.token,
        "service_notice": notice,
        "account_id": account_id,
    }


def token_found(report: Report) -> dict[str, Any]:
    return {"token": report.token, "service_request_id": report.tracking_code}


def discovery(endpoint_url: str) -> dict[str, Any]:
    return {
        "changeset": CHANGESET,
        "contact": _("Qurb, the community-policing platform: %(url)s") % {"url": settings.SITE_URL},
        "key_service": _(
            "Partner keys are issued by the Qurb administrators; ask them for an api_key."
        ),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": endpoint_url,
                "changeset": CHANGESET,
                "type": "test" if settings.DEBUG else "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
