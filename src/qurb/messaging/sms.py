"""The SMS channel, through ``qurb.sms`` (Kannel): the only names of that app messaging uses
(``qurb.sms`` sits below messaging in the layers)."""

from __future__ import annotations

from qurb.sms import services


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


def send(*, number: str, text: str, area_id: int | None) -> int | None:
    """One text message, queued; its id, or None when it may not go (STOP, daily caps)."""
    return services.sms_send(number=number, text=text, purpose="messages", area_id=area_id)
