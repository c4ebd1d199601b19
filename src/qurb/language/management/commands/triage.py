import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qurb.language.triage import triage_batch

BATCH = 512


class Command(BaseCommand):
    help = (
        'Triage report texts: `qurb triage "TEXT"` prints one JSON object; `qurb triage --jsonl`'
        " reads JSON lines with a `text` field and writes one JSON line each, in order."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("text", nargs="?", default=None)
        parser.add_argument("--jsonl", action="store_true", help="read JSON lines on stdin")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["jsonl"]:
            self._jsonl()
            return
        if options["text"] is None:
            raise CommandError('Give a text: qurb triage "TEXT", or use --jsonl.')
        result = triage_batch([options["text"]])[0]
        self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))

    def _jsonl(self) -> None:
        pending: list[str] = []

        def flush() -> None:
            for result in triage_batch(pending):
                self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
            pending.clear()

        for number, line in enumerate(sys.stdin, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                text = row["text"]
                if not isinstance(text, str):
                    raise TypeError
            except (ValueError, KeyError, TypeError):
                raise CommandError(
                    f"line {number}: expected a JSON object with a string `text` field"
                ) from None
            pending.append(text)
            if len(pending) >= BATCH:
                flush()
        flush()
