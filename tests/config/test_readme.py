"""The README tells the truth about the demo, and the repository points only inside itself."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import translation

from qurb.demo.services import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
THIS_FILE = Path(__file__).resolve()


def readme_accounts() -> dict[str, str]:
    """username → role, from the README's demo accounts table (a remark in brackets after the
    role is the README's own)."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Demo accounts", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    accounts: dict[str, str] = {}
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        role = re.sub(r"\s*\(.*\)$", "", cells[1])
        for username in re.findall(r"`([^`]+)`", cells[0]):
            assert username not in accounts, f"{username} is listed twice"
            accounts[username] = role
    return accounts


def printed_accounts(output: str) -> dict[str, str]:
    """username → role, from what `qurb demo` prints under "Demo accounts"."""
    block = output.split("Demo accounts (password for all:", 1)[1].split("\n\n", 1)[0]
    accounts: dict[str, str] = {}
    for line in block.splitlines():
        match = re.match(r"^  (\S+)\s+(.+?) — ", line)
        if match:
            accounts[match[1]] = match[2]
    return accounts


@pytest.mark.django_db
def test_the_readme_lists_every_demo_account_with_its_role(settings: Any, tmp_path: Path) -> None:
    settings.STATIC_ROOT = tmp_path / "static"  # collectstatic writes here, not into var/
    out = StringIO()
    with translation.override("en"):
        call_command("demo", "--no-serve", "--synthetic", "0", stdout=out)
    printed = printed_accounts(out.getvalue())
    assert len(printed) >= 10, out.getvalue()
    assert readme_accounts() == printed
    readme = (ROOT / "README.md").read_text()
    assert f"**`{DEMO_PASSWORD}`**" in readme
    assert f"(password for all: {DEMO_PASSWORD})" in out.getvalue()


# What a checkout must not name: the machine it was written on.
OUTSIDE_ANYWHERE = ["/work/", "../shared"]
OUTSIDE_IN_DOCS = [*OUTSIDE_ANYWHERE, "/root/", "/tmp/"]  # noqa: S108 - looked for, not used
SKIPPED_DIRS = {
    ".git",
    ".venv",
    "node_modules",
    "var",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".hypothesis",
    ".import_linter_cache",
    "build",
    "dist",
}
TEXT_SUFFIXES = {
    ".md",
    ".txt",
    ".rst",
    ".py",
    ".html",
    ".js",
    ".css",
    ".toml",
    ".cfg",
    ".ini",
    ".yml",
    ".yaml",
    ".sh",
    ".json",
    ".po",
}


def repository_files() -> list[Path]:
    files = []
    for path in ROOT.rglob("*"):
        parts = path.relative_to(ROOT).parts
        if any(part in SKIPPED_DIRS or part.endswith(".egg-info") for part in parts):
            continue
        if path.is_file() and path != THIS_FILE:
            script = path.parent.name in {"scripts", ".ci"} or path.name == "Makefile"
            if path.suffix in TEXT_SUFFIXES or script:
                files.append(path)
    return files


def test_no_file_names_a_path_outside_the_repository() -> None:
    files = repository_files()
    assert ROOT / "README.md" in files
    assert ROOT / "docs" / "architecture.md" in files
    found = []
    for path in files:
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        is_doc = path.suffix in {".md", ".txt", ".rst"}
        for needle in OUTSIDE_IN_DOCS if is_doc else OUTSIDE_ANYWHERE:
            if needle in text:
                found.append(f"{path.relative_to(ROOT)}: {needle}")
    assert found == []
