from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from qurb.language.training import corpus, train
from qurb.language.triage import MODEL_PATH


class Command(BaseCommand):
    help = "Rebuild the triage model from the corpus's training split (deterministic)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", default=str(MODEL_PATH))

    def handle(self, *args: Any, **options: Any) -> None:
        examples = corpus("train")
        model = train(examples)
        path = Path(options["output"])
        model.save(path)
        self.stdout.write(
            f"trained on {len(examples)} examples; {model.category_weights.nnz} category and "
            f"{model.flag_weights.nnz} flag weights; wrote {path} "
            f"({path.stat().st_size / 1e6:.1f} MB)"
        )
