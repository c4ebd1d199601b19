from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from qurb.language.training import corpus, load_examples, train
from qurb.language.triage import MODEL_PATH


class Command(BaseCommand):
    help = "Rebuild the triage model from the corpus's training split (deterministic)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", default=str(MODEL_PATH))
        parser.add_argument(
            "--extra",
            action="append",
            default=[],
            help="more labelled JSON lines (e.g. from `qurb triage-labels`); may repeat",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        examples = corpus("train")
        for extra in options["extra"]:
            examples += load_examples(Path(extra))
        model = train(examples)
        path = Path(options["output"])
        model.save(path)
        self.stdout.write(
            f"trained on {len(examples)} examples; {model.category_weights.nnz} category and "
            f"{model.flag_weights.nnz} flag weights; wrote {path} "
            f"({path.stat().st_size / 1e6:.1f} MB)"
        )
