from django import forms
from django.utils.translation import gettext_lazy as _

from qurb.communication.models import EventKind, Topic, VisitorKind


class TicketForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=150)
    email = forms.EmailField(label=_("E-mail (to receive the ticket)"), required=False)
    visitor_kind = forms.ChoiceField(label=_("You come as"), choices=VisitorKind.choices)


class EventForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=EventKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea({"rows": 3})
    )
    starts_on = forms.DateField(label=_("First day"), widget=forms.DateInput({"type": "date"}))
    ends_on = forms.DateField(label=_("Last day"), widget=forms.DateInput({"type": "date"}))
    capacity = forms.IntegerField(label=_("Tickets (empty: no limit)"), required=False, min_value=1)


class ProgrammeForm(forms.Form):
    title = forms.CharField(label=_("Session"), max_length=200)
    speakers = forms.CharField(label=_("Speakers"), max_length=300, required=False)
    place = forms.CharField(label=_("Room or place"), max_length=200, required=False)
    starts_at = forms.DateTimeField(
        label=_("Starts at"), widget=forms.DateTimeInput({"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=_("Ends at"), widget=forms.DateTimeInput({"type": "datetime-local"})
    )


class SessionForm(forms.Form):
    school = forms.IntegerField(widget=forms.Select)
    topic = forms.ChoiceField(label=_("Topic"), choices=Topic.choices)
    held_on = forms.DateField(label=_("Date"), widget=forms.DateInput({"type": "date"}))
    trainer = forms.CharField(label=_("Trainer"), max_length=150)
    pupils = forms.IntegerField(
        label=_("Pupils reached (once held)"), required=False, min_value=0, max_value=5000
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea({"rows": 2}))


class NewsletterForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
