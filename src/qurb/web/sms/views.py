"""Kannel's calls into Qurb: incoming SMS (its sms-service's get-url) and delivery reports
(the dlr-url of each outgoing SMS). Both only from the gateway's addresses; incoming SMS also
carry the shared secret. Kannel reads nothing from the answer (the replies leave through
sendsms, each with its own delivery report)."""

from __future__ import annotations

import hmac
import logging
from urllib.parse import parse_qsl

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from qurb.core.params import int_param
from qurb.sms.conversation import TEXT_MAX, gateway_incoming_handle
from qurb.sms.services import delivery_report_record
from qurb.web.guards.intake import client_address

log = logging.getLogger(__name__)


def _from_gateway(request: HttpRequest) -> None:
    """Only the gateway's own address, as the trusted proxy saw it (``QURB_TRUSTED_PROXIES``):
    behind a proxy on loopback, ``REMOTE_ADDR`` is the proxy's for every caller."""
    if client_address(request) not in settings.SMS_GATEWAY_ADDRESSES:
        raise Http404


def _plain(text: str, status: int = 200) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


def _busy() -> HttpResponse:
    """The database is busy (SQLite locked, PostgreSQL failing over): Kannel asks again
    (smsbox's ``http-request-retry``, docs/sms.md); nothing was half done."""
    response = _plain("busy, try again\n", status=503)
    response["Retry-After"] = "1"
    return response


def _params(request: HttpRequest) -> dict[str, bytes]:
    """The parameters as bytes: Kannel gives the text in the charset it names (UTF-8 once
    recoded, UTF-16BE for a UCS-2 SMS it could not recode)."""
    raw = request.META.get("QUERY_STRING", "")
    if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
        raw += "&" + request.body.decode("latin-1")
    return {
        key: value.encode("latin-1")
        for key, value in parse_qsl(raw, keep_blank_values=True, encoding="latin-1")
    }


def _text(params: dict[str, bytes]) -> str:
    charset = params.get("charset", b"UTF-8").decode("ascii", "replace").upper()
    data = params.get("text", b"")[: TEXT_MAX * 4]
    if charset in ("UTF-16BE", "UCS-2", "UTF-16"):
        return data.decode("utf-16-be", "replace")
    if charset in ("ISO-8859-1", "LATIN1", "WINDOWS-1252"):
        return data.decode("latin-1")
    return data.decode("utf-8", "replace")


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def incoming(request: HttpRequest) -> HttpResponse:
    """One SMS from a resident: ``?secret=…&id=%I&from=%p&text=%a&charset=%C`` (get-url).
    ``id`` is Kannel's id for the message: a second delivery of it (smsbox asks again when
    the answer did not reach it) changes nothing and is answered the same way."""
    _from_gateway(request)
    secret = settings.SMS_INCOMING_SECRET
    params = _params(request)
    given = params.get("secret", b"").decode("latin-1")
    if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
        raise Http404
    sender = params.get("from", b"").decode("utf-8", "replace")
    message_id = params.get("id", b"")[:200].decode("ascii", "replace")
    try:
        outcome = gateway_incoming_handle(number=sender, text=_text(params), message_id=message_id)
    except ValidationError:
        # A sender Qurb cannot answer (a short code, a name): nothing to do, nothing to retry.
        return _plain("ignored\n")
    except OperationalError:
        log.warning("incoming SMS: database busy, Kannel will retry")
        return _busy()
    if outcome.duplicate:
        log.info("incoming SMS: delivered again by the gateway, already answered")
    return _plain("")


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def delivery_report(request: HttpRequest) -> HttpResponse:
    """``?id=…&key=…&status=%d``: Kannel's delivery report for one outgoing SMS."""
    _from_gateway(request)
    sms_id = int_param(request.GET.get("id"))
    status = int_param(request.GET.get("status"))
    if sms_id is None or status is None:
        return _plain("bad request\n", status=400)
    try:
        recorded = delivery_report_record(
            sms_id=sms_id, key=request.GET.get("key", ""), status=status
        )
    except OperationalError:
        log.warning("delivery report: database busy, Kannel will retry")
        return _busy()
    if not recorded:
        raise Http404
    return _plain("")
