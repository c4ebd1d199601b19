"""A data.police.uk-compatible surface (``/api/forces``, ``/api/locate-neighbourhood``,
``/api/<force>/<neighbourhood>`` and its ``boundary``, ``people``, ``events``,
``priorities``), so clients written for police.uk read Qurb unchanged.

The shapes and the mapping of Qurb's areas to forces and neighbourhoods are in
``qurb.neighbourhoods.policeuk``. police.uk speaks English and its clients send no
``Accept-Language``: without one (and without Qurb's language cookie) the answer is in
English; a client that asks for Arabic, French or English gets that language, as on every
Qurb page. Unknown forces, neighbourhoods and points outside every force answer 404 (as
police.uk does), with a JSON body in Qurb's API error shape; a malformed ``q`` answers 400.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from qurb.areas.models import Area
from qurb.core.params import float_param
from qurb.neighbourhoods import policeuk

View = Callable[..., HttpResponse]
# Accept-Language entries read (a header is a few entries; more is noise or hostile).
MAX_LANGUAGE_ENTRIES = 10
MAX_LANGUAGE_CHARS = 35


def _accepted(header: str) -> list[str]:
    """The language tags of an Accept-Language header, most wanted first (q=0 left out)."""
    weighted: list[tuple[float, int, str]] = []
    for n, entry in enumerate(header.split(",")[:MAX_LANGUAGE_ENTRIES]):
        tag, _sep, params = entry.strip().partition(";")
        tag = tag.strip()
        if not tag or tag == "*" or len(tag) > MAX_LANGUAGE_CHARS:
            continue
        quality = 1.0
        name, _eq, value = params.strip().partition("=")
        if name.strip() == "q":
            quality = float_param(value, minimum=0.0, maximum=1.0) or 0.0
        if quality > 0:
            weighted.append((-quality, n, tag))
    return [tag for _q, _n, tag in sorted(weighted)]


def _language(request: HttpRequest) -> str:
    """The language the request asks for (Qurb's language cookie, then Accept-Language), or
    English, police.uk's language, when it asks for none of Qurb's languages."""
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    wanted = [cookie] if cookie else []
    wanted += _accepted(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
    for tag in wanted:
        try:
            return translation.get_supported_language_variant(tag[:MAX_LANGUAGE_CHARS])
        except LookupError:
            continue
    return "en"


def police_uk(view: View) -> View:
    """GET and HEAD only (405 otherwise: no CSRF check stands before it, as nothing here
    changes anything), in the language chosen by :func:`_language`."""

    @csrf_exempt
    @require_safe
    @wraps(view)
    def answer(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        language = _language(request)
        with translation.override(language):
            response = view(request, *args, **kwargs)
        response.headers["Content-Language"] = language
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response

    return answer


def _json(data: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(
        data,
        safe=False,
        status=status,
        content_type="application/json; charset=utf-8",
        json_dumps_params={"ensure_ascii": False},
    )


def _error(status: int, detail: str, code: str, field: str = "") -> JsonResponse:
    errors = [{"field": field, "message": detail}] if field else []
    return _json({"detail": detail, "code": code, "errors": errors}, status=status)


def _not_found() -> JsonResponse:
    return _error(404, _("No such force or neighbourhood."), "not_found")


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _area(force: str, neighbourhood: str) -> Area | None:
    return policeuk.neighbourhood_named(force, neighbourhood)


@police_uk
def forces(request: HttpRequest) -> HttpResponse:
    return _json(policeuk.force_list_out())


@police_uk
def force(request: HttpRequest, force: str) -> HttpResponse:
    found = policeuk.force_named(force)
    if found is None:
        return _not_found()
    return _json(policeuk.force_out(found, _base(request)))


@police_uk
def senior_officers(request: HttpRequest, force: str) -> HttpResponse:
    found = policeuk.force_named(force)
    if found is None:
        return _not_found()
    return _json(policeuk.people_out(found))


@police_uk
def locate(request: HttpRequest) -> HttpResponse:
    """``?q=<latitude>,<longitude>`` → ``{"force", "neighbourhood"}``."""
    parts = request.GET.get("q", "").split(",")
    lat = float_param(parts[0], minimum=-90, maximum=90) if len(parts) == 2 else None
    lon = float_param(parts[-1], minimum=-180, maximum=180) if len(parts) == 2 else None
    if lat is None or lon is None:
        return _error(
            400,
            _("Give q as a latitude and a longitude, for example q=34.0618,-4.9751."),
            "invalid",
            field="q",
        )
    found = policeuk.neighbourhood_at(lat=lat, lon=lon)
    if found is None:
        return _error(404, _("No neighbourhood contains this point."), "not_found")
    force_area, area = found
    return _json({"force": force_area.code, "neighbourhood": area.code})


@police_uk
def neighbourhoods(request: HttpRequest, force: str) -> HttpResponse:
    found = policeuk.force_named(force)
    if found is None:
        return _not_found()
    return _json(policeuk.neighbourhood_list_out(found))


@police_uk
def neighbourhood(request: HttpRequest, force: str, neighbourhood: str) -> HttpResponse:
    area = _area(force, neighbourhood)
    if area is None:
        return _not_found()
    return _json(policeuk.neighbourhood_out(area, _base(request)))


@police_uk
def boundary(request: HttpRequest, force: str, neighbourhood: str) -> HttpResponse:
    area = _area(force, neighbourhood)
    points = policeuk.boundary_out(area) if area is not None else None
    if points is None:
        return _not_found()
    return _json(points)


@police_uk
def people(request: HttpRequest, force: str, neighbourhood: str) -> HttpResponse:
    area = _area(force, neighbourhood)
    if area is None:
        return _not_found()
    return _json(policeuk.people_out(area))


@police_uk
def events(request: HttpRequest, force: str, neighbourhood: str) -> HttpResponse:
    area = _area(force, neighbourhood)
    if area is None:
        return _not_found()
    return _json(policeuk.events_out(area, _base(request)))


@police_uk
def priorities(request: HttpRequest, force: str, neighbourhood: str) -> HttpResponse:
    area = _area(force, neighbourhood)
    if area is None:
        return _not_found()
    return _json(policeuk.priorities_out(area))
