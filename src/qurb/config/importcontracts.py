"""An import-linter contract type for parts of an external package.

import-linter forbids whole external packages only (``django``), but the web edge is made of
parts of one (``django.http``, ``django.shortcuts``). This contract reads each direct import of
the external package by the source modules and breaks when the imported name lies under a
forbidden part. Used by ``lint-imports`` (``pyproject.toml``); never imported at run time.
"""

from __future__ import annotations

import re
from typing import Any

from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck

_IMPORT = re.compile(r"^\s*(?:from\s+([\w.]+)\s+import\b|import\s+([\w.]+))")


def _imported_name(line: str) -> str:
    match = _IMPORT.match(line)
    return (match.group(1) or match.group(2)) if match else ""


class ForbiddenSubmodulesContract(Contract):
    """Source packages may not import the listed parts of external packages.

    Options: ``source_modules`` (packages, submodules included) and ``forbidden_modules``
    (dotted names inside external packages, e.g. ``django.http``).
    """

    type_name = "forbidden_submodules"

    source_modules = fields.ListField(subfield=fields.StringField())
    forbidden_modules = fields.ListField(subfield=fields.StringField())

    def check(self, graph: Any, verbose: bool) -> ContractCheck:
        forbidden = [str(m) for m in self.forbidden_modules]  # type: ignore[attr-defined]
        roots = {name.split(".")[0] for name in forbidden}
        sources: set[str] = set()
        for source in self.source_modules:  # type: ignore[attr-defined]
            sources |= {str(source)} | set(graph.find_descendants(str(source)))
        broken: list[dict[str, Any]] = []
        for importer in sorted(sources):
            for root in sorted(roots):
                if not graph.direct_import_exists(importer=importer, imported=root):
                    continue
                for detail in graph.get_import_details(importer=importer, imported=root):
                    name = _imported_name(detail["line_contents"])
                    if any(name == f or name.startswith(f + ".") for f in forbidden):
                        broken.append({"importer": importer, "imported": name, **detail})
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for item in check.metadata["broken"]:
            output.print_error(
                f"{item['importer']} imports {item['imported']} "
                f"(line {item['line_number']}: {item['line_contents'].strip()})",
                bold=False,
            )
            output.new_line()
