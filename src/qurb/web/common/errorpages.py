"""The error pages (400, 403, 404, 500 and a refused form), in the reader's language.

They must show when PostgreSQL or Redis is down, so they are rendered from
``errors/base.html`` without a request context: no context processor runs, nothing reads the
session, the user, the cache or the database. The language is the one LocaleMiddleware chose
(URL, cookie, Accept-Language); when the failure came before that middleware, it is worked out
the same way from the request's headers.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import REASON_NO_CSRF_COOKIE
from django.template import loader
from django.utils import translation
from django.utils.functional import Promise
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

TEMPLATE = "errors/base.html"

PAGES: dict[int, tuple[Promise, Promise]] = {
    400: (
        _("This request could not be read"),
        _(
            "Something in the address or the form was not right. Go back and try again, or "
            "start again from the home page."
        ),
    ),
    403: (
        _("You cannot open this page"),
        _(
            "This page is not open to you. If you work for the police, sign in with your "
            "staff account and try again."
        ),
    ),
    404: (
        _("Page not found"),
        _(
            "There is no page at this address, or it is no longer available. Check the "
            "address, or start again from the home page."
        ),
    ),
    500: (
        _("Something went wrong on our side"),
        _("The page could not be shown. It is not your fault: try again in a few minutes."),
    ),
}
REPORT_NOT_RECEIVED = _(
    "If you were sending a report and did not see a tracking code, it may not have reached "
    "us: send it again later."
)
# The line every page carries (base.html), the same message.
EMERGENCY_LINE = (
    "Qurb is not an emergency line. In an emergency, call the police: "
    '<a href="tel:%(number)s"><strong>%(number)s</strong></a>.'
)
CSRF_TITLE = _("This form could not be sent")
CSRF_MESSAGE = _(
    "For your security, the form was refused. This happens when the page stayed open for a "
    "long time. Go back, reload the page and send the form again."
)
CSRF_NO_COOKIE = _(
    "Your browser did not send the cookie that this site's forms need: allow cookies for this "
    "site, then try again."
)


def _language(request: HttpRequest) -> str:
    """LocaleMiddleware's choice, or the same choice made here if it had not run yet."""
    code = getattr(request, "LANGUAGE_CODE", "") or ""
    try:
        code = code or translation.get_language_from_request(request)
        return translation.get_supported_language_variant(code)
    except LookupError:
        return settings.LANGUAGE_CODE


def _page(
    request: HttpRequest,
    status: int,
    title: Promise,
    message: Promise,
    notes: tuple[Promise, ...] = (),
) -> HttpResponse:
    language = _language(request)
    with translation.override(language):
        context = {
            "status": status,
            "title": title,
            "message": message,
            "notes": notes,
            "EMERGENCY_NUMBER": settings.EMERGENCY_NUMBER,
            "path": request.path,
        }
        try:
            # No request: a plain Context, so no context processor (user, cache, database).
            html = loader.get_template(TEMPLATE).render(context)
        except Exception:  # the last page a person sees must not fail itself
            logger.exception("The %s error page could not be rendered", status)
            html = _bare_page(language, status, title, message, notes)
    response = HttpResponse(html, status=status, content_type="text/html; charset=utf-8")
    response.headers.setdefault("Content-Language", language)
    return response


def _bare_page(
    language: str, status: int, title: Promise, message: Promise, notes: tuple[Promise, ...]
) -> str:
    """The same page without the template engine or the static files."""
    rtl = translation.get_language_bidi()
    number = escape(settings.EMERGENCY_NUMBER)
    return (
        f'<!doctype html><html lang="{language}" dir="{"rtl" if rtl else "ltr"}">'
        f'<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, '
        f'initial-scale=1"><title>{escape(title)}</title></head><body>'
        f'<p role="note">{translation.gettext(EMERGENCY_LINE) % {"number": number}}</p>'
        f"<h1>{escape(title)}</h1><p>{escape(message)}</p>"
        + "".join(f"<p>{escape(note)}</p>" for note in notes)
        + f'<p><a href="/">{escape(translation.gettext("Back to the home page"))}</a></p>'
        f"<p>{status}</p></body></html>"
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 400, *PAGES[400])


def bad_request_saying(request: HttpRequest, note: Promise) -> HttpResponse:
    """The 400 page, with what exactly was wrong (a request guard's refusal)."""
    return _page(request, 400, *PAGES[400], notes=(note,))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 403, *PAGES[403])


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        # A program asked: the API's error body (an address no operation has, an id past
        # the 64-bit range), as the API's own 404s.
        with translation.override(_language(request)):
            body = {"detail": str(_("Not found.")), "code": "not_found", "errors": []}
        return JsonResponse(body, status=404)
    return _page(request, 404, *PAGES[404])


def server_error(request: HttpRequest) -> HttpResponse:
    return _page(request, 500, *PAGES[500], notes=(REPORT_NOT_RECEIVED,))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form refused by the CSRF check (settings.CSRF_FAILURE_VIEW): 403, and what to do."""
    notes = (CSRF_NO_COOKIE,) if reason == REASON_NO_CSRF_COOKIE else ()
    return _page(request, 403, CSRF_TITLE, CSRF_MESSAGE, notes)
