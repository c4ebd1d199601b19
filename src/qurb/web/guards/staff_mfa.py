from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from qurb.accounts.access import is_staff_member

# What a staff member may reach before the second factor: signing in and out, the MFA page
# itself, switching language and static files.
_OPEN_PREFIXES = ("/accounts/", "/i18n/", "/static/")


class StaffMfaMiddleware:
    """Every staff role passes a second factor (TOTP) before any other page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(_OPEN_PREFIXES)
            # django-otp's middleware adds is_verified() to the user at run time.
            and not user.is_verified()  # type: ignore[attr-defined]
            and (is_staff_member(user) or user.is_staff or user.is_superuser)
        ):
            target = reverse("accounts:mfa") + "?" + urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(target)
        return self.get_response(request)
