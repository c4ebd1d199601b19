from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "qurb.reports"
    verbose_name = _("Concern reports")
    default_auto_field = "django.db.models.BigAutoField"
