"""SMS: the public interface other apps call, and the queue of outgoing messages.

- ``phone_normalise`` / ``number_hash``: a number in E.164 (Moroccan by default) and its keyed
  hash (HMAC with ``SECRET_KEY``), the only form other apps keep.
- ``verification_send`` / ``verification_check``: a 6-digit code to confirm a number.
- ``sms_send``: one outgoing SMS, queued as its own row and its own background task; ``None``
  when the number texted STOP or a daily cap is reached. ``message_send``: the same on a given
  channel (SMS or WhatsApp).
- ``number_stop`` / ``number_start``: leaving (and coming back to) every SMS subscription, or
  WhatsApp messages.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from qurb.sms.models import (
    Conversation,
    MessageChannel,
    OutgoingSms,
    PhoneNumber,
    SmsIncoming,
    SmsState,
    Verification,
    WhatsAppIncoming,
    WhatsAppPendingStatus,
)
from qurb.sms.signals import sms_stopped

log = logging.getLogger(__name__)

# Purposes that answer what the resident just texted: sent even after STOP (a reply to the
# resident's own message, the STOP confirmation), but counted in the caps like any other.
REPLY_PURPOSES = frozenset({"reply", "stop"})
VERIFICATION_MINUTES = 15
VERIFICATION_ATTEMPTS = 5

_SEPARATORS = re.compile(r"[\s\-./()\u00a0\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Arabic-Indic and Eastern Arabic-Indic digits, as Arabic keyboards type them.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def _bad_number() -> ValidationError:
    return ValidationError(
        _("This is not a phone number we can reach: write it as 06… or +212 6…."),
        code="bad_number",
    )


def phone_normalise(raw: str) -> str:
    """A phone number in E.164 (``+212612345678``). Moroccan numbers by default: ``06…``,
    ``07…``, ``05…`` (10 digits), ``212…``, ``+212…``, ``00212…``; another country's number
    only with its ``+`` or ``00`` prefix. Raises ``ValidationError`` otherwise."""
    if not isinstance(raw, str) or len(raw) > 40:
        raise _bad_number()
    text = _SEPARATORS.sub("", raw.strip().translate(_DIGITS))
    if text.startswith("+"):
        digits = text[1:]
    elif text.startswith("00"):
        digits = text[2:]
    elif text.startswith("0") and len(text) == 10:
        digits = "212" + text[1:]
    elif text.startswith("212") and len(text) == 12:
        digits = text
    else:
        raise _bad_number()
    if not digits.isascii() or not digits.isdigit() or digits.startswith("0"):
        raise _bad_number()
    if digits.startswith("212"):
        national = digits[3:]
        if len(national) != 9 or national[0] not in "5678":
            raise _bad_number()
    elif not 8 <= len(digits) <= 15:
        raise _bad_number()
    return "+" + digits


def number_hash(number: str) -> str:
    """The keyed hash (HMAC-SHA256 with ``SECRET_KEY``) of the normalised number."""
    normalised = phone_normalise(number)
    return salted_hmac("qurb.sms.number", normalised, algorithm="sha256").hexdigest()


def phone_get(number: str) -> PhoneNumber:
    """The stored number (created on first use)."""
    normalised = phone_normalise(number)
    phone, _created = PhoneNumber.objects.get_or_create(
        number_hash=number_hash(normalised), defaults={"number": normalised}
    )
    return phone


def number_opted_out(number: str) -> bool:
    try:
        digest = number_hash(number)
    except ValidationError:
        return False
    return PhoneNumber.objects.filter(number_hash=digest, opted_out_at__isnull=False).exists()


def _opted_out_field(channel: str) -> str:
    return "whatsapp_opted_out_at" if channel == MessageChannel.WHATSAPP else "opted_out_at"


def number_stop(number: str, channel: str = MessageChannel.SMS) -> str:
    """The number leaves every SMS subscription: marked, then ``sms_stopped`` is sent after
    the commit (receivers remove their subscriptions). Returns the number's hash. On WhatsApp,
    the number receives no more WhatsApp messages (its SMS are not affected)."""
    phone = phone_get(number)
    if channel == MessageChannel.WHATSAPP:
        PhoneNumber.objects.filter(pk=phone.pk, whatsapp_opted_out_at__isnull=True).update(
            whatsapp_opted_out_at=timezone.now()
        )
        return phone.number_hash
    PhoneNumber.objects.filter(pk=phone.pk, opted_out_at__isnull=True).update(
        opted_out_at=timezone.now()
    )
    digest = phone.number_hash
    transaction.on_commit(lambda: sms_stopped.send(sender=PhoneNumber, number_hash=digest))
    return digest


def number_start(number: str, channel: str = MessageChannel.SMS) -> None:
    """The number may receive SMS (or WhatsApp messages) again (it texted START)."""
    PhoneNumber.objects.filter(number_hash=number_hash(number)).update(
        **{_opted_out_field(channel): None}
    )


# --- caps -------------------------------------------------------------------------------------


def day_start(moment: datetime | None = None) -> datetime:
    """The start of the local day (settings.TIME_ZONE) of ``moment``."""
    local = timezone.localtime(moment or timezone.now())
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def sent_today(
    *, phone_id: int | None = None, area_id: int | None = None, channel: str = MessageChannel.SMS
) -> int:
    rows = OutgoingSms.objects.filter(created_at__gte=day_start(), channel=channel)
    if phone_id is not None:
        rows = rows.filter(phone_id=phone_id)
    if area_id is not None:
        rows = rows.filter(area_id=area_id)
    return rows.count()


def cap_reached(*, phone_id: int, area_id: int | None, channel: str = MessageChannel.SMS) -> bool:
    """Each channel has its own caps (same settings): a WhatsApp message costs no SMS."""
    if sent_today(phone_id=phone_id, channel=channel) >= settings.SMS_DAILY_CAP_PER_NUMBER:
        return True
    return (
        area_id is not None
        and sent_today(area_id=area_id, channel=channel) >= settings.SMS_DAILY_CAP_PER_AREA
    )


# --- sending ----------------------------------------------------------------------------------


def sms_send(*, number: str, text: str, purpose: str, area_id: int | None = None) -> int | None:
    """Queue one outgoing SMS and return its id; ``None`` when the number opted out (STOP),
    or a daily cap (per number, per area) is reached. Raises ``ValidationError`` for a bad
    number or an empty text. The SMS leaves after the commit, in its own background task."""
    return message_send(
        channel=MessageChannel.SMS, number=number, text=text, purpose=purpose, area_id=area_id
    )


def message_send(
    *,
    channel: str,
    number: str,
    text: str,
    purpose: str,
    area_id: int | None = None,
    language: str = "",
) -> int | None:
    """``sms_send`` on ``channel`` (``MessageChannel``). ``language`` names the WhatsApp
    template's language when the message leaves outside the 24-hour window."""
    if channel not in MessageChannel.values:
        raise ValueError(f"unknown channel {channel!r}")
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("An SMS needs a text."), code="empty")
    purpose = (purpose or "other")[:32]
    with transaction.atomic():
        phone = phone_get(number)
        # The number's row is locked while its day is counted: two sends at once cannot both
        # pass the per-number cap.
        phone = PhoneNumber.objects.select_for_update().get(pk=phone.pk)
        stopped = getattr(phone, _opted_out_field(channel))
        if stopped is not None and purpose not in REPLY_PURPOSES:
            return None
        if cap_reached(phone_id=phone.pk, area_id=area_id, channel=channel):
            log.warning("%s cap reached: purpose %s, area %s", channel, purpose, area_id)
            return None
        now = timezone.now()
        sms = OutgoingSms.objects.create(
            phone=phone,
            channel=channel,
            language=(language or "")[:8],
            text=text[:1000],
            purpose=purpose,
            area_id=area_id,
            next_attempt_at=now,  # due at once
            enqueued_at=now,
        )
        sms_id = sms.pk
        transaction.on_commit(lambda: _enqueue(sms_id))
    return sms_id


