"""WhatsApp (Cloud API): a second channel on the SMS conversation (docs/sms.md).

Incoming: Meta's webhook notifications (``object: whatsapp_business_account``), signed with
``X-Hub-Signature-256`` (HMAC-SHA256 of the raw body, keyed with the app secret). Each text
message goes through ``conversation.incoming_handle`` on the ``whatsapp`` channel, once per
message id; the ``statuses`` of Qurb's own messages (sent, delivered, read, failed) are recorded
on their ``OutgoingSms`` row, or held until the task that sent the message records its id.

Outgoing: ``POST {base}/{version}/{phone number id}/messages`` with the bearer token. A free
text only inside the 24-hour customer service window (the resident's last WhatsApp message less
than 24 hours ago); outside it, the configured template with the text as its one body
parameter. Each message is its own row and task (``tasks.deliver``), as SMS are.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import urllib3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from qurb.sms import services
from qurb.sms.conversation import clean_text, incoming_handle
from qurb.sms.models import (
    Conversation,
    MessageChannel,
    OutgoingSms,
    PhoneNumber,
    SmsState,
    WhatsAppIncoming,
    WhatsAppPendingStatus,
)

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)
# At most this many messages and statuses are read from one notification (Meta batches).
ITEMS_MAX = 1000
ID_MAX = 200
# Graph API errors that mean "too many requests now": the message is tried again later.
THROTTLED = frozenset({4, 80007, 130429, 131048, 131056})
# Message types a resident may send that Qurb cannot read: it asks for a text instead.
NOT_TEXT = frozenset(
    {"image", "audio", "video", "document", "sticker", "location", "contacts", "voice"}
)


def enabled() -> bool:
    """The channel is on when Qurb can both check Meta's calls and send."""
    return all(
        (
            settings.WHATSAPP_PHONE_NUMBER_ID,
            settings.WHATSAPP_TOKEN,
            settings.WHATSAPP_APP_SECRET,
            settings.WHATSAPP_VERIFY_TOKEN,
        )
    )


# --- incoming ---------------------------------------------------------------------------------


def signature_valid(body: bytes, header: str) -> bool:
    """``X-Hub-Signature-256: sha256=<hex>``, compared in constant time."""
    secret = settings.WHATSAPP_APP_SECRET
    if not secret or not isinstance(header, str) or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header[len("sha256=") :].strip().encode())


def verification_ok(*, mode: str, token: str) -> bool:
    """Meta's subscription handshake: ``hub.mode=subscribe`` and our verify token."""
    expected = settings.WHATSAPP_VERIFY_TOKEN
    return (
        bool(expected)
        and mode == "subscribe"
        and hmac.compare_digest((token or "").encode(), expected.encode())
    )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _moment(timestamp: Any, now: datetime) -> datetime:
    """A message's time (Unix seconds, as a string), never later than now."""
    try:
        moment = datetime.fromtimestamp(int(str(timestamp)), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return now
    return min(moment, now)


def webhook_handle(payload: Any) -> dict[str, int]:
    """Read one notification: answer its text messages, record its statuses. Shapes Qurb does
    not know are ignored (Meta expects a 200 for them). Returns counts, for the tests and logs.
    Raises ``OperationalError`` when the database is busy (the view answers 503: Meta sends the
    notification again; messages already answered are recognised by their id)."""
    counts = {"messages": 0, "duplicates": 0, "statuses": 0, "held": 0, "ignored": 0}
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        counts["ignored"] += 1
        return counts
    seen = 0
    for entry in _list(payload.get("entry")):
        if not isinstance(entry, dict):
            continue
        for change in _list(entry.get("changes")):
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict):
                continue
            metadata = value.get("metadata")
            if (
                isinstance(metadata, dict)
                and "phone_number_id" in metadata
                and str(metadata["phone_number_id"]) != str(settings.WHATSAPP_PHONE_NUMBER_ID)
            ):
                counts["ignored"] += 1  # another number of the same business account
                continue
            for message in _list(value.get("messages")):
                seen += 1
                if seen > ITEMS_MAX:
                    return counts
                counts[_message_handle(message)] += 1
            for status in _list(value.get("statuses")):
                seen += 1
                if seen > ITEMS_MAX:
                    return counts
                counts[status_record(status)] += 1
    return counts


