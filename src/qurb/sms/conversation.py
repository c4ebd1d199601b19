"""The SMS conversation: a resident's texts become a report, in a few short replies.

1. Any text (Arabic, French, Darija in Latin letters, English) starts a report.
2. Qurb asks for the place: a neighbourhood or a landmark, found by the offline place search;
   several matches are offered as up to 3 numbered choices.
3. Qurb asks whether to stay anonymous (1/2, or yes/no in ar, fr, Darija, en).
4. The report is stored (channel ``sms``; the triage runs as for any report) and Qurb answers
   with the tracking code.

Keywords, whatever the state: ``STATUS <code>`` (``ETAT``, ``حالة``), ``STOP`` (``ARRET``,
``توقف``), ``START``. The state lives in ``Conversation``, keyed by the number's hash and the
channel: the same conversation runs over SMS and over WhatsApp (``qurb.sms.whatsapp``), each
channel answering on itself.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from qurb.areas.selectors import place_search
from qurb.language.triage import triage_text
from qurb.reports.models import Category, Channel, Status
from qurb.reports.selectors import public_history, report_by_tracking_code
from qurb.reports.services import ReportInput, report_submit, tracking_code_normalise
from qurb.sms import services
from qurb.sms.models import (
    Conversation,
    ConversationState,
    MessageChannel,
    PhoneNumber,
    ReportPhone,
    SmsIncoming,
)

log = logging.getLogger(__name__)

# The longest text read from one incoming SMS (a concatenated SMS is at most a few hundred
# characters; anything longer is cut, never refused with an error).
TEXT_MAX = 1600
# A conversation left halfway for this long starts again from the beginning.
STALE_AFTER = timedelta(hours=24)


def _fold(word: str) -> str:
    """A word without case, accents or Arabic diacritics, for keyword matching."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _folded(words: set[str]) -> frozenset[str]:
    return frozenset(_fold(w) for w in words)


STOP_WORDS = _folded({"stop", "arret", "arreter", "stopper", "توقف", "وقف", "الغاء", "إلغاء"})
START_WORDS = _folded({"start", "demarrer", "reprendre", "ابدأ", "ابدا", "بدء"})
STATUS_WORDS = _folded({"status", "statut", "etat", "suivi", "حالة", "حاله", "الحالة"})
FRENCH_KEYWORDS = _folded({"arret", "arreter", "stopper", "demarrer", "reprendre", "statut"})
FRENCH_KEYWORDS |= _folded({"etat", "suivi"})
YES_WORDS = _folded(
    {"1", "oui", "o", "yes", "y", "ok", "wah", "wakha", "iyeh", "iyah", "ah", "na3am", "naam"}
    | {"نعم", "اه", "آه", "ايه", "إيه", "واه", "وخا", "أجل", "ايوا"}
)
NO_WORDS = _folded({"2", "non", "no", "n", "la", "lla", "laa", "nn", "لا", "لالا", "كلا"})
ENGLISH_WORDS = frozenset(
    {
        "the",
        "is",
        "are",
        "there",
        "someone",
        "somebody",
        "people",
        "selling",
        "sell",
        "sells",
        "near",
        "at",
        "in",
        "of",
        "and",
        "a",
        "an",
        "street",
        "school",
        "every",
        "night",
        "day",
        "they",
        "he",
        "she",
        "my",
        "our",
        "this",
        "that",
        "with",
        "drugs",
        "fight",
        "car",
        "stolen",
        "steal",
        "theft",
        "robbed",
        "please",
        "help",
        "yes",
        "no",
    }
)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass
class Outcome:
    """What Qurb answers to one incoming SMS (each reply is also queued as an SMS)."""

    replies: list[str] = field(default_factory=list)
    language: str = "fr"
    report_code: str = ""
    purpose: str = "reply"  # "stop" for the STOP confirmation, sent after the opt-out
    duplicate: bool = False  # the gateway delivered this very message before: nothing done


def clean_text(text: str) -> str:
    text = _CONTROL.sub("", unicodedata.normalize("NFC", text or ""))
    return " ".join(text.split())[:TEXT_MAX]


def _words(text: str) -> list[str]:
    return [_fold(w) for w in _WORD.findall(text)]


