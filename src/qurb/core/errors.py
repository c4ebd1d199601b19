"""The two ways a service says no, each with a stable code.

``Refused``: the actor may not do this (no capability, or the object lies outside the areas
where they hold it). Pages answer 404, so that existence does not leak; the API answers 403
with the code. ``Invalid``: the input is wrong; pages show the messages on the form, the API
answers 422 with the code and the messages. Both are mapped in one place each
(``qurb.web.guards.refusals.RefusalMiddleware`` and ``qurb.web.api``).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError

# Every code a refusal may carry, with what it means (listed in the OpenAPI document).
REFUSAL_CODES: dict[str, str] = {
    "out_of_scope": "The caller holds no role that allows this over the object's area.",
    "not_owner": "The object belongs to another person or association.",
    "not_lead": "Only the association's lead may manage its members.",
    "own_case": "The opener of an alert may not validate it.",
    "own_message": "The author of a message may not approve it: a second person reviews it.",
}


class Refused(PermissionDenied):
    """The actor may not do this; ``code`` is one of :data:`REFUSAL_CODES`."""

    def __init__(self, code: str = "out_of_scope") -> None:
        if code not in REFUSAL_CODES:
            raise ValueError(f"unknown refusal code {code!r}")
        super().__init__(code)
        self.code = code


class NotFound(ObjectDoesNotExist):
    """No such object for this reader (absent, or outside what they may read). Pages and the
    API answer 404."""


class Invalid(ValidationError):  # noqa: N818 (reads as "the input is Invalid")
    """The input is wrong: Django's ``ValidationError`` with a stable ``code``.

    ``Invalid({"field": [message]}, code="...")`` keeps the messages per field for forms.
    """

    def __init__(self, message: Any, code: str = "invalid") -> None:
        super().__init__(message, code=code)
        self.stable_code = code


def error_code(exc: ValidationError) -> str:
    """The stable code of a validation error (``invalid`` when none was given)."""
    code = getattr(exc, "stable_code", None) or getattr(exc, "code", None)
    if code:
        return str(code)
    if hasattr(exc, "error_dict"):
        for errors in exc.error_dict.values():
            for error in errors:
                if error.code:
                    return str(error.code)
    return "invalid"
