"""Form helpers shared by the web edges."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's refusal on the form: each message on its field, or on the whole form
    when the service names a field the form does not have."""
    for field, messages in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)