def _enqueue(sms_id: int, run_after: datetime | None = None) -> None:
    from qurb.sms.tasks import sms_deliver

    if run_after is None:
        sms_deliver.enqueue(sms_id)
    else:
        sms_deliver.using(run_after=run_after).enqueue(sms_id)


def dlr_key(sms_id: int) -> str:
    """The key a delivery report for ``sms_id`` must carry (its URL is given to Kannel)."""
    return salted_hmac("qurb.sms.dlr", str(sms_id), algorithm="sha256").hexdigest()[:32]


# Kannel's delivery report types (dlr-mask bits): 1 delivered, 2 failed, 4 buffered,
# 8 accepted by the SMSC, 16 rejected by the SMSC.
DLR_DELIVERED, DLR_FAILED, DLR_BUFFERED, DLR_SMSC_ACCEPTED, DLR_SMSC_REJECTED = 1, 2, 4, 8, 16


def delivery_report_record(*, sms_id: int, key: str, status: int) -> bool:
    """Record Kannel's delivery report for one SMS. Returns False for an unknown SMS or a
    wrong key. A final answer (delivered, failed) is never overwritten by a later report."""
    if not hmac.compare_digest(dlr_key(sms_id), key or ""):
        return False
    now = timezone.now()
    rows = OutgoingSms.objects.filter(pk=sms_id)
    if not rows.exists():
        return False
    open_states = [SmsState.SENDING, SmsState.SENT]
    if status == DLR_DELIVERED:
        rows.filter(state__in=open_states).update(
            state=SmsState.DELIVERED, dlr_status=status, settled_at=now, lease_until=None
        )
    elif status in (DLR_FAILED, DLR_SMSC_REJECTED):
        rows.filter(state__in=open_states).update(
            state=SmsState.FAILED,
            dlr_status=status,
            settled_at=now,
            lease_until=None,
            error="delivery report: failed" if status == DLR_FAILED else "rejected by the SMSC",
        )
    else:
        rows.filter(state__in=open_states).update(dlr_status=status)
    rows.filter(sent_at__isnull=True, state__in=[SmsState.DELIVERED, SmsState.SENT]).update(
        sent_at=now
    )
    return True


