"""Running a service from a staff page, the same way everywhere."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse


def run_service(
    request: HttpRequest, call: Callable[[], Any], *, back: HttpResponse, done: str | None = None
) -> HttpResponse:
    """Run ``call`` and answer ``back``, with a message: ``done`` (or what ``call`` returns)
    on success, each reason of a refusal, or 404 when the actor's role or scope does not allow
    it, so that existence does not leak."""
    try:
        result = call()
    except PermissionDenied:  # qurb.core.errors.Refused
        raise Http404 from None
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, done if done is not None else str(result))
    return back
