"""Permissions that follow from roles, so that no group has to be kept in step by hand."""

from typing import Any

from django.contrib.auth.backends import BaseBackend

from qurb.accounts.models import Role, RoleAssignment

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.INSPECTOR: frozenset({"audit.read_audit_trail", "audit.view_auditevent"}),
}


class RolePermissionBackend(BaseBackend):
    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not getattr(user_obj, "is_active", False) or obj is not None:
            return set()
        roles = RoleAssignment.objects.filter(user=user_obj).values_list("role", flat=True)
        perms: set[str] = set()
        for role in roles:
            perms |= ROLE_PERMISSIONS.get(role, frozenset())
        return perms

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return perm in self.get_all_permissions(user_obj, obj)
