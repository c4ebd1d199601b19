import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from qurb.messaging.delivery import deliver
from qurb.messaging.models import Rhythm
from qurb.messaging.tasks import digests


class Command(BaseCommand):
    help = (
        "Neighbourhood messages. 'digest daily' (run by cron once a day) and 'digest weekly' "
        "(once a week) send one digest to each subscriber of that rhythm who has something "
        "waiting, and to nobody else (the workers send them); 'deliver' sends everything due "
        "now, without a worker."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["digest", "deliver"])
        parser.add_argument("rhythm", nargs="?", choices=[Rhythm.DAILY, Rhythm.WEEKLY])

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "digest":
            if not options["rhythm"]:
                self.stderr.write("messages digest daily|weekly")
                raise SystemExit(2)
            self.stdout.write(f"{digests(options['rhythm'])} digest(s) queued")
            return
        stats = deliver()
        self.stdout.write(
            json.dumps(
                {
                    "sent": stats.sent,
                    "failed": stats.failed,
                    "gone": stats.gone,
                    "retried": stats.retried,
                    "held": stats.held,
                }
            )
        )
