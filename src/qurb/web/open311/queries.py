"""GET requests: the spec's filters, over the partner's own reports (with its key) or over
what the public may read (without one)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from qurb.reports.models import ApiKey, Category, Report
from qurb.reports.selectors import partner_requests, public_requests
from qurb.reports.services import public_id_normalise, tracking_code_normalise
from qurb.web.open311.formats import not_w3c, w3c_parse
from qurb.web.open311.schema import CLOSED, OPEN

# The spec: a search spans at most 90 days (the last 90 by default) and answers at most 1000.
WINDOW = timedelta(days=90)
MAX_RESULTS = 1000


@dataclass(frozen=True)
class RequestFilters:
    ids: tuple[str, ...] = ()  # tracking codes and public references, normalised
    service_codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: frozenset[str] = frozenset()


def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _moment(params: QueryDict, name: str, errors: list[str]) -> datetime | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    moment = w3c_parse(raw)
    if moment is None:
        errors.append(not_w3c(name))
    return moment


def filters_parse(params: QueryDict) -> tuple[RequestFilters, list[str]]:
    """The filters of ``GET requests`` and every problem with them (messages to show)."""
    errors: list[str] = []
    ids = tuple(
        dict.fromkeys(request_id_normalise(v) for v in _csv(params.get("service_request_id")))
    )
    if ids:  # the spec: service_request_id overrides every other filter
        return RequestFilters(ids=ids[:MAX_RESULTS]), errors
    codes = tuple(_csv(params.get("service_code")))
    unknown = [c for c in codes if c not in Category.values]
    if unknown:
        errors.append(_("Unknown service_code: %(codes)s.") % {"codes": ", ".join(unknown)})
    statuses = frozenset(_csv(params.get("status")))
    if statuses - {OPEN, CLOSED}:
        errors.append(_("status may be open, closed, or both separated by a comma."))
    start = _moment(params, "start_date", errors)
    end = _moment(params, "end_date", errors)
    if errors:
        return RequestFilters(), errors
    if start is None:
        end = end or timezone.now()
        start = end - WINDOW
    elif end is None:
        end = start + WINDOW
    if end < start:
        errors.append(_("end_date is before start_date."))
    elif end - start > WINDOW:
        errors.append(_("The dates may span at most %(days)s days.") % {"days": WINDOW.days})
    filters = RequestFilters(service_codes=codes, start=start, end=end, statuses=statuses)
    return filters, errors


def request_id_normalise(value: str) -> str:
    """A ``service_request_id`` as stored: a tracking code (``Q-…``, the submitter's id) or a
    public reference (``R-…``, everyone else's); the value itself when it is neither (it then
    matches nothing)."""
    return tracking_code_normalise(value) or public_id_normalise(value) or value.strip()


def _split(ids: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(tracking codes, public references)."""
    return [i for i in ids if i.startswith("Q-")], [i for i in ids if i.startswith("R-")]


def _is_open(filters: RequestFilters) -> bool | None:
    return {frozenset({OPEN}): True, frozenset({CLOSED}): False}.get(filters.statuses)


def requests_public(filters: RequestFilters) -> list[Report]:
    """What anyone may list (``public_requests``), newest day first, at most ``MAX_RESULTS``."""
    codes, references = _split(filters.ids)
    if filters.ids and not (codes or references):
        return []  # only ids that cannot be any request's
    return public_requests(
        public_ids=references,
        tracking_codes=codes,
        categories=filters.service_codes,
        start=filters.start,
        end=filters.end,
        is_open=_is_open(filters),
        limit=MAX_RESULTS,
    )


def requests_of_key(api_key: ApiKey, filters: RequestFilters) -> list[Report]:
    """The partner's own requests that match, newest first, at most ``MAX_RESULTS``."""
    codes, references = _split(filters.ids)
    if filters.ids and not (codes or references):
        return []
    return partner_requests(
        api_key,
        tracking_codes=codes,
        public_ids=references,
        categories=filters.service_codes,
        start=filters.start,
        end=filters.end,
        is_open=_is_open(filters),
        limit=MAX_RESULTS,
    )
