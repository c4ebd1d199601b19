"""The one place where a page turns a service's refusal into an answer."""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse

from qurb.core.errors import NotFound, Refused


class RefusalMiddleware:
    """A ``Refused`` or ``NotFound`` raised anywhere under a page answers 404: someone outside
    the object's areas cannot even learn that it exists. (The JSON API maps a refusal to 403
    with its code.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, Refused | NotFound):
            raise Http404 from exception
