from django import forms
from django.utils.translation import gettext_lazy as _


class LocateForm(forms.Form):
    lat = forms.FloatField(
        label=_("Latitude"),
        min_value=-90,
        max_value=90,
        error_messages={"invalid": _("Latitude must be a number between -90 and 90.")},
    )
    lon = forms.FloatField(
        label=_("Longitude"),
        min_value=-180,
        max_value=180,
        error_messages={"invalid": _("Longitude must be a number between -180 and 180.")},
    )


class PickForm(forms.Form):
    area = forms.IntegerField(
        label=_("Neighbourhood"),
        min_value=1,
        error_messages={"invalid": _("Choose a neighbourhood from the list.")},
    )
