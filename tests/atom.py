"""Atom (RFC 4287) checked as the standard says: the feed against the RFC's own RELAX NG schema
(tests/data/atom.rnc) with jing, a RELAX NG validator (Debian package `jing`), then the
schema's Schematron assertions, which jing does not evaluate, with XPath. Without jing the
check is skipped, except in CI (CI=true), where it fails."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path

import pytest
from lxml import etree

SCHEMA = Path(__file__).parent / "data" / "atom.rnc"
ATOM_NS = "http://www.w3.org/2005/Atom"
NS = {"atom": ATOM_NS}


def jing() -> str:
    found = shutil.which("jing")
    if found is None or shutil.which("java") is None:
        reason = "jing and Java are needed to check Atom against RFC 4287 (apt-get install jing)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def schematron_rules() -> list[tuple[str, str, str]]:
    """(context, XPath test, message) of each ``s:rule`` annotation in the RFC's schema. In
    RELAX NG compact syntax, ``~`` joins string literals: the test is the first group of joined
    literals, the message the second."""
    rules = []
    pattern = re.compile(
        r's:rule \[\s*context = "([^"]+)"\s*s:assert \[\s*test = ((?:\s*~?\s*"[^"]*")+)'
    )
    for context, body in pattern.findall(SCHEMA.read_text()):
        groups: list[str] = []
        for tilde, literal in re.findall(r'(~)?\s*"([^"]*)"', body):
            if tilde:
                groups[-1] += literal
            else:
                groups.append(literal)
        test, message = groups
        rules.append((context, test, message))
    return rules


def assert_valid_atom(*bodies: bytes) -> list[etree._Element]:
    """Fails with the validator's own messages on any error in any of the documents (one jing
    run for all: Java starts once); returns them parsed."""
    with tempfile.TemporaryDirectory() as folder:
        names = []
        for n, body in enumerate(bodies):
            name = Path(folder) / f"feed-{n}.atom"
            name.write_bytes(body)
            names.append(str(name))
        run = subprocess.run(
            [jing(), "-c", str(SCHEMA), *names],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert run.returncode == 0, run.stdout + run.stderr
    rules = schematron_rules()
    assert len(rules) == 3, rules  # the feed's author rule, and the entry's two
    roots = [etree.fromstring(body) for body in bodies]
    for root in roots:
        for context, test, message in rules:
            for element in root.xpath(f"descendant-or-self::{context}", namespaces=NS):
                assert element.xpath(f"boolean({test})", namespaces=NS), message
    return roots


def fetch(path: str, *, language: str, host: str = "testserver", secure: bool = False) -> bytes:
    from django.test import Client

    answer = Client(HTTP_ACCEPT_LANGUAGE=language).get(path, HTTP_HOST=host, secure=secure)
    assert answer.status_code == 200, (path, answer.status_code)
    assert answer["Content-Type"].startswith("application/atom+xml"), answer["Content-Type"]
    return bytes(answer.content)


def check_feed(path: str) -> dict[str, etree._Element]:
    """The feed at ``path`` in each language and from two addresses: valid every time, with an
    author, a self link, its language, an updated time on the feed and on every entry, and the
    same ids whoever asks. Returns the parsed feed of each language."""
    feeds: dict[str, etree._Element] = {}
    ids: set[tuple[str, tuple[str, ...]]] = set()
    asked = [
        (language, host, secure)
        for language in ("ar", "fr", "en")
        for host, secure in (("testserver", False), ("localhost", True))
    ]
    roots = assert_valid_atom(
        *(
            fetch(path, language=language, host=host, secure=secure)
            for language, host, secure in asked
        )
    )
    for (language, host, secure), root in zip(asked, roots, strict=True):
        lang = root.get("{http://www.w3.org/XML/1998/namespace}lang")
        assert lang == language, (lang, language)
        assert root.xpath("string(atom:author/atom:name)", namespaces=NS).strip(), "no author"
        scheme = "https" if secure else "http"
        self_links = root.xpath("atom:link[@rel='self']/@href", namespaces=NS)
        assert self_links == [f"{scheme}://{host}{path}"], self_links
        entries = root.xpath("atom:entry", namespaces=NS)
        for entry in entries:
            updated = entry.xpath("string(atom:updated)", namespaces=NS)
            published = entry.xpath("string(atom:published)", namespaces=NS)
            assert updated, etree.tostring(entry)
            assert not published or _instant(published) <= _instant(updated), (published, updated)
        if entries:
            latest = max(_instant(e.xpath("string(atom:updated)", namespaces=NS)) for e in entries)
            feed_updated = _instant(root.xpath("string(atom:updated)", namespaces=NS))
            assert feed_updated == latest, (feed_updated, latest)
        entry_ids = tuple(root.xpath("atom:entry/atom:id/text()", namespaces=NS))
        assert len(set(entry_ids)) == len(entry_ids), entry_ids
        ids.add((root.xpath("string(atom:id)", namespaces=NS), entry_ids))
        feeds[language] = root
    assert len(ids) == 1, ids  # one feed, one set of entries, whatever the address or language
    ((feed_id, entry_ids),) = ids
    for atom_id in (feed_id, *entry_ids):
        assert re.fullmatch(r"tag:[A-Za-z0-9._@-]+,\d{4}(-\d\d){0,2}:\S+", atom_id), atom_id
    return feeds


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)
