from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the background task worker (tasks are stored in the database, so none is lost)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", action="store_true", help="Process the queue, then exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("db_worker", batch=options["batch"])
