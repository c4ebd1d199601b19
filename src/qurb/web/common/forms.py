"""Form helpers shared by the web edges."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.forms.widgets import DateTimeBaseInput
from django.http import HttpRequest, HttpResponse
from django.utils.text import format_lazy
from django.utils.translation import get_language, gettext_lazy

from qurb.core.text import FIELD_LANGUAGES, field_language

# How a field's label says its language: "Title (in Arabic)".
IN_LANGUAGE = {
    "ar": gettext_lazy("in Arabic"),
    "fr": gettext_lazy("in French"),
    "en": gettext_lazy("in English"),
}


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's refusal on the form: each message on its field, or on the whole form
    when the service names a field the form does not have."""
    for field, messages in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


def errors_as_messages(request: HttpRequest, form: forms.Form, back: HttpResponse) -> HttpResponse:
    """A form posted from a page it does not render itself: its errors as messages (each with
    its field's label), then ``back`` to that page."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else None
        for error in errors:
            flash.error(request, f"{label}: {error}" if label else str(error))
    return back


def text_fields(
    label: Any, *, max_length: int | None = None, rows: int | None = None
) -> tuple[forms.CharField, forms.CharField, forms.CharField]:
    """One text in Arabic, French and English: three optional fields, each labelled with its
    language and written in its direction; declare them as ``<name>_ar, <name>_fr, <name>_en =
    text_fields(…)`` in a ``TextsForm``."""
    made = []
    for code in FIELD_LANGUAGES:
        attrs = {"lang": code, "dir": "rtl" if code == "ar" else "ltr"}
        widget = forms.Textarea({"rows": rows, **attrs}) if rows else forms.TextInput(attrs)
        made.append(
            forms.CharField(
                label=format_lazy("{} ({})", label, IN_LANGUAGE[code]),
                max_length=max_length,
                required=False,
                widget=widget,
            )
        )
    return made[0], made[1], made[2]


class DirectedForm(forms.Form):
    """A form whose free-text inputs take the direction of what is typed (``dir="auto"``): a
    French address typed on the Arabic page runs left to right, an Arabic name on the French
    page right to left. A field that sets its own ``dir`` keeps it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.TextInput | forms.Textarea) and not isinstance(
                widget, DateTimeBaseInput
            ):
                widget.attrs.setdefault("dir", "auto")


class TextsForm(DirectedForm):
    """A form with texts in three languages (see ``text_fields``). ``required_texts`` maps each
    text that must be given in at least one language to the error shown, on the field of the
    page's language, when none is."""

    required_texts: ClassVar[dict[str, Any]] = {}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name, message in self.required_texts.items():
            if not any(self.texts(name).values()):
                self.add_error(f"{name}_{field_language(get_language())}", message)
        return data

    def texts(self, name: str) -> dict[str, str]:
        """``{"ar": …, "fr": …, "en": …}`` of a cleaned text (empty where not given)."""
        data = getattr(self, "cleaned_data", {})
        return {code: (data.get(f"{name}_{code}") or "").strip() for code in FIELD_LANGUAGES}
