from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from qurb.web.guards.signin import signin_failed, signin_succeeded, signin_wait


class SlowedSignIn:
    """The soft per-username limit (qurb.web.guards.signin) in front of the password check:
    while the username must wait, the password is not checked (nor counted by django-axes),
    and the form says how long to wait. A failed password is counted; a correct one remembers
    the address it came from."""

    request: Any
    cleaned_data: dict[str, Any]
    user_cache: Any

    def clean(self) -> dict[str, Any]:
        username = str(self.cleaned_data.get("username") or "")
        if self.request is not None:
            wait = signin_wait(self.request, username)
            if wait:
                raise ValidationError(
                    ngettext(
                        "Too many sign-in attempts for this account. Wait %(seconds)s second, "
                        "then try again.",
                        "Too many sign-in attempts for this account. Wait %(seconds)s seconds, "
                        "then try again.",
                        wait,
                    )
                    % {"seconds": wait},
                    code="slowed",
                )
        try:
            cleaned: dict[str, Any] = super().clean()  # type: ignore[misc]
        except ValidationError:
            if self.request is not None and self.user_cache is None:
                signin_failed(self.request, username)
            raise
        if self.request is not None:
            signin_succeeded(self.request, username)
        return cleaned


class SignInForm(SlowedSignIn, AuthenticationForm):
    pass


class AdminSignInForm(SlowedSignIn, AdminAuthenticationForm):
    pass


class MfaForm(forms.Form):
    # Letters too: a backup code is letters and digits (django-otp's static tokens), so no
    # numeric keypad, no digits-only pattern, and no capital a phone adds on its own.
    token = forms.CharField(
        label=_("Code from your authenticator app, or a backup code"),
        max_length=16,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "none",
                "autocorrect": "off",
                "spellcheck": "false",
                "dir": "ltr",
                "autofocus": True,
            }
        ),
    )

    def clean_token(self) -> str:
        """Spaces dropped, letters in lower case: the codes are stored that way."""
        return "".join(str(self.cleaned_data["token"]).split()).lower()
