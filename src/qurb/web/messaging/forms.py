from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from qurb.messaging.models import WRITTEN_KINDS, Channel, MessageKind, Rhythm, Topic
from qurb.web.common.forms import DirectedForm, TextsForm, text_fields


class PreferencesForm(DirectedForm):
    """What a subscriber hears about, how often, and when not."""

    topics = forms.MultipleChoiceField(
        label=_("What you want to hear about"),
        choices=Topic.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[t.value for t in Topic],
    )
    rhythm = forms.ChoiceField(
        label=_("How often"), choices=Rhythm.choices, initial=Rhythm.NOW, widget=forms.RadioSelect
    )
    quiet_start = forms.TimeField(
        label=_("Quiet hours from"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    quiet_end = forms.TimeField(
        label=_("until"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )


class SubscribeForm(PreferencesForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "subscribe-%s")  # the neighbourhood page has other forms
        super().__init__(*args, **kwargs)

    channel = forms.ChoiceField(
        label=_("Receive them by"),
        choices=[(Channel.EMAIL, Channel.EMAIL.label), (Channel.SMS, Channel.SMS.label)],
        initial=Channel.EMAIL,
        widget=forms.RadioSelect,
    )
    email = forms.CharField(
        label=_("E-mail address"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "dir": "ltr"}),
    )
    number = forms.CharField(
        label=_("Mobile number"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "dir": "ltr"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("The 6-digit code we texted you"),
        max_length=6,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "dir": "ltr"}
        ),
    )


class MessageForm(TextsForm):
    area = forms.TypedChoiceField(label=_("To"), coerce=int, choices=[])
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[(k.value, MessageKind(k).label) for k in WRITTEN_KINDS]
    )
    title_ar, title_fr, title_en = text_fields(_("Title"), max_length=140)
    body_ar, body_fr, body_en = text_fields(_("Text"), max_length=2000, rows=5)
    ends_on = forms.DateField(
        label=_("Until (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    required_texts = {"title": _("Write the message in at least one language.")}
