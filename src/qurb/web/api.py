from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema

from qurb.core.errors import REFUSAL_CODES, NotFound, Refused, error_code
from qurb.web.common.apierrors import WHEN, error_body
from qurb.web.neighbourhoods.api import router as neighbourhoods_router
from qurb.web.reports.api import router as reports_router


class QurbApi(NinjaAPI):
    """The API whose document says, for each error status an operation declares, when it is
    answered (one wording for every operation: ``apierrors.WHEN``)."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        document = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for operations in document["paths"].values():
            for operation in operations.values():
                for status, response in operation["responses"].items():
                    if int(status) in WHEN:
                        response["description"] = WHEN[int(status)]
        return document


api = QurbApi(
    title="Qurb API",
    version="1",
    description=(
        "Neighbourhoods, their officers, meetings and priorities; concern reports.\n\n"
        "Every error answers `{detail, code, errors}`: `detail` in the caller's language, "
        "`code` stable for programs, `errors` field by field. Each operation lists the "
        "statuses it answers. 403 (refused): "
        + ", ".join(f"`{code}` ({meaning})" for code, meaning in REFUSAL_CODES.items())
        + ". 422 (input not valid): `invalid` for a malformed request, or the code the "
        "service gives, with `errors` field by field. Every GET operation also answers HEAD "
        "(the same status and headers, no body)."
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
    return api.create_response(request, error_body(_("You may not do this."), exc.code), status=403)


@api.exception_handler(NotFound)
@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    """No such object for this caller: 404."""
    return api.create_response(request, error_body(_("Not found."), "not_found"), status=404)


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
        request, error_body(_("The request is not valid."), error_code(exc), errors), status=422
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
        request, error_body(_("The request is not valid."), "invalid", problems), status=422
    )


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """ninja's own refusals; an unreadable body (not JSON, or a form where JSON is expected)
    is said in the caller's language."""
    detail = _("The request could not be read.") if exc.status_code == 400 else str(exc)
    code = "unreadable" if exc.status_code == 400 else "error"
    return api.create_response(request, error_body(detail, code), status=exc.status_code)


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
    if kind == "string_too_short":
        return _("must be at least %(n)s characters long") % {"n": ctx.get("min_length")}
    if kind == "string_too_long":
        return _("may be at most %(n)s characters long") % {"n": ctx.get("max_length")}
    return _("is not valid")


api.add_router("/", neighbourhoods_router)
api.add_router("/", reports_router)
