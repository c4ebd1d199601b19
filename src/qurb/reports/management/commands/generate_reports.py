import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from qurb.reports.synthetic import generate_reports


class Command(BaseCommand):
    help = (
        "Create synthetic reports in bulk (marked is_synthetic) for scale tests: clustered "
        "places, school and night peaks, plausible category shares."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--days", type=int, default=365, help="spread over this many days")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()

        def progress(done: int, total: int) -> None:
            rate = done / max(1e-6, time.monotonic() - started)
            bar = "#" * int(30 * done / total)
            sys.stderr.write(f"\r  [{bar:<30}] {done:,}/{total:,} ({rate:,.0f} reports/s)")
            if done >= total:
                sys.stderr.write("\n  computing the daily counts…\n")

        written = generate_reports(
            count=options["count"],
            seed=options["seed"],
            days=options["days"],
            progress=progress,
        )
        seconds = time.monotonic() - started
        self.stdout.write(f"{written:,} synthetic reports written in {seconds:.1f} s")
