"""The web edge calls services and selectors only: no module of ``qurb.web`` (the admin
apart) reaches a model's manager, and no view or API module builds a query of its own.

The source is parsed, not imported, so a query hidden in a branch no test reaches is caught
as well."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import qurb.web

WEB = Path(qurb.web.__file__).parent
# The admin registers models: it works on querysets by design (ModelAdmin.get_queryset…).
EXEMPT = {"admin"}
# Methods that only a queryset has (``values`` and ``count`` are left out: dicts and lists
# have them too). A view asks a selector for what it needs, already filtered and ordered.
QUERY_METHODS = {
    "aggregate",
    "annotate",
    "bulk_create",
    "defer",
    "exclude",
    "extra",
    "filter",
    "get_or_create",
    "in_bulk",
    "only",
    "order_by",
    "prefetch_related",
    "raw",
    "select_for_update",
    "select_related",
    "update_or_create",
    "values_list",
}


def _modules() -> Iterator[Path]:
    for path in sorted(WEB.rglob("*.py")):
        if not EXEMPT & set(path.relative_to(WEB).parts[:-1]):
            yield path


def _is_view_or_api(path: Path) -> bool:
    """Modules that answer requests: views, APIs, feeds and the pages of a context (not
    forms, URL confs, template tags — ``register.filter`` — or output formats)."""
    if "templatetags" in path.relative_to(WEB).parts:
        return False
    return path.stem not in {"forms", "urls", "apps", "__init__", "schema", "formats"}


def manager_uses(source: str) -> list[tuple[int, str]]:
    """Every ``X.objects`` (and ``X._default_manager``) in the source, with its line."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in {"objects", "_default_manager"}:
            found.append((node.lineno, ast.unparse(node)))
    return found


def query_calls(source: str) -> list[tuple[int, str]]:
    """Every call of a queryset-only method (``qs.filter(…)``, ``qs.select_related(…)``…)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in QUERY_METHODS
        ):
            found.append((node.lineno, ast.unparse(node.func)))
    return found


def test_the_checks_see_what_they_look_for() -> None:
    """The scanner itself: a query written in a view is found, a selector call is not."""
    source = (
        "from qurb.reports.models import Report\n"
        "def view(request):\n"
        "    rows = Report.objects.filter(status='open')\n"
        "    mine = selectors.reports_visible_to(request.user).select_related('area')\n"
        "    ok = selectors.triage_queue(request.user, filters)\n"
        "    return {**dict(a=1).values()}\n"
    )
    assert manager_uses(source) == [(3, "Report.objects")]
    assert [name for _, name in query_calls(source)] == [
        "Report.objects.filter",
        "selectors.reports_visible_to(request.user).select_related",
    ]


def test_the_scan_covers_the_web_edge_and_leaves_the_admin_out() -> None:
    scanned = {p.relative_to(WEB).as_posix() for p in _modules()}
    for expected in (
        "reports/views.py",
        "reports/api.py",
        "communication/views.py",
        "engagement/meetings.py",
        "accounts/associations.py",
        "open311/queries.py",
    ):
        assert expected in scanned
    assert not any(p.startswith("admin/") for p in scanned)


@pytest.mark.parametrize("path", list(_modules()), ids=lambda p: p.relative_to(WEB).as_posix())
def test_no_module_of_the_web_edge_reaches_a_model_manager(path: Path) -> None:
    found = manager_uses(path.read_text(encoding="utf-8"))
    assert not found, "\n".join(
        f"{path.relative_to(WEB)}:{line}: {code} — ask a selector or service of the domain app"
        for line, code in found
    )


@pytest.mark.parametrize(
    "path",
    [p for p in _modules() if _is_view_or_api(p)],
    ids=lambda p: p.relative_to(WEB).as_posix(),
)
def test_no_view_or_api_module_builds_a_query(path: Path) -> None:
    found = query_calls(path.read_text(encoding="utf-8"))
    assert not found, "\n".join(
        f"{path.relative_to(WEB)}:{line}: {code}(…) — move the query into a selector"
        for line, code in found
    )