def _message_handle(message: Any) -> str:
    if not isinstance(message, dict):
        return "ignored"
    message_id, sender, kind = message.get("id"), message.get("from"), message.get("type")
    if not isinstance(message_id, str) or not message_id or len(message_id) > ID_MAX:
        return "ignored"
    if not isinstance(sender, str) or not sender.isascii() or not sender.isdigit():
        return "ignored"
    text: str | None = None
    if kind == "text":
        body = message.get("text")
        body = body.get("body") if isinstance(body, dict) else None
        if not isinstance(body, str):
            return "ignored"
        text = body
    elif kind not in NOT_TEXT:
        return "ignored"  # reactions, system notices, types Qurb does not answer
    now = timezone.now()
    moment = _moment(message.get("timestamp"), now)
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    WhatsAppIncoming.objects.create(message_id=message_id)
            except IntegrityError:
                return "duplicates"
            number = services.phone_normalise("+" + sender[:20])
            phone = services.phone_get(number)
            # The resident wrote: the 24-hour customer service window opens (again).
            PhoneNumber.objects.filter(pk=phone.pk).filter(
                models.Q(whatsapp_seen_at__isnull=True) | models.Q(whatsapp_seen_at__lt=moment)
            ).update(whatsapp_seen_at=moment)
            if text is None:
                _ask_for_text(phone)
            else:
                incoming_handle(number=number, text=text, channel=MessageChannel.WHATSAPP)
    except ValidationError:
        return "ignored"  # a number Qurb cannot answer: nothing to do, nothing to retry
    return "messages"


def _ask_for_text(phone: PhoneNumber) -> None:
    language = (
        Conversation.objects.filter(number_hash=phone.number_hash, channel=MessageChannel.WHATSAPP)
        .values_list("language", flat=True)
        .first()
        or "fr"
    )
    with translation.override(language):
        text = _("Qurb: write your report or your question as a text message, please.")
    services.message_send(
        channel=MessageChannel.WHATSAPP,
        number=phone.number,
        text=text,
        purpose="reply",
        language=language,
    )


STATUSES = ("sent", "delivered", "read", "failed")


def status_record(status: Any) -> str:
    """Record one status of a message Qurb sent (sent, delivered, read, failed): "statuses".

    A status never goes back (Meta does not promise their order): read stays read, failed
    stays failed. A status for a ``wamid`` not recorded yet is held (``WhatsAppPendingStatus``):
    Meta may answer before the task that sent the message has recorded the id the API gave it.
    Held, committed, then tried again; the task, once it has recorded the id, applies what is
    held (``pending_statuses_apply``). Each side writes before it reads, so whichever comes
    second sees the other, and applying a status twice changes nothing: "held" until then.
    "ignored" for a malformed status. Runs in autocommit (the webhook), not in a transaction."""
    if not isinstance(status, dict):
        return "ignored"
    message_id, state = status.get("id"), status.get("status")
    if not isinstance(message_id, str) or not message_id or len(message_id) > ID_MAX:
        return "ignored"
    if state not in STATUSES:
        return "ignored"
    error = _why(status) if state == "failed" else ""
    if _status_apply(message_id, state, error):
        return "statuses"
    with contextlib.suppress(IntegrityError):  # the same status, held twice at the same instant
        WhatsAppPendingStatus.objects.get_or_create(
            message_id=message_id, status=state, defaults={"error": error}
        )
    if _status_apply(message_id, state, error):
        WhatsAppPendingStatus.objects.filter(message_id=message_id, status=state).delete()
        return "statuses"
    return "held"


def pending_statuses_apply(message_id: str) -> int:
    """Apply the statuses held for ``message_id`` (in the order they came), once the task
    has recorded it; returns how many. Called after that record is committed."""
    held = list(
        WhatsAppPendingStatus.objects.filter(message_id=message_id)
        .order_by("pk")
        .values_list("pk", "status", "error")
    )
    for _pk, state, error in held:
        _status_apply(message_id, state, error)
    WhatsAppPendingStatus.objects.filter(pk__in=[pk for pk, _state, _error in held]).delete()
    return len(held)


