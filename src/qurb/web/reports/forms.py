from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from qurb.areas.selectors import area_point
from qurb.reports.models import Category, Flag, Outcome, RecurrenceDays, Status, When
from qurb.reports.rollup import cell_from_text
from qurb.web.common.forms import DirectedForm

ANONYMITY_CHOICES = [
    ("anonymous", _("Anonymous: the police will not know who I am.")),
    ("identified", _("Identified: officers of the district may contact me to follow up.")),
]


class ReportForm(DirectedForm):
    # Where: a point (the map, the phone's location, a place found by name, or typed), or
    # else a neighbourhood from the list, which stands for a point inside it (``area_point``).
    lat = forms.FloatField(
        label=_("Latitude"),
        min_value=-90,
        max_value=90,
        required=False,
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    lon = forms.FloatField(
        label=_("Longitude"),
        min_value=-180,
        max_value=180,
        required=False,
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    area = forms.IntegerField(
        label=_("Or pick your neighbourhood from the list"),
        min_value=1,
        required=False,
        error_messages={"invalid": _("Choose a neighbourhood from the list.")},
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
        self._clean_place(data)
        if data.get("anonymity") == "anonymous":
            for name in ("contact_name", "contact_phone", "contact_email"):
                data[name] = ""
        return data

    def _clean_place(self, data: dict[str, Any]) -> None:
        if any(self.has_error(name) for name in ("lat", "lon", "area")):
            return
        lat, lon, area = data.get("lat"), data.get("lon"), data.get("area")
        if (lat is None) != (lon is None):
            self.add_error("lat", _("Give both the latitude and the longitude, or neither."))
        elif lat is None and area is None:
            self.add_error(
                "area",
                _(
                    "Say where it happens: search for the place by its name, pick your "
                    "neighbourhood from the list, tap the map or use your location."
                ),
            )
        elif lat is None and area is not None:
            point = area_point(area)
            if point is None:
                self.add_error("area", _("This area is not on the map."))
            else:
                data["lat"], data["lon"] = point


class TrackForm(forms.Form):
    code = forms.CharField(label=_("Tracking code"), max_length=40)


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Did things get better?"), choices=Outcome.choices, widget=forms.RadioSelect
    )


class StatusForm(DirectedForm):
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


class NoteForm(DirectedForm):
    text = forms.CharField(
        label=_("Private note"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


NOT_A_CELL = _(
    "This is not a hexagon of the map. Open the queue from a hotspot or a patrol window of the "
    "insights, or leave the field empty."
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
        label=_("Flag"),
        choices=[
            ("", _("Any")),
            ("urgent", _("Urgent: a weapon, or happening now")),
            *Flag.choices,
        ],
        required=False,
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
    # A hexagon of the insights' map (H3 index), set by the links of hotspots and patrol windows.
    cell = forms.CharField(
        label=_("Hexagon"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off", "spellcheck": "false"}),
        error_messages={"max_length": NOT_A_CELL, "null_characters_not_allowed": NOT_A_CELL},
    )

    def __init__(
        self, *args: Any, areas: list[tuple[int, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [("", _("All")), *(areas or [])]  # type: ignore[attr-defined]

    def clean_cell(self) -> int | None:
        raw = self.cleaned_data.get("cell") or ""
        if not raw.strip():
            return None
        cell = cell_from_text(raw)
        if cell is None:
            raise forms.ValidationError(NOT_A_CELL, code="cell")
        return cell


class TriageForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    flags = forms.MultipleChoiceField(
        label=_("Flags"), choices=Flag.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
