from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NeighbourhoodsConfig(AppConfig):
    name = "qurb.neighbourhoods"
    label = "neighbourhoods"
    verbose_name = _("My neighbourhood")
