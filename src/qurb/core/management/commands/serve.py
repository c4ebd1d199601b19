import sys
from collections.abc import Sequence
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from qurb.core.links import link_to_served_site, served_site_url
from qurb.core.supervisor import Program, Supervisor


class Command(BaseCommand):
    help = "Serve Qurb on http://127.0.0.1:PORT (static files through WhiteNoise)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--worker",
            action="store_true",
            help="Run the background task worker beside the server; Ctrl-C stops both.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = options["host"], options["port"]
        # E-mails, CAP messages and push payloads link to the port served here, unless
        # QURB_SITE_URL says otherwise (the worker started below inherits it).
        site_url = link_to_served_site(host, port)
        if options["worker"]:
            sys.exit(serve_with_worker(host, port))
        self.stdout.write(f"Qurb: http://{host}:{port}/  (Ctrl-C to stop)")
        if site_url != served_site_url(host, port):
            self.stdout.write(f"Links in e-mails point at {site_url} (QURB_SITE_URL).")
        call_command("runserver", f"{host}:{port}", use_reloader=False)


def serve_with_worker(host: str, port: int, extra: Sequence[Program] = ()) -> int:
    """The server and the worker as two processes under one supervisor (see
    qurb.core.supervisor): the server is essential, the worker is restarted if it stops.
    ``extra`` programs (the demo's SMS gateway) run beside them, started after them."""
    qurb = [sys.executable, "-m", "qurb.cli"]
    supervisor = Supervisor(
        [
            Program("server", [*qurb, "serve", "--host", host, "--port", str(port)]),
            Program("worker", [*qurb, "worker"], restart=True),
            *extra,
        ]
    )
    # Each child's lines reach the terminal as they are written, in order.
    supervisor.env.setdefault("PYTHONUNBUFFERED", "1")
    if extra:
        names = ["the server", "the background worker", *(f"the {p.name}" for p in extra)]
        listed = ", ".join(names[:-1]) + " and " + names[-1]
        sys.stderr.write(f"Starting {listed} (Ctrl-C stops them all).\n")
    else:
        sys.stderr.write("Starting the server and the background worker (Ctrl-C stops both).\n")
    return supervisor.run()
