from django import forms
from django.utils.translation import gettext_lazy as _


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
