from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError

from qurb.core.errors import REFUSAL_CODES, NotFound, Refused, error_code
from qurb.web.neighbourhoods.api import router as neighbourhoods_router
from qurb.web.reports.api import router as reports_router

api = NinjaAPI(
    title="Qurb API",
    version="1",
    description=(
        "Neighbourhoods, their officers, meetings and priorities; concern reports.\n\n"
        "Errors carry a stable `code`. 403 (refused): "
        + ", ".join(f"`{code}` ({meaning})" for code, meaning in REFUSAL_CODES.items())
        + ". 422 (input not valid): `invalid` for a malformed request, or the code the "
        "service gives, with `errors` field by field."
    ),
    openapi_url="/openapi.json",
    # The interactive docs page loads Swagger UI from a CDN, which the CSP (rightly) blocks;
    # clients read the OpenAPI document itself.
    docs_url=None,
    urls_namespace="api-v1",
)


@api.exception_handler(Refused)
def refused(request: HttpRequest, exc: Refused) -> HttpResponse:
    """The caller may not do this: 403 with the refusal's code."""
    return api.create_response(
        request, {"detail": _("You may not do this."), "code": exc.code, "errors": []}, status=403
    )


@api.exception_handler(NotFound)
def not_found(request: HttpRequest, exc: NotFound) -> HttpResponse:
    """No such object for this caller: 404."""
    return api.create_response(
        request, {"detail": _("Not found."), "code": "not_found", "errors": []}, status=404
    )


@api.exception_handler(DjangoValidationError)
def invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    """A service refused the input: 422 with its code and the messages, field by field."""
    errors = [
        {"field": field if field != "__all__" else "", "message": str(message)}
        for field, messages in (
            exc.message_dict.items() if hasattr(exc, "error_dict") else [("", exc.messages)]
        )
        for message in messages
    ]
    return api.create_response(
        request,
        {"detail": _("The request is not valid."), "code": error_code(exc), "errors": errors},
        status=422,
    )


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Say what was wrong, field by field, in the caller's language."""
    problems: list[dict[str, Any]] = []
    for error in exc.errors:
        field = (
            ".".join(str(p) for p in error.get("loc", ())[1:] if p not in {"query", "payload"})
            or "?"
        )
        problems.append(
            {
                "field": field,
                "message": _("%(field)s: %(problem)s")
                % {"field": field, "problem": _describe(error)},
            }
        )
    return api.create_response(
        request,
        {"detail": _("The request is not valid."), "code": "invalid", "errors": problems},
        status=422,
    )


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """ninja's own refusals; an unreadable body (not JSON, or a form where JSON is expected)
    is said in the caller's language."""
    detail = _("The request could not be read.") if exc.status_code == 400 else str(exc)
    code = "unreadable" if exc.status_code == 400 else "error"
    return api.create_response(
        request, {"detail": detail, "code": code, "errors": []}, status=exc.status_code
    )


def _describe(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("this value is required")
    if kind in {"float_parsing", "int_parsing", "float_type", "int_type"}:
        return _("must be a number")
    if kind == "greater_than_equal":
        return _("must be at least %(limit)s") % {"limit": ctx.get("ge")}
    if kind == "greater_than":
        return _("must be greater than %(limit)s") % {"limit": ctx.get("gt")}
    if kind == "less_than_equal":
        return _("must be at most %(limit)s") % {"limit": ctx.get("le")}
    if kind == "less_than":
        return _("must be less than %(limit)s") % {"limit": ctx.get("lt")}
    return _("is not valid")


api.add_router("/", neighbourhoods_router)
api.add_router("/", reports_router)
