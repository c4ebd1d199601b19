from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from qurb.accounts.models import Association, OfficerProfile, RoleAssignment, User
from qurb.core.admin import ReadOnlyAdminMixin


class RoleInline(ReadOnlyAdminMixin, admin.TabularInline[RoleAssignment, User]):
    """Roles are granted through qurb.accounts.services (audited), not edited here."""

    model = RoleAssignment
    fk_name = "user"
    extra = 0
    autocomplete_fields = ["area"]
    readonly_fields = ["granted_at", "granted_by"]


@admin.register(User)
class QurbUserAdmin(UserAdmin[User]):
    inlines = [RoleInline]
    list_display = ("username", "display_name", "email", "is_active", "association")
    fieldsets = (
        *UserAdmin.fieldsets,  # type: ignore[misc]
        ("Qurb", {"fields": ("display_name", "preferred_language", "association")}),
    )


@admin.register(OfficerProfile)
class OfficerProfileAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[OfficerProfile]):
    list_display = ("user", "rank", "public_phone", "is_demo")


@admin.register(Association)
class AssociationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Association]):
    list_display = ("name_fr", "name_ar", "registration_number", "area", "status", "is_demo")
    list_filter = ("status",)
    readonly_fields = ("verified_by", "verified_at")
