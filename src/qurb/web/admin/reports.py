from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from qurb.reports.models import ApiKey, ResponseTemplate
from qurb.reports.services import api_key_revoke
from qurb.web.admin.core import ReadOnlyAdminMixin
from qurb.web.common.actors import acting


@admin.register(ResponseTemplate)
class ResponseTemplateAdmin(admin.ModelAdmin[ResponseTemplate]):
    list_display = ["title", "status", "category"]
    list_filter = ["status", "category"]


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[ApiKey]):
    """Partner keys are created with `qurb apikey create NAME` (shown once) and revoked here."""

    list_display = ["name", "prefix", "is_active", "created_at", "revoked_at"]
    actions = ["revoke"]
    exclude = ["key_hash"]

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for key in queryset.filter(is_active=True):
            api_key_revoke(api_key=key, actor=acting(request))
        self.message_user(request, "Revoked.")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
