"""Hostile values in a request's address and form, answered before any view runs.

- An ``<int:…>`` path converter takes any number of ASCII digits: a number past the
  database's 64-bit range (``/staff/reports/99999999999999999999999/``) would crash the
  first query that uses it. It is no object: 404.
- A NUL character cannot be stored as text by PostgreSQL (it raises) and is never typed by
  anyone: a request with one in its path, query string, form or JSON body (raw, or written
  ``\\u0000``) answers 400, said in words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _

from qurb.core.params import in_id_range
from qurb.web.common.errorpages import bad_request_saying

NUL = "\x00"


class HostileParamsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request):
            return _refused(request)
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        for value in (*args, *kwargs.values()):
            if isinstance(value, int) and not isinstance(value, bool) and not in_id_range(value):
                raise Http404
        # A multipart form is read here, once the view is known: the JSON API reads its body
        # itself (and a body read as a form could no longer be read as JSON).
        if _is_multipart(request) and not _is_api(view) and _form_has_nul(request):
            return _refused(request)
        return None


NUL_REFUSED = _("The request contains a character that is not allowed.")


def _refused(request: HttpRequest) -> HttpResponse:
    """400 in the reader's language: in the API's error shape, as ``{"errors": […]}`` to a
    page's script that posted JSON, or the error page for people."""
    if request.path.startswith("/api/"):
        body = {"detail": str(NUL_REFUSED), "code": "not_allowed_character", "errors": []}
        return JsonResponse(body, status=400)
    if request.META.get("CONTENT_TYPE", "").startswith("application/json"):
        return JsonResponse({"errors": [str(NUL_REFUSED)]}, status=400)
    return bad_request_saying(request, NUL_REFUSED)


def _is_multipart(request: HttpRequest) -> bool:
    return request.method == "POST" and request.META.get("CONTENT_TYPE", "").startswith(
        "multipart/"
    )


def _is_api(view: Callable[..., Any]) -> bool:
    return getattr(view, "__module__", "").startswith("ninja")


def _has_nul(request: HttpRequest) -> bool:
    """In the path, the query string, a JSON body or a URL-encoded form (a multipart form is
    checked in ``process_view``)."""
    if NUL in request.path_info or "%00" in request.META.get("QUERY_STRING", ""):
        return True
    if any(NUL in v for values in request.GET.lists() for v in values[1]):
        return True
    if request.method not in {"POST", "PUT", "PATCH"}:
        return False
    content_type = request.META.get("CONTENT_TYPE", "")
    if content_type.startswith("application/json"):
        body = request.body
        return b"\x00" in body or b"\\u0000" in body.lower()
    if content_type.startswith("application/x-www-form-urlencoded"):
        return _form_has_nul(request)
    return False


def _form_has_nul(request: HttpRequest) -> bool:
    return any(NUL in v for _name, values in request.POST.lists() for v in values)
