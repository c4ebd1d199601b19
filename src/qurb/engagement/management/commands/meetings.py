from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from qurb.engagement.services import meetings_remind


class Command(BaseCommand):
    help = (
        "Meetings: 'remind' enqueues the reminder e-mails for meetings starting within 24 hours "
        "(each registration is reminded once; run it hourly, e.g. from cron); `qurb worker` "
        "sends them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["remind"])
        parser.add_argument("--hours", type=int, default=24)

    def handle(self, *args: Any, **options: Any) -> None:
        count = meetings_remind(hours=options["hours"])
        self.stdout.write(f"{count} reminder(s) queued")
