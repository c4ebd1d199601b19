import json
from typing import Any

from django.core.management.base import BaseCommand

from qurb.reports.models import ReportLabel


class Command(BaseCommand):
    help = (
        "Write staff confirmations and corrections of the automatic triage as JSON lines "
        "(text, category, flags), ready for `qurb triage-train --extra FILE`."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--corrected-only", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        rows = ReportLabel.objects.order_by("pk")
        if options["corrected_only"]:
            rows = rows.filter(corrected=True)
        for label in rows.iterator():
            self.stdout.write(
                json.dumps(
                    {
                        "id": f"label-{label.pk}",
                        "text": label.text,
                        "category": label.category,
                        "flags": sorted(label.flags),
                        "source": "staff",
                    },
                    ensure_ascii=False,
                )
            )
