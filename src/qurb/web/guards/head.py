"""HEAD wherever GET is answered (RFC 9110 §9.3.2): the same status and headers, no body.

One place for every view, rather than each view's decorator: pages, feeds, files, the JSON
API (django-ninja routes no HEAD by itself), Open311, the sitemap, the admin, and any view
added later. The request goes down the chain as a GET, so every middleware, decorator and
view answers exactly as it would to GET (a view that tells GET from POST with
``request.method == "GET"`` cannot mistake a HEAD for a form sent); the body is then dropped
here, before anything is written. ``Content-Length`` stays the GET's, as RFC 9110 §8.6
allows, so a client learns the size without downloading. Servers drop a HEAD's body too
(gunicorn, runserver); dropping it here spares them reading it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse


class HeadMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method != "HEAD":
            return self.get_response(request)
        request.method = "GET"
        try:
            response = self.get_response(request)
        finally:
            request.method = "HEAD"
        return without_body(response)


def without_body(response: HttpResponseBase) -> HttpResponseBase:
    """The response with its headers and no body. A streamed one (a file) is not read: its
    file is still closed when the server closes the response."""
    if isinstance(response, StreamingHttpResponse):
        response.streaming_content = iter(())
    elif isinstance(response, HttpResponse) and response.content:
        response.content = b""
    return response
