from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from qurb.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    """Read-only: nobody adds, edits or deletes audit events through the application."""

    list_display = (
        "occurred_at",
        "actor_label",
        "action",
        "object_type",
        "object_label",
        "area_id",
    )
    list_filter = ("action", "object_type")
    search_fields = ("actor_label", "action", "object_label", "object_id")
    date_hierarchy = "occurred_at"

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("audit.read_audit_trail")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("audit.read_audit_trail")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