def language_of(text: str) -> str:
    """ar for Arabic script, en when English words dominate, fr otherwise (French and
    Darija in Latin letters: Qurb answers them in French)."""
    letters = [c for c in text if c.isalpha()]
    if letters and sum(1 for c in letters if _ARABIC.match(c)) * 2 >= len(letters):
        return "ar"
    words = _words(text)
    english = sum(1 for w in words if w in ENGLISH_WORDS)
    if words and english >= 2 and english * 3 >= len(words):
        return "en"
    return "fr"


def _is_arabic(text: str) -> bool:
    return bool(_ARABIC.search(text))


def _keyword_language(text: str, words: list[str], conversation: Conversation) -> str:
    if _is_arabic(text):
        return "ar"
    if words and words[0] in FRENCH_KEYWORDS:
        return "fr"
    return conversation.language or "fr"


# --- the replies (short: one SMS when possible) ------------------------------------------------


def _ask_place() -> str:
    return _(
        "Qurb: report noted. Where is it? Reply with the name of the neighbourhood or of a "
        "landmark (school, mosque, gate)."
    )


def _too_short() -> str:
    return _("Qurb: describe what happens in a few words (at least 10 characters).")


def _no_place() -> str:
    return _("Qurb: no place has this name. Reply with another neighbourhood or landmark.")


def _short(text: str, limit: int = 32) -> str:
    """A name for an SMS: plain hyphens (dashes cost UCS-2 rates), at most ``limit`` long."""
    text = " ".join(text.replace("–", "-").replace("—", "-").split())
    return text if len(text) <= limit else text[:limit].rstrip()


def _choices_text(choices: list[dict[str, object]]) -> str:
    names = [_short(str(c["name"])) for c in choices]
    listed = " ".join(
        f"{i}) {name}"
        + (
            f" ({_short(str(c['context']), 24)})"
            if names.count(name) > 1 and c.get("context")
            else ""
        )
        for i, (name, c) in enumerate(zip(names, choices, strict=True), start=1)
    )
    return _("Qurb: which one? %(choices)s Reply with its number.") % {"choices": listed}


def _ask_anonymous(place: str) -> str:
    return _("Qurb: %(place)s. Stay anonymous? Reply 1 for yes, 2 for no.") % {"place": place}


def _ask_anonymous_again() -> str:
    return _("Qurb: reply 1 to stay anonymous, 2 to let the police call you back.")


def _received(code: str) -> str:
    return _(
        "Qurb: report received. Code %(code)s. Text STATUS %(code)s to follow it. "
        "Emergency: %(number)s."
    ) % {"code": code, "number": settings.EMERGENCY_NUMBER}


def _outside() -> str:
    return _(
        "Qurb: this place is outside the districts Qurb serves. Reply with another place, "
        "or call %(number)s."
    ) % {"number": settings.EMERGENCY_NUMBER}


def _too_many_reports() -> str:
    return _("Qurb: too many reports from this number today. Emergency: %(number)s.") % {
        "number": settings.EMERGENCY_NUMBER
    }


def _unknown_code() -> str:
    return _("Qurb: no report has this tracking code. Check it and try again.")


def _stopped(channel: str = MessageChannel.SMS) -> str:
    if channel == MessageChannel.WHATSAPP:
        return _(
            "Qurb: you will receive no more WhatsApp messages. Send START to receive them again."
        )
    return _("Qurb: you will receive no more SMS. Text START to receive them again.")


def _started(channel: str = MessageChannel.SMS) -> str:
    if channel == MessageChannel.WHATSAPP:
        return _("Qurb: WhatsApp messages are on again. Send STOP to leave.")
    return _("Qurb: SMS are on again. Text STOP to leave.")


def status_text(*, code: str, status: str, note: str) -> str:
    """A report's status (and its latest public note) in one short text."""
    label = str(Status(status).label) if status in Status.values else status
    note = " ".join(note.split())
    if len(note) > 300:
        note = note[:299] + "…"
    text = _("Qurb %(code)s: %(status)s.") % {"code": code, "status": label}
    return f"{text} {note}" if note else text


# --- handling one incoming SMS ----------------------------------------------------------------


