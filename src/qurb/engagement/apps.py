from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EngagementConfig(AppConfig):
    name = "qurb.engagement"
    label = "engagement"
    verbose_name = _("Meetings and priorities")
