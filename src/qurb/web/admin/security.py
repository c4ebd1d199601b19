"""Second-factor devices and login throttling in the admin: read-only.

A device's secret (the TOTP key, the backup codes) is never shown
(``OTP_ADMIN_HIDE_SENSITIVE_DATA``) and nothing is edited here: devices are enrolled and
verified through ``qurb.accounts.mfa`` (audited). django-axes' records of failed sign-ins are
evidence: they cannot be changed or deleted here (a lockout ends by itself after
``AXES_COOLOFF_TIME``).
"""

from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from qurb.web.admin.core import ReadOnlyAdminMixin

# django-otp and django-axes ship no type information: their admins are ``Any`` to mypy.
# ``actions = ()``: no bulk action either (Django's "delete selected", axes' "clean up").


class ReadOnlyTOTPDeviceAdmin(ReadOnlyAdminMixin, TOTPDeviceAdmin):  # type: ignore[misc]
    actions = ()


class ReadOnlyStaticDeviceAdmin(ReadOnlyAdminMixin, StaticDeviceAdmin):  # type: ignore[misc]
    actions = ()
    inlines: list[Any] = []  # the backup codes themselves are never shown

    def get_inline_instances(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        return []


class ReadOnlyAccessAttemptAdmin(ReadOnlyAdminMixin, AccessAttemptAdmin):  # type: ignore[misc]
    actions = ()


class ReadOnlyAccessLogAdmin(ReadOnlyAdminMixin, AccessLogAdmin):  # type: ignore[misc]
    actions = ()


class ReadOnlyAccessFailureLogAdmin(ReadOnlyAdminMixin, AccessFailureLogAdmin):  # type: ignore[misc]
    actions = ()


REPLACED: list[tuple[type[models.Model], type[admin.ModelAdmin[Any]]]] = [
    (TOTPDevice, ReadOnlyTOTPDeviceAdmin),
    (StaticDevice, ReadOnlyStaticDeviceAdmin),
    (AccessAttempt, ReadOnlyAccessAttemptAdmin),
    (AccessLog, ReadOnlyAccessLogAdmin),
    (AccessFailureLog, ReadOnlyAccessFailureLogAdmin),
]

for model, model_admin in REPLACED:
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
