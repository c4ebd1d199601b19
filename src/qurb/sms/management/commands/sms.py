"""``qurb sms --from NUMBER "TEXT"``: play a phone, and print Qurb's answers.

While ``qurb demo`` runs with Kannel (its fakesmsc reads ``$QURB_DATA_DIR/kannel/phones.in``),
the text goes the whole way, from another terminal: fakesmsc sends it as the phone
``NUMBER``, bearerbox and smsbox hand it to the demo's server (the get-url), the worker sends
the answers back through Kannel's sendsms, and what the phone received is printed. Otherwise
(or with ``--direct``) the text goes through the same code as an SMS coming from Kannel, in this
process, and the answers are printed; they are also queued as SMS (through Kannel when
QURB_KANNEL_SENDSMS_URL is set, to the console log otherwise).

``qurb sms --purge`` (daily): delete the phone numbers past their retention (docs/sms.md)."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from qurb.sms.conversation import incoming_handle
from qurb.sms.kannel import GatewayAwayError, Phones, local_directory
from qurb.sms.services import numbers_purge, phone_normalise

# After the first answer, further ones (several SMS for one text) come within this.
QUIET = 2.0


class Command(BaseCommand):
    help = (
        'Text Qurb as a phone would and print its answers (--from NUMBER "TEXT"): through '
        "the demo's Kannel when it runs, directly otherwise; or delete the phone numbers past "
        "QURB_SMS_RETENTION_DAYS (--purge, daily)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="number", help="the phone number")
        parser.add_argument("--purge", action="store_true", help="apply the retention")
        parser.add_argument(
            "--direct",
            action="store_true",
            help="answer in this process, even while the demo's SMS gateway runs",
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=30.0,
            help="seconds to wait for the answers through the gateway (default 30)",
        )
        parser.add_argument("text", nargs="?", default="", help="the SMS text")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["purge"]:
            self.stdout.write(f"{numbers_purge()} phone number(s) deleted")
            return
        if not options["number"]:
            raise CommandError('usage: qurb sms --from NUMBER "TEXT" | qurb sms --purge')
        try:
            number = phone_normalise(options["number"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        phones = Phones(local_directory(settings.DATA_DIR))
        if not options["direct"] and phones.running():
            try:
                self._through_gateway(phones, number, options["text"], options["timeout"])
                return
            except GatewayAwayError:
                pass  # the demo stopped in between: answered here instead
        try:
            outcome = incoming_handle(number=number, text=options["text"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        for reply in outcome.replies:
            self.stdout.write(f"< {reply}")

    def _through_gateway(self, phones: Phones, number: str, text: str, timeout: float) -> None:
        since = phones.mark()
        try:
            phones.send(number, text)
        except ValueError:
            raise CommandError(
                "This text does not fit in one SMS line of the demo's phones (fakesmsc): "
                "shorten it, or use --direct."
            ) from None
        sys.stderr.write(
            f"(sent by {number} through the demo's SMS gateway: fakesmsc, bearerbox, smsbox)\n"
        )
        try:
            got = phones.wait_for(number, 1, timeout=timeout, since=since)
        except TimeoutError:
            raise CommandError(
                f"No answer within {timeout:g} s. Is `qurb demo` (its worker) still running? "
                "A number also receives at most QURB_SMS_DAILY_CAP_PER_NUMBER SMS a day. "
                f"Kannel's logs: {phones.directory}"
            ) from None
        quiet_until = time.monotonic() + QUIET
        while time.monotonic() < quiet_until:
            time.sleep(0.1)
            more = phones.received(number, since)
            if len(more) > len(got):
                got = more
                quiet_until = time.monotonic() + QUIET
        for reply in got:
            self.stdout.write(f"< {reply}")