# --- verification codes -----------------------------------------------------------------------


def _code_hash(digest: str, code: str) -> str:
    return salted_hmac("qurb.sms.verification", f"{digest}:{code}", algorithm="sha256").hexdigest()


def verification_send(*, number: str, language: str, scope: str = "") -> None:
    """Send a 6-digit code to ``number`` by SMS, valid 15 minutes, for the request ``scope``.
    Refused (``ValidationError``) for a bad number, a number outside
    ``SMS_VERIFICATION_COUNTRY_CODES`` (codes cost money: no premium numbers abroad), once
    ``SMS_VERIFICATIONS_PER_DAY`` codes left today in all, and, with one message that tells
    nothing about the number, for a number that texted STOP or got
    ``SMS_VERIFICATIONS_PER_HOUR`` codes within an hour."""
    normalised = phone_normalise(number)
    digest = number_hash(normalised)
    if not normalised.startswith(tuple(settings.SMS_VERIFICATION_COUNTRY_CODES)):
        raise ValidationError(_("Codes are sent to Moroccan mobile numbers only."), code="country")
    now = timezone.now()
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    if Verification.objects.filter(created_at__gte=today).count() >= (
        settings.SMS_VERIFICATIONS_PER_DAY
    ):
        raise ValidationError(
            _("No more codes can be sent today: try again tomorrow."), code="platform_cap"
        )
    recent = Verification.objects.filter(
        number_hash=digest, created_at__gte=now - timedelta(hours=1)
    ).count()
    if number_opted_out(normalised) or recent >= settings.SMS_VERIFICATIONS_PER_HOUR:
        raise ValidationError(
            _(
                "We could not send a code to this number. If you once texted STOP to Qurb, "
                "text START first; otherwise try again in an hour."
            ),
            code="no_code",
        )
    code = f"{secrets.randbelow(10**6):06d}"
    with translation.override(language if language in ("ar", "fr", "en") else "fr"):
        text = _("Qurb: your code is %(code)s. It is valid for 15 minutes.") % {"code": code}
        with transaction.atomic():
            Verification.objects.create(
                number_hash=digest,
                scope=scope[:64],
                code_hash=_code_hash(digest, code),
                expires_at=now + timedelta(minutes=VERIFICATION_MINUTES),
            )
            sent = sms_send(number=normalised, text=text, purpose="verification")
            if sent is None:  # the code is not kept: the exception rolls it back
                raise ValidationError(
                    _("No more SMS can be sent to this number today: try again tomorrow."),
                    code="cap_reached",
                )


