"""Fixtures for Open311: partner keys in the test database, and a private live server.

The live server is the browser journeys' machinery (``tests.browser.server``): `qurb demo`
on a temporary SQLite database, then `qurb serve` in a subprocess. Unlike the journeys it
needs no Chromium, so it never skips. It runs apart from the test database, which keeps the
demo loaded once per session (``live_server`` would need ``transactional_db`` and flush it).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from qurb.reports.models import ApiKey, Report
from qurb.reports.services import ReportInput, api_key_create, report_submit
from tests.browser.server import QURB, QurbServer, ServerError, running_qurb, server_env
from tests.reports.conftest import point_in

KEY_SECONDS = 120.0


@dataclass(frozen=True)
class Partner:
    record: ApiKey
    key: str


@pytest.fixture
def partner(db: None) -> Partner:
    record, key = api_key_create(name="Association Fès Médina")
    return Partner(record, key)


@pytest.fixture
def other_partner(db: None) -> Partner:
    record, key = api_key_create(name="Another partner")
    return Partner(record, key)


@pytest.fixture
def web_report(db: None) -> Report:
    """A resident's report from the website: no partner key."""
    lat, lon = point_in("032310107")
    report, _created = report_submit(
        data=ReportInput(
            category="drugs",
            description="كاين واحد كيبيع الحشيش قدام المدرسة كل نهار",
            lat=lat,
            lon=lon,
            channel="web",
        )
    )
    return report


@dataclass(frozen=True)
class LiveOpen311:
    server: QurbServer
    key: str

    @property
    def root(self) -> str:
        return f"{self.server.url}/open311/v2"


def _key_create(server: QurbServer) -> str:
    """`qurb apikey create` against the server's own database; the key is the last line."""
    done = subprocess.run(
        [str(QURB), "apikey", "create", "Open311 client test"],
        env=server_env(server.data_dir),
        cwd=server.data_dir,
        capture_output=True,
        text=True,
        timeout=KEY_SECONDS,
        check=False,
    )
    if done.returncode != 0:
        raise ServerError(f"qurb apikey create failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout.strip().splitlines()[-1].strip()


@pytest.fixture(scope="session")
def open311_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveOpen311]:
    """Qurb on the demo data in a subprocess, with a fresh partner key of its own."""
    try:
        with running_qurb(tmp_path_factory.mktemp("open311-data")) as server:
            yield LiveOpen311(server=server, key=_key_create(server))
    except ServerError as exc:
        pytest.fail(str(exc), pytrace=False)
