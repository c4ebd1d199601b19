"""Django permissions that follow from capabilities, so that no group has to be kept in step
by hand."""

from typing import Any

from django.contrib.auth.backends import BaseBackend

from qurb.accounts.access import Capability, grant

# The Django permissions each capability brings (over the whole force only: the admin has no
# notion of areas).
CAPABILITY_PERMISSIONS: dict[Capability, frozenset[str]] = {
    Capability.AUDIT_READ: frozenset({"audit.read_audit_trail", "audit.view_auditevent"}),
}


class RolePermissionBackend(BaseBackend):
    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not getattr(user_obj, "is_active", False) or obj is not None:
            return set()
        perms: set[str] = set()
        for capability, granted in CAPABILITY_PERMISSIONS.items():
            if grant(user_obj, capability).everywhere:
                perms |= granted
        return perms

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return perm in self.get_all_permissions(user_obj, obj)