def verification_check(*, number: str, code: str, scope: str = "") -> bool:
    """Whether ``code`` is the latest code sent to ``number`` for the request ``scope``,
    unexpired and unused, within 5 attempts. A right code works once."""
    try:
        digest = number_hash(number)
    except ValidationError:
        return False
    code = (code or "").strip().translate(_DIGITS)
    now = timezone.now()
    latest = (
        Verification.objects.filter(
            number_hash=digest, scope=scope[:64], used_at__isnull=True, expires_at__gt=now
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    if latest is None or latest.attempts >= VERIFICATION_ATTEMPTS:
        return False
    counted = Verification.objects.filter(
        pk=latest.pk, attempts=latest.attempts, used_at__isnull=True
    ).update(attempts=latest.attempts + 1)
    if not counted:  # another check of the same code at the same instant: refuse this one
        return False
    if len(code) != 6 or not code.isdigit():
        return False
    if not hmac.compare_digest(latest.code_hash, _code_hash(digest, code)):
        return False
    return bool(Verification.objects.filter(pk=latest.pk, used_at__isnull=True).update(used_at=now))


# --- retention --------------------------------------------------------------------------------


def numbers_purge() -> int:
    """Delete the numbers that neither texted nor received anything for
    ``SMS_RETENTION_DAYS`` and have no report still linked (their messages, conversation and
    codes go with them)."""
    limit = timezone.now() - timedelta(days=settings.SMS_RETENTION_DAYS)
    stale = (
        PhoneNumber.objects.filter(created_at__lt=limit)
        .exclude(last_seen_at__gte=limit)
        .exclude(outgoing__created_at__gte=limit)
        .exclude(reports__isnull=False)
    )
    deleted = 0
    for pk in list(stale.values_list("pk", flat=True)[:10000]):
        phone = PhoneNumber.objects.filter(pk=pk).first()
        if phone is None:
            continue
        Conversation.objects.filter(number_hash=phone.number_hash).delete()
        Verification.objects.filter(number_hash=phone.number_hash).delete()
        phone.delete()
        deleted += 1
    # The ids of answered messages are only needed while Kannel or Meta may send them again;
    # a status held for a message id never recorded (another sender's message) is dropped.
    week_ago = timezone.now() - timedelta(days=7)
    WhatsAppIncoming.objects.filter(created_at__lt=week_ago).delete()
    SmsIncoming.objects.filter(created_at__lt=week_ago).delete()
    WhatsAppPendingStatus.objects.filter(created_at__lt=week_ago).delete()
    return deleted


def outgoing_withdraw(*, purposes: list[str], erase: bool = False) -> int:
    """Outgoing messages sent for ``purposes`` that have not left yet never leave (a
    missing-child alert ended); ``erase``: the texts of every one of them are erased too (the
    alert purged: the rows stay for the caps and the counts). Returns how many were stopped
    or erased."""
    if not purposes:
        return 0
    now = timezone.now()
    mine = OutgoingSms.objects.filter(purpose__in=purposes)
    stopped = mine.filter(state=SmsState.PENDING).update(
        state=SmsState.FAILED, settled_at=now, error="withdrawn"
    )
    if not erase:
        return stopped
    return mine.exclude(text="").update(text="")
