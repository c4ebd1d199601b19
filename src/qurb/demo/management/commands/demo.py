import os
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from qurb.core.links import link_to_served_site, served_site_url
from qurb.core.management.commands.serve import serve_with_worker
from qurb.core.supervisor import Program
from qurb.demo.reports import demo_api_key
from qurb.demo.services import DEMO_PASSWORD, demo_load
from qurb.reports.models import Report
from qurb.reports.synthetic import generate_reports
from qurb.sms import kannel

HOST = "127.0.0.1"
TRY_SMS = 'qurb sms --from 0612345678 "kayn chi wa7ed kaybi3 l7chich 9dam lmdrassa"'


class Command(BaseCommand):
    help = "Prepare the database with the Fès–Meknès demo data and serve the site."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-serve", action="store_true", help="Prepare the database and exit."
        )
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--synthetic",
            type=int,
            default=30_000,
            help="synthetic reports for the insights dashboard (only if none exist yet)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.HTTPS:
            raise CommandError(
                "Refusing to load demo accounts into a production (QURB_HTTPS) deployment."
            )
        if not options["no_serve"]:
            # What the demo queues while loading links to the port it is about to serve.
            link_to_served_site(HOST, options["port"])
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Loading the demo geography (Fès and Meknès)…")

        def progress(done: int, total: int) -> None:
            if done == total:
                sys.stderr.write(f"  {total} areas checked\n")

        reports, accounts = demo_load(progress=progress)
        for r in reports:
            self.stdout.write(
                f"  areas: {len(r.created)} new, {len(r.changed)} changed, "
                f"{len(r.unchanged)} unchanged"
            )
        if options["synthetic"] and not Report.objects.filter(is_synthetic=True).exists():
            self.stdout.write(
                f"Generating {options['synthetic']:,} synthetic reports for the insights"
                " (marked synthetic; kept out of the triage queue)…"
            )
            generate_reports(count=options["synthetic"])
        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(f"\nDemo accounts (password for all: {DEMO_PASSWORD})")
        self.stdout.write(
            "Staff accounts need a second factor: add the key to an authenticator app,"
            " or use the backup code once."
        )
        for a in accounts:
            extra = (
                f"  TOTP key {a.totp_key_base32}  backup code {a.backup_code}"
                if a.totp_key_base32
                else ""
            )
            self.stdout.write(f"  {a.username:<16} {a.role} — {a.area}{extra}")
        self.stdout.write(
            "\nReport a concern: /report/ · follow one: /track/ · "
            "staff home: /staff/ (triage: /staff/reports/)"
        )
        self.stdout.write("Demo partner key for the JSON API (X-Api-Key) and Open311 (api_key):")
        self.stdout.write(f"  {demo_api_key()}")
        if not options["no_serve"]:
            gateway = self.sms_gateway(options["port"])
            status = serve_with_worker(HOST, options["port"], extra=gateway)
            if status:
                sys.exit(status)

    def sms_gateway(self, port: int) -> list[Program]:
        """Kannel for real when it is installed: bearerbox and smsbox, configured to call this
        server, and fakesmsc playing the phones (``qurb sms --from`` from another terminal),
        supervised with the server and the worker. Otherwise the console prints the SMS."""
        if os.environ.get("QURB_KANNEL_SENDSMS_URL"):
            self.stdout.write("\nSMS: through the Kannel of QURB_KANNEL_SENDSMS_URL.")
            return []
        if not kannel.installed():
            self.stdout.write(
                "\nSMS: Kannel is not installed (apt-get install kannel kannel-extras), so the"
                " SMS Qurb sends are printed here, and `qurb sms --from` answers directly."
            )
            return []
        setup = kannel.Setup.create(
            kannel.local_directory(settings.DATA_DIR), served_site_url(HOST, port)
        )
        setup.write()
        os.environ.update(setup.environment())  # the server and the worker started below
        self.stdout.write(
            "\nSMS: through Kannel (bearerbox and smsbox; fakesmsc plays the phones, and the SMS"
            f" they receive are printed here). Its logs: {setup.directory}"
        )
        self.stdout.write(f"Text Qurb from another terminal: .venv/bin/{TRY_SMS}")
        return setup.programs()
