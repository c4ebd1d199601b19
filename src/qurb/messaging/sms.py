"""The SMS channel, through ``qurb.sms`` (Kannel): the only names of that app messaging uses
(``qurb.sms`` sits below messaging in the layers)."""

from __future__ import annotations

from qurb.sms import services
from qurb.sms.models import OutgoingSms


def normalise(raw: str) -> str:
    """The number in international form; ``ValidationError`` when it is not a usable one."""
    return services.phone_normalise(raw)


def number_hash(number: str) -> str:
    return services.number_hash(number)


def send_code(*, number: str, language: str, scope: str) -> None:
    """The 6-digit code for one subscription (``scope``: its token); ``ValidationError`` when
    none may go (STOP, too many codes, caps)."""
    services.verification_send(number=number, language=language, scope=scope)


def check_code(*, number: str, code: str, scope: str) -> bool:
    return services.verification_check(number=number, code=code, scope=scope)


def send(*, number: str, text: str, area_id: int | None, purpose: str = "messages") -> int | None:
    """One text message, queued; its id, or None when it may not go (STOP, daily caps)."""
    return services.sms_send(number=number, text=text, purpose=purpose, area_id=area_id)


def missing_child_purpose(message_id: int) -> str:
    """The purpose an SMS copy of a missing-child alert's message is sent under, by which it
    is found again (at most 32 characters, as ``OutgoingSms.purpose``)."""
    return f"missing_child:{message_id}"


def withdraw(message_ids: list[int], *, erase: bool = False) -> int:
    """The SMS copies of these missing-child messages that have not left yet never leave;
    ``erase``: the texts of all of them are erased too (the alert purged)."""
    purposes = [missing_child_purpose(pk) for pk in message_ids]
    return services.outgoing_withdraw(purposes=purposes, erase=erase)


def already_queued(*, number: str, purpose: str) -> bool:
    """Whether an SMS for ``purpose`` was handed to the gateway for ``number`` already."""
    return OutgoingSms.objects.filter(
        phone__number_hash=services.number_hash(number), purpose=purpose
    ).exists()
