"""Second-factor devices, through django-otp (TOTP, with single-use backup codes)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from qurb.accounts.models import User
from qurb.audit.actions import AuditAction
from qurb.audit.services import audit_record


def confirmed_devices(user: User) -> list[Any]:
    return [
        *TOTPDevice.objects.filter(user=user, confirmed=True),
        *StaticDevice.objects.filter(user=user, confirmed=True),
    ]


def pending_totp_device(user: User) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def mfa_verify(*, user: User, token: str) -> Any | None:
    """The device that accepts ``token`` (confirmed on first use), or None; both outcomes are
    recorded. The web edge marks the session as verified with the device it gets back."""
    token = "".join(token.split())
    candidates = confirmed_devices(user) or [pending_totp_device(user)]
    for device in candidates:
        if device.verify_token(token):
            with transaction.atomic():
                if not device.confirmed:
                    device.confirmed = True
                    device.save(update_fields=["confirmed"])
                audit_record(
                    actor=user,
                    action=AuditAction.ACCOUNTS_VERIFY_MFA,
                    target=user,
                    details={"device": type(device).__name__},
                )
            return device
    with transaction.atomic():
        audit_record(actor=user, action=AuditAction.ACCOUNTS_FAIL_MFA, target=user)
    return None


def totp_enrol(
    *, user: User, key_hex: str | None = None, backup_codes: list[str] | None = None
) -> TOTPDevice:
    """A confirmed TOTP device (and optional backup codes), for provisioning and the demo."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        kwargs = {"key": key_hex} if key_hex else {}
        device = TOTPDevice.objects.create(
            user=user, name="authenticator", confirmed=True, **kwargs
        )
        if backup_codes:
            static, _ = StaticDevice.objects.get_or_create(
                user=user, name="backup", defaults={"confirmed": True}
            )
            static.token_set.all().delete()
            for code in backup_codes:
                StaticToken.objects.create(device=static, token=code)
        audit_record(
            actor=None,
            action=AuditAction.ACCOUNTS_ENROL_MFA,
            target=user,
            details={"device": "TOTPDevice"},
        )
    return device
