import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qurb.areas.formats import BoundaryFileError, read_boundary_file
from qurb.areas.services import areas_load


class Command(BaseCommand):
    help = (
        "Load area boundaries from a GeoJSON or TopoJSON file. A dry run by default: it reports "
        "what would change and writes nothing unless --commit is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--commit", action="store_true", help="Write the changes (default: dry run)."
        )
        parser.add_argument(
            "--activate",
            action="store_true",
            help="Make the generation live after loading (with --commit).",
        )
        parser.add_argument(
            "--type", dest="area_type", help="Area type for features without a 'type' property."
        )
        parser.add_argument(
            "--parent", help="Parent area code for features without a 'parent' property."
        )
        parser.add_argument(
            "--code-property", default="code", help="Feature property holding the code."
        )
        parser.add_argument(
            "--source", default="", help="Source and licence to record on the areas."
        )
        parser.add_argument("--description", default="", help="Description of the generation.")
        parser.add_argument("--demo", action="store_true", help="Mark the areas as demo data.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            boundary_file = read_boundary_file(options["file"])
        except BoundaryFileError as exc:
            raise CommandError(str(exc)) from exc
        total = len(boundary_file.features)
        step = max(1, total // 20)

        def progress(done: int, total: int) -> None:
            if total >= 20 and (done % step == 0 or done == total):
                sys.stderr.write(f"\r{done}/{total} features checked ({done * 100 // total}%)")
                if done == total:
                    sys.stderr.write("\n")

        report = areas_load(
            boundary_file=boundary_file,
            area_type=options["area_type"],
            parent_code=options["parent"],
            code_property=options["code_property"],
            commit=options["commit"],
            activate=options["activate"],
            is_demo=options["demo"],
            source=options["source"] or boundary_file.metadata.get("attribution", ""),
            description=options["description"] or str(options["file"].name),
            progress=progress,
        )
        if not report.ok:
            for error in report.errors:
                self.stderr.write(self.style.ERROR(error))
            raise CommandError(f"{len(report.errors)} problem(s) found; nothing was written.")
        if report.committed:
            mode = "written"
        elif options["commit"]:
            mode = "nothing to write"
        else:
            mode = "dry run, nothing written; add --commit to write"
        self.stdout.write(
            f"{len(report.created)} new, {len(report.changed)} changed, "
            f"{len(report.unchanged)} unchanged ({mode})."
        )
        for label, codes in (("new", report.created), ("changed", report.changed)):
            for code in codes:
                self.stdout.write(f"  {label}: {code}")
        if report.committed or report.activated:
            state = "active" if report.activated else "pending (make it live with --activate)"
            self.stdout.write(f"Generation {report.generation}: {state}.")
