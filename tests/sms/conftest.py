"""Kannel for real: bearerbox, smsbox and fakesmsc (the phones) on free loopback ports, with a
configuration written to a temporary directory; and a loopback sendsms server for the unit
tests that count what reaches a gateway."""

from __future__ import annotations

import http.server
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

FAKESMSC = "/usr/lib/kannel/test/fakesmsc"
SHORT_CODE = "1919"
SECRET = "kannel-test-secret"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_port(port: int, process: subprocess.Popen[Any], log: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"{process.args!r} ended:\n{log.read_text(errors='replace')[-3000:]}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}:\n{log.read_text(errors='replace')[-3000:]}")


@dataclass
class Phones:
    """fakesmsc: what is written to it is what phones send; what it prints is what they got."""

    process: subprocess.Popen[bytes]
    log: Path
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, number: str, text: str) -> None:
        if text.isascii():
            line = f"{number} {SHORT_CODE} text {text}\n"
        else:
            data = urllib.parse.quote(text.encode("utf-16-be"), safe="")
            line = f"{number} {SHORT_CODE} ucs2 {data}\n"
        assert len(line.encode()) < 250, "fakesmsc reads lines of at most 255 bytes"
        assert self.process.stdin is not None
        with self.lock:
            self.process.stdin.write(line.encode())
            self.process.stdin.flush()

    def received(self, number: str) -> list[str]:
        """Every SMS the phone ``number`` (as Qurb writes it, E.164) received, in order."""
        out = []
        for line in self.log.read_text(errors="replace").splitlines():
            marker = "Got message "
            if marker not in line:
                continue
            body = line.split(marker, 1)[1].split(": <", 1)[1].rsplit(">", 1)[0]
            parts = body.split(" ", 3)
            if len(parts) < 4 or parts[1] != number:
                continue
            kind, data = parts[2], parts[3]
            if kind in ("ucs-2", "ucs2"):
                out.append(urllib.parse.unquote_to_bytes(data).decode("utf-16-be"))
            else:
                out.append(data)
        return out

    def wait_for(self, number: str, count: int, timeout: float = 30) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.received(number)
            if len(got) >= count:
                return got
            time.sleep(0.1)
        raise AssertionError(f"{number} received {self.received(number)}, expected {count}")


@dataclass
class Kannel:
    sendsms_url: str
    username: str
    password: str
    phones: Phones
    directory: Path


def kannel_config(
    *, directory: Path, web_url: str, ports: dict[str, int], username: str, password: str
) -> str:
    incoming = (
        f"{web_url}/sms/kannel/incoming?secret={SECRET}&from=%p&to=%P&text=%a&charset=%C&coding=%c"
    )
    return f"""
group = core
admin-port = {ports["admin"]}
admin-interface = 127.0.0.1
admin-password = admin-{password}
admin-allow-ip = "127.0.0.1"
smsbox-port = {ports["smsbox"]}
box-allow-ip = "127.0.0.1"
dlr-storage = internal
log-file = "{directory / "bearerbox.log"}"
log-level = 0

group = smsc
smsc = fake
smsc-id = fake
port = {ports["fake"]}
connect-allow-ip = "127.0.0.1"

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {ports["smsbox"]}
sendsms-port = {ports["sendsms"]}
sendsms-interface = 127.0.0.1
mo-recode = true
http-request-retry = 5
http-queue-delay = 1
log-file = "{directory / "smsbox.log"}"
log-level = 0

group = sendsms-user
username = {username}
password = {password}
max-messages = 4
concatenation = true

group = sms-service
keyword = default
catch-all = true
get-url = "{incoming}"
max-messages = 0
"""


@pytest.fixture
def kannel(live_server: Any, tmp_path: Path) -> Iterator[Kannel]:
    """bearerbox, smsbox and fakesmsc started for one test, stopped at its end."""
    if not shutil.which("bearerbox") or not os.path.exists(FAKESMSC):
        if os.environ.get("CI"):
            pytest.fail("Kannel is not installed (apt-get install kannel kannel-extras)")
        pytest.skip("Kannel is not installed (apt-get install kannel kannel-extras)")
    ports = {name: free_port() for name in ("admin", "smsbox", "fake", "sendsms")}
    config = tmp_path / "kannel.conf"
    config.write_text(
        kannel_config(
            directory=tmp_path,
            web_url=live_server.url,
            ports=ports,
            username="qurb",
            password="sendsms-pw",
        )
    )
    started: list[subprocess.Popen[Any]] = []

    def start(args: list[str], log: Path, **kwargs: Any) -> subprocess.Popen[Any]:
        process = subprocess.Popen(
            args,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
            start_new_session=True,
            **kwargs,
        )
        started.append(process)
        return process

    try:
        bearerbox = start(["bearerbox", "-v", "1", str(config)], tmp_path / "bearerbox.out")
        _wait_port(ports["smsbox"], bearerbox, tmp_path / "bearerbox.log")
        smsbox = start(["smsbox", "-v", "1", str(config)], tmp_path / "smsbox.out")
        _wait_port(ports["sendsms"], smsbox, tmp_path / "smsbox.log")
        phones_log = tmp_path / "fakesmsc.log"
        fakesmsc = start(
            [FAKESMSC, "-H", "127.0.0.1", "-r", str(ports["fake"]), "-i", "0", "-v", "0"],
            phones_log,
            stdin=subprocess.PIPE,
        )
        # The fake SMSC is up once bearerbox says so.
        deadline = time.monotonic() + 20
        while "Fakesmsc client connected" not in (tmp_path / "bearerbox.log").read_text(
            errors="replace"
        ):
            if time.monotonic() > deadline or fakesmsc.poll() is not None:
                raise RuntimeError(phones_log.read_text(errors="replace"))
            time.sleep(0.1)
        yield Kannel(
            sendsms_url=f"http://127.0.0.1:{ports['sendsms']}/cgi-bin/sendsms",
            username="qurb",
            password="sendsms-pw",
            phones=Phones(fakesmsc, phones_log),
            directory=tmp_path,
        )
    finally:
        for process in reversed(started):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in reversed(started):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


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