def incoming_handle(*, number: str, text: str, channel: str = MessageChannel.SMS) -> Outcome:
    """Answer one SMS (or WhatsApp message, ``channel``) from ``number`` (raises
    ``ValidationError`` for a bad number only). The replies are queued on the same channel
    (purpose ``reply``) and returned."""
    normalised = services.phone_normalise(number)
    text = clean_text(text)
    with transaction.atomic():
        phone = services.phone_get(normalised)
        PhoneNumber.objects.filter(pk=phone.pk).update(last_seen_at=timezone.now())
        conversation, _created = Conversation.objects.get_or_create(
            number_hash=phone.number_hash, channel=channel
        )
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if (
            conversation.state != ConversationState.IDLE
            and conversation.updated_at < timezone.now() - STALE_AFTER
        ):
            _reset(conversation)
        outcome, area_id = _answer(phone, conversation, text)
        conversation.save()
        for reply in outcome.replies:
            services.message_send(
                channel=channel,
                number=normalised,
                text=reply,
                purpose=outcome.purpose,
                area_id=area_id,
                language=outcome.language,
            )
    return outcome


# Kannel's id of a message (``%I``) is a UUID; another gateway's id, a short plain token.
_GATEWAY_ID = re.compile(r"[A-Za-z0-9._:\-]{1,64}")


