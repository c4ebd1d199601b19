"""The JSON API's one error body, ``{detail, code, errors}``, and the statuses an operation
declares with it in the OpenAPI document.

Every error the API answers has this shape: the operations' own replies, the handlers in
``qurb.web.api`` (403, 404, 422, ninja's 400), and the request guards that answer before any
view runs (a NUL character: 400, an over-large body: 413, no such address under ``/api/``:
404)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict

# The statuses an operation may declare, and when the API answers each.
WHEN = {
    400: "The request could not be read: a NUL character anywhere in it (`not_allowed_character`)"
    ", a body that is not JSON (`unreadable`); for a report, a missing or wrong proof of work "
    "(`proof_of_work`) or input the service refused (its code, with `errors`).",
    401: "No partner key (`api_key_required`), or a key that is not valid (`api_key_not_valid`)"
    "; the key goes in the `X-Api-Key` header.",
    403: "The caller may not do this (see the refusal codes in the API description).",
    404: "No such object, or none the caller may read (`not_found`).",
    413: "The request is too large (`too_large`).",
    422: "The input does not match this document (`invalid`, with `errors` field by field), or "
    "the code a service gave.",
    429: "Too many requests from this connection, device or key (`too_many_requests`).",
}


class FieldErrorOut(Schema):
    field: str = Field(description="The input field, dotted for nested ones; empty for the whole")
    message: str = Field(description="What is wrong with it, in the caller's language")


class ErrorOut(Schema):
    # Every error body carries all three fields: the document says so.
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    detail: str = Field(description="What went wrong, in the caller's language")
    code: str = Field("", description="A stable code for programs (see the API description).")
    errors: list[FieldErrorOut] = Field(
        default_factory=list, description="What is wrong, field by field (may be empty)"
    )


def error_body(detail: str, code: str, errors: Iterable[dict[str, str]] = ()) -> dict[str, Any]:
    return {"detail": detail, "code": code, "errors": list(errors)}


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """``response={200: Out, **errors(400, 404)}``: the error statuses an operation answers."""
    unknown = set(statuses) - WHEN.keys()
    if unknown:
        raise ValueError(f"no error status {sorted(unknown)} in the API")
    return dict.fromkeys(statuses, ErrorOut)
