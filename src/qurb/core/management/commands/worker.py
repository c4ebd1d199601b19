import os
import socket
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from qurb.core import taskqueue
from qurb.core.sweeper import Sweeper, requeue_interrupted, sweep_once


class Command(BaseCommand):
    help = (
        "Run a background worker: a Celery worker on the broker of QURB_BROKER_URL (one task "
        "at a time; run one per core, on as many machines as needed), or, without a broker, "
        "the database queue. Each worker also runs the sweeper (qurb.core.sweeper)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Without a broker: sweep, process the queue, then exit.",
        )
        parser.add_argument(
            "--name", default="", help="This worker's name for the broker (host.pid by default)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not taskqueue.broker_in_use():
            if options["batch"]:
                sweep_once()
            else:
                requeue_interrupted()
                Sweeper(settings.QURB_SWEEP_SECONDS).start()
            call_command("db_worker", batch=options["batch"])
            return
        sweep_once()
        Sweeper(settings.QURB_SWEEP_SECONDS).start()
        name = options["name"] or f"qurb-{socket.gethostname()}-{os.getpid()}"
        taskqueue.configure().worker_main(
            [
                "worker",
                "--pool=solo",
                f"--queues={settings.QURB_TASK_QUEUE}",
                f"--hostname={name}@%h",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
            ]
        )
