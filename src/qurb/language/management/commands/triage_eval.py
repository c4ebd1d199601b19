from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from qurb.language.training import corpus, evaluate, format_report


class Command(BaseCommand):
    help = (
        "Evaluate the shipped triage model on the held-out split: precision, recall and F1 per "
        "category, flag and writing form, and the confusion matrix."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--split", default="test", choices=["test", "train"])

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(format_report(evaluate(corpus(options["split"]))))
