from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from qurb.reports.models import Category, Flag, Outcome, RecurrenceDays, Status, When

ANONYMITY_CHOICES = [
    ("anonymous", _("Anonymous: the police will not know who I am.")),
    ("identified", _("Identified: officers of the district may contact me to follow up.")),
]


class ReportForm(forms.Form):
    lat = forms.FloatField(
        label=_("Latitude"),
        min_value=-90,
        max_value=90,
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    lon = forms.FloatField(
        label=_("Longitude"),
        min_value=-180,
        max_value=180,
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    address = forms.CharField(
        label=_("Landmark or address (optional)"), max_length=300, required=False
    )
    category = forms.ChoiceField(
        label=_("What is it about?"), choices=Category.choices, widget=forms.RadioSelect
    )
    flags = forms.MultipleChoiceField(
        label=_("Anything else?"),
        choices=[c for c in Flag.choices if c[0] != Flag.IN_PROGRESS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    when = forms.ChoiceField(
        label=_("When does it happen?"),
        choices=When.choices,
        widget=forms.RadioSelect,
        initial=When.UNKNOWN,
    )
    occurred_at = forms.DateTimeField(
        label=_("Date and time"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    recurrence_days = forms.ChoiceField(
        label=_("Which days?"), choices=[("", "—"), *RecurrenceDays.choices], required=False
    )
    recurrence_from = forms.TimeField(
        label=_("From"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    recurrence_to = forms.TimeField(
        label=_("Until"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    description = forms.CharField(
        label=_("What happens?"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": 4000, "dir": "auto"}),
        help_text=_("Write in Arabic, Darija or French, as you wish. Up to 4,000 characters."),
    )
    anonymity = forms.ChoiceField(
        label=_("Who will know it is you?"),
        choices=ANONYMITY_CHOICES,
        widget=forms.RadioSelect,
        initial="anonymous",
    )
    contact_name = forms.CharField(label=_("Your name"), max_length=150, required=False)
    contact_phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    contact_email = forms.EmailField(label=_("E-mail"), required=False)
    updates_email = forms.EmailField(
        label=_("E-mail for status updates (optional)"),
        required=False,
        help_text=_("Used only to tell you when the status changes; staff do not see it."),
    )
    altcha = forms.CharField(widget=forms.HiddenInput, required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=80, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("anonymity") == "anonymous":
            for name in ("contact_name", "contact_phone", "contact_email"):
                data[name] = ""
        return data


class TrackForm(forms.Form):
    code = forms.CharField(label=_("Tracking code"), max_length=40)


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Did things get better?"), choices=Outcome.choices, widget=forms.RadioSelect
    )


class StatusForm(forms.Form):
    to_status = forms.ChoiceField(label=_("New status"), choices=Status.choices)
    template = forms.IntegerField(required=False, widget=forms.HiddenInput)
    public_note = forms.CharField(
        label=_("Public note (the reporter sees it)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    staff_note = forms.CharField(
        label=_("Private staff note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Private note"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class QueueFilterForm(forms.Form):
    category = forms.ChoiceField(
        label=_("Category"), choices=[("", _("All")), *Category.choices], required=False
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("open", _("Open")), ("all", _("All")), *Status.choices],
        required=False,
    )
    flag = forms.ChoiceField(
        label=_("Flag"), choices=[("", _("Any")), *Flag.choices], required=False
    )
    area = forms.TypedChoiceField(label=_("Area"), coerce=int, required=False, empty_value=None)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    assigned = forms.ChoiceField(
        label=_("Assigned"),
        choices=[("", _("Anyone")), ("me", _("To me")), ("none", _("Nobody"))],
        required=False,
    )

    def __init__(
        self, *args: Any, areas: list[tuple[int, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [("", _("All")), *(areas or [])]  # type: ignore[attr-defined]


class TriageForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    flags = forms.MultipleChoiceField(
        label=_("Flags"), choices=Flag.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
