from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from qurb.alerts.models import GuardianRelation, IdentityDocument
from qurb.web.common.forms import DirectedForm


class CaseForm(DirectedForm):
    child_first_name = forms.CharField(label=_("Child's first name"), max_length=80)
    child_age = forms.IntegerField(label=_("Age"), min_value=0, max_value=17)
    description = forms.CharField(
        label=_("Description (height, build, hair, distinguishing marks)"),
        max_length=2000,
        widget=forms.Textarea({"rows": 3}),
    )
    clothing = forms.CharField(label=_("Clothes when last seen"), max_length=1000, required=False)
    places = forms.CharField(
        label=_("Places the child goes (may help)"), max_length=1000, required=False
    )
    photo = forms.FileField(label=_("Recent photo (JPEG, PNG or WebP)"), required=False)
    last_seen_at = forms.DateTimeField(
        label=_("Last seen at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    last_seen_place = forms.CharField(label=_("Last seen place"), max_length=300)
    lat = forms.FloatField(label=_("Latitude"), min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("Longitude"), min_value=-180, max_value=180)
    radius_km = forms.IntegerField(
        label=_("Radius of the alert (km)"),
        min_value=1,
        max_value=settings.ALERT_MAX_RADIUS_KM,
        initial=settings.ALERT_RADIUS_KM,
    )
    guardian_name = forms.CharField(label=_("Parent or legal guardian"), max_length=150)
    guardian_relation = forms.ChoiceField(label=_("Relation"), choices=GuardianRelation.choices)
    guardian_document = forms.ChoiceField(
        label=_("Identity document checked"), choices=IdentityDocument.choices
    )
    guardian_document_number = forms.CharField(label=_("Document number"), max_length=40)
    guardian_phone = forms.CharField(label=_("Guardian's telephone"), max_length=30)
    guardian_checked = forms.BooleanField(
        label=_("I checked the guardian's identity and the documents showing the relation"),
        required=False,
    )
    is_exercise = forms.BooleanField(label=_("This is an exercise"), required=False)


class SubscribeForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    district = forms.TypedChoiceField(
        label=_("District"), coerce=int, required=False, empty_value=None
    )
    lat = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("Longitude"), required=False, min_value=-180, max_value=180)
    radius_km = forms.FloatField(
        label=_("Radius (km)"),
        required=False,
        initial=50,
        min_value=1,
        max_value=settings.ALERT_SUBSCRIBER_MAX_RADIUS_KM,
    )
