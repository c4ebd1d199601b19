from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from qurb.areas.models import Area
from qurb.communication.models import EventKind, Topic, VisitorKind
from qurb.communication.selectors import edition_area_choices, edition_areas_chosen
from qurb.communication.services import MAX_EDITIONS
from qurb.web.common.forms import DirectedForm, TextsForm, text_fields


class TicketForm(DirectedForm):
    name = forms.CharField(label=_("Your name"), max_length=150)
    email = forms.EmailField(label=_("E-mail (to receive the ticket)"), required=False)
    visitor_kind = forms.ChoiceField(label=_("You come as"), choices=VisitorKind.choices)


class EventForm(TextsForm):
    required_texts = {"title": _("Give the event a title in at least one language.")}

    kind = forms.ChoiceField(label=_("Kind"), choices=EventKind.choices)
    title_ar, title_fr, title_en = text_fields(_("Title"), max_length=200)
    description_ar, description_fr, description_en = text_fields(_("Description"), rows=3)
    starts_on = forms.DateField(label=_("First day"), widget=forms.DateInput({"type": "date"}))
    ends_on = forms.DateField(label=_("Last day"), widget=forms.DateInput({"type": "date"}))
    capacity = forms.IntegerField(label=_("Tickets (empty: no limit)"), required=False, min_value=1)


class ProgrammeForm(TextsForm):
    required_texts = {"title": _("Give the session a title in at least one language.")}

    title_ar, title_fr, title_en = text_fields(_("Session"), max_length=200)
    speakers_ar, speakers_fr, speakers_en = text_fields(_("Speakers"), max_length=300)
    place_ar, place_fr, place_en = text_fields(_("Room or place"), max_length=200)
    starts_at = forms.DateTimeField(
        label=_("Starts at"), widget=forms.DateTimeInput({"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=_("Ends at"), widget=forms.DateTimeInput({"type": "datetime-local"})
    )


class VenueForm(TextsForm):
    required_texts = {"name": _("Name the venue in at least one language.")}

    name_ar, name_fr, name_en = text_fields(_("Venue"), max_length=200)
    address_ar, address_fr, address_en = text_fields(_("Address"), max_length=300)


class StandForm(TextsForm):
    required_texts = {"name": _("Name the stand in at least one language.")}

    name_ar, name_fr, name_en = text_fields(_("Stand"), max_length=200)
    description_ar, description_fr, description_en = text_fields(
        _("What visitors find there"), rows=2
    )


class SessionForm(DirectedForm):
    school = forms.IntegerField(widget=forms.Select)
    topic = forms.ChoiceField(label=_("Topic"), choices=Topic.choices)
    held_on = forms.DateField(label=_("Date"), widget=forms.DateInput({"type": "date"}))
    trainer = forms.CharField(label=_("Trainer"), max_length=150)
    pupils = forms.IntegerField(
        label=_("Pupils reached (once held)"), required=False, min_value=0, max_value=5000
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea({"rows": 2}))


def _edition_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The prefectures, each with its districts, as option groups."""
    return [
        (top.name, [(str(top.pk), top.name), *((str(a.pk), a.name) for a in inside)])
        for top, inside in edition_area_choices()
    ]


class EditionAreasForm(forms.Form):
    """Which areas' newsletters to receive: prefectures or districts, none for the national
    edition."""

    areas = forms.MultipleChoiceField(
        label=_("Areas"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["areas"].choices = _edition_choices()  # type: ignore[attr-defined]

    def clean_areas(self) -> list[Area]:
        chosen = self.cleaned_data.get("areas") or []
        if len(chosen) > MAX_EDITIONS:
            raise forms.ValidationError(
                _("Choose at most %(n)s areas.") % {"n": MAX_EDITIONS}, code="too_many"
            )
        areas = edition_areas_chosen(chosen)
        if areas is None:  # an area gone between the page and the answer
            raise forms.ValidationError(_("Choose a prefecture or a district."), code="invalid")
        return areas


class NewsletterForm(EditionAreasForm):
    email = forms.EmailField(label=_("E-mail address"))

    field_order = ["email", "areas"]
