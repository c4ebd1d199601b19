"""Absolute links (e-mails, CAP messages, push payloads) use the address the site is served on."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.core.management import call_command

from qurb.core.links import absolute, link_to_served_site, served_site_url


@pytest.fixture
def no_site_url(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    """The person set no QURB_SITE_URL (the environment is restored after the test)."""
    monkeypatch.delenv("QURB_SITE_URL", raising=False)
    settings.SITE_URL = "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:8123"),
        ("localhost", "http://localhost:8123"),
        ("0.0.0.0", "http://127.0.0.1:8123"),  # noqa: S104 - every interface, reached locally
        ("::1", "http://[::1]:8123"),
    ],
)
def test_the_served_address_is_written_as_a_browser_here_reaches_it(host: str, url: str) -> None:
    assert served_site_url(host, 8123) == url


def test_links_use_the_served_port_here_and_in_the_processes_started_from_here(
    no_site_url: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QURB_SITE_URL", "")  # empty counts as unset

    assert link_to_served_site("127.0.0.1", 8123) == "http://127.0.0.1:8123"

    assert absolute("/track/QRB-1") == "http://127.0.0.1:8123/track/QRB-1"
    assert os.environ["QURB_SITE_URL"] == "http://127.0.0.1:8123"  # the worker inherits it


def test_a_site_url_the_person_set_wins_over_the_port(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    monkeypatch.setenv("QURB_SITE_URL", "https://qurb.example.org")

    assert link_to_served_site("127.0.0.1", 8123) == "https://qurb.example.org"

    assert absolute("/track/QRB-1") == "https://qurb.example.org/track/QRB-1"
    assert os.environ["QURB_SITE_URL"] == "https://qurb.example.org"


def test_the_demo_links_what_it_loads_to_its_port_and_serves_with_the_worker(
    no_site_url: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`qurb demo --port N`: the mail queued while loading links to N, and the site is served
    with the worker (loading, migrating and serving are stood in for here; so is Kannel's
    absence: tests/sms/test_demo_gateway.py runs the demo with it)."""
    from qurb.demo.management.commands import demo
    from qurb.sms import kannel

    links_while_loading: list[str] = []
    commands: list[tuple[str, dict[str, Any]]] = []
    served: list[tuple[str, int, Any]] = []

    def load(**kwargs: Any) -> tuple[list[Any], list[Any]]:
        links_while_loading.append(absolute("/track/"))
        return [], []

    def serve_with_worker(host: str, port: int, extra: Any = ()) -> int:
        served.append((host, port, list(extra)))
        return 0

    monkeypatch.setattr(demo, "demo_load", load)
    monkeypatch.setattr(demo, "demo_api_key", lambda: "qurb_demo_key")
    monkeypatch.setattr(demo, "call_command", lambda name, **kw: commands.append((name, kw)))
    monkeypatch.setattr(demo, "serve_with_worker", serve_with_worker)
    monkeypatch.setattr(kannel, "installed", lambda: False)
    monkeypatch.delenv("QURB_KANNEL_SENDSMS_URL", raising=False)

    call_command("demo", port=8123, synthetic=0)

    assert links_while_loading == ["http://127.0.0.1:8123/track/"]
    assert served == [("127.0.0.1", 8123, [])]
    assert os.environ["QURB_SITE_URL"] == "http://127.0.0.1:8123"
