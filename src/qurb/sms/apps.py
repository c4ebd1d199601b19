from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SmsConfig(AppConfig):
    name = "qurb.sms"
    label = "sms"
    verbose_name = _("SMS through Kannel")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Reports tell who listens that a report changed status; the SMS path listens here, so
        # that qurb.reports (a lower layer) never imports qurb.sms.
        from qurb.reports.signals import report_status_changed
        from qurb.sms import receivers

        report_status_changed.connect(
            receivers.status_changed, dispatch_uid="qurb.sms.status_changed"
        )
