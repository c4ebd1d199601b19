"""Kannel for real: bearerbox, smsbox and fakesmsc (the phones) on free loopback ports, set up
and supervised by the same code as the demo's (``qurb.sms.kannel``, ``qurb.core.supervisor``);
and a loopback sendsms server for the unit tests that count what reaches a gateway."""

from __future__ import annotations

import http.server
import io
import os
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from qurb.core.supervisor import Supervisor
from qurb.sms import kannel as local_kannel
from qurb.sms.kannel import Phones, Setup


@dataclass
class Kannel:
    setup: Setup
    phones: Phones
    output: io.StringIO  # what the supervisor said (restarts)

    @property
    def sendsms_url(self) -> str:
        return self.setup.sendsms_url

    @property
    def username(self) -> str:
        return local_kannel.USERNAME

    @property
    def password(self) -> str:
        return self.setup.password

    @property
    def secret(self) -> str:
        return self.setup.secret

    @property
    def directory(self) -> Path:
        return self.setup.directory

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
            for path in sorted(self.directory.glob("*.log"))
        )


def start_kannel(web_url: str, directory: Path) -> Iterator[Kannel]:
    """bearerbox, smsbox and the phones, as ``qurb demo`` runs them, calling ``web_url``."""
    if not local_kannel.installed():
        if os.environ.get("CI"):
            pytest.fail("Kannel is not installed (apt-get install kannel kannel-extras)")
        pytest.skip("Kannel is not installed (apt-get install kannel kannel-extras)")
    setup = Setup.create(directory, web_url)
    setup.write()
    output = io.StringIO()
    supervisor = Supervisor(setup.programs(), out=output)
    thread = threading.Thread(target=supervisor.run, kwargs={"handle_signals": False}, daemon=True)
    thread.start()
    gateway = Kannel(setup, Phones(setup.directory), output)
    try:
        assert supervisor.wait_started(60), gateway.logs()
        deadline = time.monotonic() + 20
        while not (setup.phones_connected() and gateway.phones.running()):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{output.getvalue()}\n{gateway.logs()}")
            time.sleep(0.1)
        yield gateway
    finally:
        supervisor.request_stop()
        thread.join(60)


@pytest.fixture
def kannel(live_server: Any, tmp_path: Path) -> Iterator[Kannel]:
    """bearerbox, smsbox and fakesmsc started for one test, stopped at its end."""
    yield from start_kannel(live_server.url, tmp_path / "kannel")


def use_gateway(settings: Any, gateway: Kannel, callback_url: str) -> None:
    """Qurb's settings for this gateway, as ``qurb demo`` gives them to its server and
    worker (``Setup.environment``)."""
    from qurb.sms.gateway import _http

    environment = gateway.setup.environment()
    settings.KANNEL_SENDSMS_URL = environment["QURB_KANNEL_SENDSMS_URL"]
    settings.KANNEL_USERNAME = environment["QURB_KANNEL_USERNAME"]
    settings.KANNEL_PASSWORD = environment["QURB_KANNEL_PASSWORD"]
    settings.SMS_INCOMING_SECRET = environment["QURB_SMS_INCOMING_SECRET"]
    settings.SMS_SENDER = environment["QURB_SMS_SENDER"]
    settings.SMS_CALLBACK_BASE_URL = callback_url
    _http.cache_clear()


@dataclass
class Gateway:
    """A loopback stand-in for Kannel's sendsms: records each request, answers ``status``."""

    url: str
    requests: list[dict[str, str]]
    status: list[int]


@pytest.fixture
def sendsms(settings: Any) -> Iterator[Gateway]:
    requests: list[dict[str, str]] = []
    status = [202]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = urllib.parse.urlsplit(self.path).query
            requests.append(dict(urllib.parse.parse_qsl(query)))
            self.send_response(status[0])
            self.end_headers()
            self.wfile.write(b"0: Accepted for delivery" if status[0] < 300 else b"busy")

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/cgi-bin/sendsms"
    settings.KANNEL_SENDSMS_URL = url
    settings.KANNEL_USERNAME = "qurb"
    settings.KANNEL_PASSWORD = "pw"
    from qurb.sms.gateway import _http

    _http.cache_clear()
    try:
        yield Gateway(url, requests, status)
    finally:
        server.shutdown()
        server.server_close()


Waiter = Callable[[Callable[[], bool]], None]


@pytest.fixture
def eventually() -> Waiter:
    def wait(condition: Callable[[], bool], timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.1)
        raise AssertionError("the condition never held")

    return wait
