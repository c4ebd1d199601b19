"""Who a page acts for."""

from __future__ import annotations

from django.http import HttpRequest

from qurb.accounts.models import User
from qurb.core.errors import Refused


def acting(request: HttpRequest) -> User:
    """The signed-in account a staff page acts for (services take a ``User``); a visitor who
    is not signed in is refused."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise Refused("out_of_scope")
    return user