def gateway_message_id(raw: str) -> str:
    """Kannel's id for an incoming SMS in one form (a UUID in lower case), "" when there is
    none or it is not one Qurb can keep (the SMS is then answered without the check)."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        pass
    if _GATEWAY_ID.fullmatch(raw):
        return raw
    log.warning("incoming SMS: an unusable gateway message id, answered without the check")
    return ""


def gateway_incoming_handle(*, number: str, text: str, message_id: str = "") -> Outcome:
    """One SMS from Kannel, answered once per Kannel message id: smsbox calls again, with the
    same id, when Qurb's answer did not reach it (a timeout, a 503). The id is kept in the
    same transaction as the answer, so a second delivery (even at the same instant: it waits
    for the first one's commit) does nothing and returns ``Outcome(duplicate=True)``. Without
    an id, as ``incoming_handle``."""
    key = gateway_message_id(message_id)
    if not key:
        return incoming_handle(number=number, text=text)
    services.phone_normalise(number)  # a number Qurb cannot answer: refused, nothing kept
    with transaction.atomic():
        try:
            with transaction.atomic():
                SmsIncoming.objects.create(message_id=key)
        except IntegrityError:
            return Outcome(duplicate=True)
        return incoming_handle(number=number, text=text)


def _reset(conversation: Conversation) -> None:
    conversation.state = ConversationState.IDLE
    conversation.text = ""
    conversation.choices = []
    conversation.place = {}


def _answer(
    phone: PhoneNumber, conversation: Conversation, text: str
) -> tuple[Outcome, int | None]:
    words = _words(text)
    only = words[0] if len(words) == 1 else ""
    channel = conversation.channel
    if only in STOP_WORDS:
        language = _keyword_language(text, words, conversation)
        services.number_stop(phone.number, channel)
        _reset(conversation)
        with translation.override(language):
            # The confirmation goes out although the number just stopped (purpose "stop").
            return Outcome([_stopped(channel)], language, purpose="stop"), None
    if only in START_WORDS:
        language = _keyword_language(text, words, conversation)
        services.number_start(phone.number, channel)
        with translation.override(language):
            return Outcome([_started(channel)], language), None
    code = _tracking_code_in(text, words)
    if code is not None:
        language = _keyword_language(text, words, conversation)
        with translation.override(language):
            return _status(code, language), None
    if conversation.state == ConversationState.IDLE or not text:
        return _start(phone, conversation, text), None
    with translation.override(conversation.language):
        if conversation.state == ConversationState.CHOICE:
            return _choose(conversation, text), None
        if conversation.state == ConversationState.PLACE:
            return _place(conversation, text), None
        return _anonymity(phone, conversation, text)


def _tracking_code_in(text: str, words: list[str]) -> str | None:
    """``STATUS <code>`` (or a code alone): the normalised code, "" for a keyword with no valid
    code, None when the text is not a status question."""
    if words and words[0] in STATUS_WORDS:
        keyword = _WORD.search(text)
        body = text[keyword.end() :].strip() if keyword else ""
        return tracking_code_normalise(body) if len(body) <= 40 else ""
    stripped = text.strip()
    if len(stripped) <= 24 and re.fullmatch(r"[Qq][\s\-]*[0-9A-Za-z\s\-]{16,22}", stripped):
        code = tracking_code_normalise(stripped)
        return code or None
    return None


def _status(code: str, language: str) -> Outcome:
    report = report_by_tracking_code(code) if code else None
    if report is None:
        return Outcome([_unknown_code()], language)
    notes = [c.public_note for c in public_history(report) if c.public_note]
    return Outcome(
        [status_text(code=code, status=report.status, note=notes[-1] if notes else "")], language
    )


def _start(phone: PhoneNumber, conversation: Conversation, text: str) -> Outcome:
    language = language_of(text) if text else conversation.language or "fr"
    conversation.language = language
    with translation.override(language):
        if len(text) < 10:
            return Outcome([_too_short()], language)
        today = services.day_start()
        if (  # reports from this number today, whatever the channel
            ReportPhone.objects.filter(phone=phone, created_at__gte=today).count()
            >= settings.SMS_REPORTS_PER_NUMBER_PER_DAY
        ):
            return Outcome([_too_many_reports()], language)
        conversation.text = text[: settings.REPORT_TEXT_MAX]
        conversation.state = ConversationState.PLACE
        conversation.choices = []
        conversation.place = {}
        return Outcome([_ask_place()], language)


def _same(a: str, b: str) -> bool:
    return " ".join(_words(a)) == " ".join(_words(b))


def _place(conversation: Conversation, text: str) -> Outcome:
    language = conversation.language
    found = place_search(text[:100], limit=3, language=language) if text.strip() else []
    if not found:
        return Outcome([_no_place()], language)
    choices = [
        {"name": p.name, "context": p.context, "lat": p.lat, "lon": p.lon, "area_id": p.area_id}
        for p in found
    ]
    exact = [c for c in choices if _same(str(c["name"]), text)]
    if len(choices) == 1 or len(exact) == 1:
        return _placed(conversation, exact[0] if len(exact) == 1 else choices[0])
    conversation.choices = choices
    conversation.state = ConversationState.CHOICE
    return Outcome([_choices_text(choices)], language)


def _choose(conversation: Conversation, text: str) -> Outcome:
    choice = text.strip().rstrip(".)")
    if choice.isdigit() and 1 <= int(choice) <= len(conversation.choices):
        return _placed(conversation, conversation.choices[int(choice) - 1])
    return _place(conversation, text)  # another name: search again


def _placed(conversation: Conversation, place: dict[str, object]) -> Outcome:
    conversation.place = place
    conversation.choices = []
    conversation.state = ConversationState.ANONYMOUS
    return Outcome([_ask_anonymous(_short(str(place["name"])))], conversation.language)


def _anonymity(
    phone: PhoneNumber, conversation: Conversation, text: str
) -> tuple[Outcome, int | None]:
    language = conversation.language
    words = _words(text)
    answer = words[0] if words else ""
    if answer in YES_WORDS:
        anonymous = True
    elif answer in NO_WORDS:
        anonymous = False
    else:
        return Outcome([_ask_anonymous_again()], language), None
    place = conversation.place
    suggestion = triage_text(conversation.text)
    category = suggestion.category if suggestion.confidence >= 0.5 else Category.OTHER
    try:
        with transaction.atomic():
            report, _created = report_submit(
                data=ReportInput(
                    category=category,
                    description=conversation.text,
                    lat=float(str(place["lat"])),
                    lon=float(str(place["lon"])),
                    channel=Channel.WHATSAPP
                    if conversation.channel == MessageChannel.WHATSAPP
                    else Channel.SMS,
                    address=str(place.get("name", ""))[:300],
                    anonymous=anonymous,
                    contact_phone="" if anonymous else phone.number,
                    language=language,
                )
            )
            ReportPhone.objects.create(report=report, phone=phone, channel=conversation.channel)
    except ValidationError as exc:
        errors = getattr(exc, "message_dict", {})
        conversation.state = ConversationState.PLACE
        conversation.place = {}
        if "location" in errors:
            return Outcome([_outside()], language), None
        first = (exc.messages or [""])[0]
        _reset(conversation)
        return Outcome([f"Qurb: {first}"[:300]], language), None
    _reset(conversation)
    return (
        Outcome([_received(report.tracking_code)], language, report.tracking_code),
        report.district_id,
    )