def _status_apply(message_id: str, state: str, error: str) -> bool:
    """Move the message forward to ``state`` (never back); False when no message of Qurb's
    has this id (yet)."""
    rows = OutgoingSms.objects.filter(channel=MessageChannel.WHATSAPP, external_id=message_id)
    if not rows.exists():
        return False
    now = timezone.now()
    if state == "sent":
        rows.filter(state=SmsState.SENDING).update(state=SmsState.SENT, lease_until=None)
    elif state == "delivered":
        rows.filter(state__in=[SmsState.SENDING, SmsState.SENT]).update(
            state=SmsState.DELIVERED, settled_at=now, lease_until=None
        )
    elif state == "read":
        rows.filter(state__in=[SmsState.SENDING, SmsState.SENT, SmsState.DELIVERED]).update(
            state=SmsState.READ, settled_at=now, lease_until=None
        )
    elif state == "failed":
        rows.filter(state__in=[SmsState.SENDING, SmsState.SENT]).update(
            state=SmsState.FAILED, settled_at=now, lease_until=None, error=error
        )
    rows.filter(sent_at__isnull=True).exclude(state=SmsState.FAILED).update(sent_at=now)
    return True


def _why(status: dict[str, Any]) -> str:
    errors = _list(status.get("errors"))
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    code = first.get("code", "")
    title = first.get("title") or first.get("message") or "failed"
    return f"WhatsApp {code}: {title}"[:200] if code != "" else f"WhatsApp: {title}"[:200]


# --- outgoing ---------------------------------------------------------------------------------


def window_open(phone: PhoneNumber, now: datetime | None = None) -> bool:
    """Whether the resident wrote on WhatsApp less than 24 hours ago (a free text may go)."""
    seen = phone.whatsapp_seen_at
    return seen is not None and seen > (now or timezone.now()) - WINDOW


@lru_cache(maxsize=1)
def _http() -> urllib3.PoolManager:
    timeout = urllib3.Timeout(total=settings.WHATSAPP_TIMEOUT)
    return urllib3.PoolManager(num_pools=2, maxsize=4, timeout=timeout, retries=False)


def messages_url() -> str:
    base = settings.WHATSAPP_BASE_URL.rstrip("/")
    return f"{base}/{settings.WHATSAPP_API_VERSION}/{settings.WHATSAPP_PHONE_NUMBER_ID}/messages"


def template_language(language: str) -> str:
    codes = settings.WHATSAPP_TEMPLATE_LANGUAGES
    return codes.get(language) or codes.get("fr") or "fr"


def request_body(*, number: str, text: str, template: bool, language: str) -> dict[str, Any]:
    """The Cloud API's JSON for one message: a text, or the template with the text as ``{{1}}``
    (a template parameter may hold no new line, tab or run of spaces)."""
    body: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": number.lstrip("+"),
    }
    if not template:
        body |= {"type": "text", "text": {"preview_url": False, "body": text[:4096]}}
        return body
    body |= {
        "type": "template",
        "template": {
            "name": settings.WHATSAPP_TEMPLATE,
            "language": {"code": template_language(language)},
            "components": [
                {
                    "type": "body",
                    "parameters": [{"type": "text", "text": clean_text(text)[:1000]}],
                }
            ],
        },
    }
    return body


def send(*, number: str, text: str, template: bool, language: str) -> tuple[str, str, str]:
    """Hand one message to the Cloud API: ('sent' | 'retry' | 'failed', why, message id)."""
    if not enabled():
        return "failed", "WhatsApp is not configured", ""
    data = json.dumps(
        request_body(number=number, text=text, template=template, language=language),
        ensure_ascii=False,
    ).encode()
    headers = {
        "Authorization": f"Bearer {settings.WHATSAPP_TOKEN}",
        "Content-Type": "application/json",
    }
    try:
        answer = _http().request("POST", messages_url(), body=data, headers=headers)
    except urllib3.exceptions.HTTPError as exc:
        return "retry", type(exc).__name__, ""
    try:
        reply = json.loads(answer.data[:65536] or b"null")
    except ValueError:
        reply = None
    status = answer.status
    if 200 <= status < 300:
        messages = _list(reply.get("messages")) if isinstance(reply, dict) else []
        first = messages[0] if messages and isinstance(messages[0], dict) else {}
        message_id = first.get("id")
        return "sent", "", message_id[:ID_MAX] if isinstance(message_id, str) else ""
    error = reply.get("error") if isinstance(reply, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    message = error.get("message", "") if isinstance(error, dict) else ""
    why = f"HTTP {status}" + (f", error {code}: {message}" if code is not None else "")
    if status == 429 or status >= 500 or code in THROTTLED:
        return "retry", why[:200], ""
    return "failed", why[:200], ""
