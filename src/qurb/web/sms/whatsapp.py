"""Meta's calls into Qurb for WhatsApp (Cloud API webhooks, docs/sms.md).

- ``GET``: the subscription handshake (``hub.mode=subscribe``, ``hub.verify_token``,
  ``hub.challenge``): the challenge is answered back when the token is ours, 403 otherwise.
- ``POST``: a notification, signed ``X-Hub-Signature-256: sha256=<hex>`` (HMAC-SHA256 of the
  raw body with the app secret). No signature, or a wrong one: 403. Not JSON: 400. A signed
  notification of a shape Qurb does not know: 200 (Meta retries anything else).

Off (404) while the channel is not configured."""

from __future__ import annotations

import json
import logging
import re

from django.core.exceptions import RequestDataTooBig
from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from qurb.sms import whatsapp

log = logging.getLogger(__name__)

_CHALLENGE = re.compile(r"[A-Za-z0-9_\-.]{1,200}")


def _plain(text: str, status: int = 200) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def webhook(request: HttpRequest) -> HttpResponse:
    if not whatsapp.enabled():
        raise Http404
    if request.method == "GET":
        if not whatsapp.verification_ok(
            mode=request.GET.get("hub.mode", ""), token=request.GET.get("hub.verify_token", "")
        ):
            return _plain("forbidden\n", status=403)
        challenge = request.GET.get("hub.challenge", "")
        if not _CHALLENGE.fullmatch(challenge):
            return _plain("bad request\n", status=400)
        return _plain(challenge)
    try:
        body = request.body
    except RequestDataTooBig:
        return _plain("too large\n", status=413)
    if not whatsapp.signature_valid(body, request.headers.get("X-Hub-Signature-256", "")):
        return _plain("forbidden\n", status=403)
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _plain("bad request\n", status=400)
    try:
        counts = whatsapp.webhook_handle(payload)
    except OperationalError:
        log.warning("WhatsApp notification: database busy, Meta will send it again")
        response = _plain("busy, try again\n", status=503)
        response["Retry-After"] = "1"
        return response
    log.debug("WhatsApp notification: %s", counts)
    return _plain("")
