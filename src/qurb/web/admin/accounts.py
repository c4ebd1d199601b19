from contextvars import ContextVar
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from qurb.accounts.models import Association, OfficerProfile, RoleAssignment, User
from qurb.accounts.services import user_details_update, user_disable, user_password_set
from qurb.web.admin.core import ReadOnlyAdminMixin

# Privileges follow from roles (qurb.accounts.access), granted by audited services: Django
# groups are not used, so they are not offered.
admin.site.unregister(Group)

# Who is changing a password in the admin, for the form that calls the audited service.
_actor: ContextVar[User] = ContextVar("qurb_admin_password_actor")

# What the admin may never change by hand: privileges, and whether the account is active.
PRIVILEGE_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions", "is_active")


class RoleInline(ReadOnlyAdminMixin, admin.TabularInline[RoleAssignment, User]):
    """Roles are granted through qurb.accounts.services (audited), not edited here."""

    model = RoleAssignment
    fk_name = "user"
    extra = 0
    autocomplete_fields = ["area"]
    readonly_fields = ["granted_at", "granted_by"]


class AuditedPasswordChangeForm(AdminPasswordChangeForm):  # type: ignore[type-arg]
    """The admin's "change password" form for another account: the new password (or none:
    password sign-in disabled) is set by ``user_password_set``, audited without it."""

    def save(self, commit: bool = True) -> User:
        data = self.cleaned_data
        password = data["password1"] if data["set_usable_password"] else None
        return user_password_set(user=self.user, password=password, actor=_actor.get())


@admin.register(User)
class QurbUserAdmin(UserAdmin[User]):
    """Accounts: names and contact details are changed through ``user_details_update`` (audited
    with old and new values); privileges come from roles and cannot be edited here; an account
    is disabled with the action, which ends its sessions (audited)."""

    inlines = [RoleInline]
    change_password_form = AuditedPasswordChangeForm
    list_display = ("username", "display_name", "email", "is_active", "association")
    readonly_fields = (*PRIVILEGE_FIELDS, "last_login", "date_joined", "association")
    actions = ["disable"]
    fieldsets = (
        *UserAdmin.fieldsets,  # type: ignore[misc]
        ("Qurb", {"fields": ("display_name", "preferred_language", "association")}),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # accounts are opened by services (staff provisioning, invitations)

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        token = _actor.set(request.user)  # type: ignore[arg-type]
        try:
            return super().user_change_password(request, id, form_url)
        finally:
            _actor.reset(token)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the audit trail keeps pointing at its actors

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        fields = [f for f in form.changed_data if f not in PRIVILEGE_FIELDS]
        if not fields:
            return
        user_details_update(
            user=User.objects.get(pk=obj.pk),
            values={f: getattr(obj, f) for f in fields},
            actor=request.user,  # type: ignore[arg-type]
        )

    @admin.action(description="Disable the selected accounts (ends their sessions)")
    def disable(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset.filter(is_active=True):
            user_disable(user=user, actor=request.user)  # type: ignore[arg-type]
        self.message_user(request, "Disabled.", messages.SUCCESS)


@admin.register(OfficerProfile)
class OfficerProfileAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[OfficerProfile]):
    list_display = ("user", "rank", "public_phone", "is_demo")


@admin.register(Association)
class AssociationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Association]):
    list_display = ("name_fr", "name_ar", "registration_number", "area", "status", "is_demo")
    list_filter = ("status",)
    readonly_fields = ("verified_by", "verified_at")
