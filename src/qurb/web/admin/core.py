from typing import Any

from django.http import HttpRequest


class ReadOnlyAdminMixin:
    """For domain models whose changes must go through services (validated and audited):
    the admin shows them but cannot add, change or delete them."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
