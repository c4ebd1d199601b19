import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from qurb.alerts.delivery import deliver
from qurb.alerts.push import application_server_key
from qurb.alerts.services import alerts_expire, alerts_purge


class Command(BaseCommand):
    help = (
        "Missing-child alerts. 'expire' ends the alerts past their expiry and tells their "
        "subscribers (run it every minute); 'purge' erases the personal data of cases ended "
        "longer than QURB_ALERT_RETENTION_DAYS ago (run it daily); 'deliver' sends every due "
        "delivery now, without a broker (`qurb worker` does it through tasks); 'vapid-key' "
        "prints the public key browsers subscribe with."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["expire", "purge", "deliver", "vapid-key"])

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "expire":
            self.stdout.write(f"{alerts_expire()} alert(s) ended")
        elif action == "purge":
            self.stdout.write(f"{alerts_purge()} case(s) purged")
        elif action == "vapid-key":
            self.stdout.write(application_server_key())
        else:
            start = time.perf_counter()
            stats = deliver()
            elapsed = time.perf_counter() - start
            self.stdout.write(
                json.dumps(
                    {
                        "sent": stats.sent,
                        "gone": stats.gone,
                        "retried": stats.retried,
                        "failed": stats.failed,
                        "seconds": round(elapsed, 3),
                    }
                )
            )
