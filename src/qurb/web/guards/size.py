from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _


class RequestSizeLimitMiddleware:
    """Refuse an over-large request before anything reads its body (413, said in words)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.REQUEST_MAX_BYTES:
            mb = settings.REQUEST_MAX_BYTES // (1024 * 1024)
            message = _("The request is too large: at most %(mb)s MB in all.") % {"mb": mb}
            if request.path.startswith("/api/"):  # the API's error body
                body = {"detail": message, "code": "too_large", "errors": []}
                return JsonResponse(body, status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
