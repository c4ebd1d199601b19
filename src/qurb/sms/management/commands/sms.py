"""``qurb sms --from NUMBER "TEXT"``: play a phone. The text goes through the same code as an
SMS coming from Kannel, and Qurb's answers are printed (they are also queued as SMS: through
Kannel when QURB_KANNEL_SENDSMS_URL is set, to the console log otherwise).

``qurb sms --purge`` (daily): delete the phone numbers past their retention (docs/sms.md)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from qurb.sms.conversation import incoming_handle
from qurb.sms.services import numbers_purge


class Command(BaseCommand):
    help = (
        'Text Qurb as a phone would and print its answers (--from NUMBER "TEXT"), or delete '
        "the phone numbers past QURB_SMS_RETENTION_DAYS (--purge, daily)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="number", help="the phone number")
        parser.add_argument("--purge", action="store_true", help="apply the retention")
        parser.add_argument("text", nargs="?", default="", help="the SMS text")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["purge"]:
            self.stdout.write(f"{numbers_purge()} phone number(s) deleted")
            return
        if not options["number"]:
            raise CommandError('usage: qurb sms --from NUMBER "TEXT" | qurb sms --purge')
        try:
            outcome = incoming_handle(number=options["number"], text=options["text"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        for reply in outcome.replies:
            self.stdout.write(f"< {reply}")
