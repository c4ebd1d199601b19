"""Kannel on this machine, with fake phones: the demo's SMS gateway and the tests'.

Kannel's own boxes do the work, for real: ``bearerbox`` (the core, with a fake SMSC),
``smsbox`` (sendsms, and the get-url that calls Qurb for each incoming SMS) and ``fakesmsc``
(Debian's ``kannel-extras``), which plays the phones: a line written to it is an SMS a phone
sends; a line it prints is an SMS a phone received.

- ``Setup`` writes the configuration into one directory (free loopback ports, a fresh
  sendsms password and incoming secret), names the environment Qurb's server and worker need
  (``environment``) and the programs to run under ``qurb.core.supervisor`` (``programs``):
  bearerbox, smsbox, and ``python -m qurb.sms.kannel phones DIR PORT``, which runs fakesmsc
  with its input on the FIFO ``phones.in``, keeps everything it prints in ``phones.log`` and
  shows each SMS a phone receives on the terminal, as the console gateway does.
- ``Phones`` is the other end, for ``qurb sms --from`` (another terminal) and the tests:
  ``send`` writes a line to the FIFO, ``received`` reads what a number got from the log.

No Django here: the phones program runs without it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from qurb.core.supervisor import Program, parent_death_signal

FAKESMSC = "/usr/lib/kannel/test/fakesmsc"
SHORT_CODE = "1919"  # the number residents text
USERNAME = "qurb"
# fakesmsc reads lines of at most 255 bytes (a longer one would become two SMS).
LINE_MAX = 250
_SBIN = ("/usr/sbin", "/usr/local/sbin", "/sbin")


def binary(name: str) -> str | None:
    """Where Kannel's ``name`` is (bearerbox and smsbox are in /usr/sbin, which a user's PATH
    may lack)."""
    found = shutil.which(name)
    if found:
        return found
    for directory in _SBIN:
        path = Path(directory) / name
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    return None


def installed() -> bool:
    """bearerbox, smsbox (``kannel``) and fakesmsc (``kannel-extras``) are all here."""
    return bool(binary("bearerbox") and binary("smsbox") and os.access(FAKESMSC, os.X_OK))


def local_directory(data_dir: Path) -> Path:
    """Where ``qurb demo`` keeps its Kannel (and ``qurb sms`` finds the phones)."""
    return Path(data_dir) / "kannel"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True)
class Setup:
    """One local Kannel: its directory (configuration, logs, the phones' FIFO and log) and
    where it calls Qurb (``web_url``, the served site)."""

    directory: Path
    web_url: str
    secret: str
    password: str
    ports: dict[str, int] = field(default_factory=dict)

    @classmethod
    def create(cls, directory: Path, web_url: str) -> Setup:
        """Free loopback ports and fresh secrets (the configuration is written by ``write``)."""
        return cls(
            directory=Path(directory),
            web_url=web_url.rstrip("/"),
            secret=secrets.token_urlsafe(18),
            password=secrets.token_urlsafe(18),
            ports={name: free_port() for name in ("admin", "smsbox", "fake", "sendsms")},
        )

    @property
    def sendsms_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['sendsms']}/cgi-bin/sendsms"

    @property
    def config_path(self) -> Path:
        return self.directory / "kannel.conf"

    @property
    def bearerbox_log(self) -> Path:
        return self.directory / "bearerbox.log"

    def incoming_url(self) -> str:
        """The get-url: Kannel's escape codes give the sender (%p), the receiver (%P), every
        word of the text (%a), its charset and coding (%C, %c) and the message's own id (%I,
        a UUID that stays the same when smsbox asks again), which makes a second delivery of
        one SMS a no-op."""
        return (
            f"{self.web_url}/sms/kannel/incoming?secret={self.secret}"
            "&id=%I&from=%p&to=%P&text=%a&charset=%C&coding=%c"
        )

    def config(self) -> str:
        directory, ports = self.directory, self.ports
        return f"""# Written by Qurb (qurb.sms.kannel): a local Kannel; fakesmsc plays the phones.
group = core
admin-port = {ports["admin"]}
admin-interface = 127.0.0.1
admin-password = admin-{self.password}
admin-allow-ip = "127.0.0.1"
smsbox-port = {ports["smsbox"]}
smsbox-interface = 127.0.0.1
box-allow-ip = "127.0.0.1"
dlr-storage = internal
log-file = "{directory / "bearerbox.log"}"
log-level = 0

group = smsc
smsc = fake
smsc-id = fake
port = {ports["fake"]}
our-host = 127.0.0.1
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
username = {USERNAME}
password = {self.password}
max-messages = 4
concatenation = true

group = sms-service
keyword = default
catch-all = true
get-url = "{self.incoming_url()}"
max-messages = 0
"""

    def write(self) -> None:
        """The configuration (readable by this user only: it holds the passwords), an empty
        phones log and the phones' FIFO."""
        self.directory.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.config_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as f:
            f.write(self.config())
        phones = Phones(self.directory)
        for log in (phones.log, self.bearerbox_log, self.directory / "smsbox.log"):
            log.write_bytes(b"")  # what they say now, not what an earlier run said
        with contextlib.suppress(FileNotFoundError):
            if not stat.S_ISFIFO(phones.fifo.stat().st_mode):
                phones.fifo.unlink()
        if not phones.fifo.exists():
            os.mkfifo(phones.fifo, 0o600)

    def environment(self) -> dict[str, str]:
        """What Qurb's server and worker read to use this gateway (docs/sms.md)."""
        return {
            "QURB_KANNEL_SENDSMS_URL": self.sendsms_url,
            "QURB_KANNEL_USERNAME": USERNAME,
            "QURB_KANNEL_PASSWORD": self.password,
            "QURB_SMS_INCOMING_SECRET": self.secret,
            "QURB_SMS_SENDER": SHORT_CODE,
            "QURB_SMS_CALLBACK_BASE_URL": self.web_url,
        }

    def programs(self) -> list[Program]:
        """bearerbox, then smsbox once bearerbox listens, then the phones once smsbox does;
        each started again if it stops. The boxes log to files here, not to the terminal."""
        config = str(self.config_path)
        bearerbox = binary("bearerbox") or "bearerbox"
        smsbox = binary("smsbox") or "smsbox"
        return [
            Program(
                "bearerbox",
                [bearerbox, "-v", "4", config],
                restart=True,
                ready_port=self.ports["smsbox"],
            ),
            Program(
                "smsbox",
                [smsbox, "-v", "4", config],
                restart=True,
                ready_port=self.ports["sendsms"],
            ),
            Program(
                "phones (fakesmsc)",
                [
                    sys.executable,
                    "-m",
                    "qurb.sms.kannel",
                    "phones",
                    str(self.directory),
                    str(self.ports["fake"]),
                ],
                restart=True,
            ),
        ]

    def phones_connected(self) -> bool:
        """bearerbox has the fake phones connected (its log says so)."""
        try:
            return "Fakesmsc client connected" in self.bearerbox_log.read_text(errors="replace")
        except FileNotFoundError:
            return False


class GatewayAwayError(Exception):
    """No phones program runs on this directory (the demo is not running with Kannel)."""


@dataclass
class Phones:
    """The phones' side of a running gateway, from any process: send an SMS as a phone, read
    what a phone received."""

    directory: Path

    def __post_init__(self) -> None:
        self.directory = Path(self.directory)

    @property
    def fifo(self) -> Path:
        return self.directory / "phones.in"

    @property
    def log(self) -> Path:
        return self.directory / "phones.log"

    @staticmethod
    def line(number: str, text: str) -> bytes:
        """fakesmsc's line for an SMS from ``number`` to the short code: plain text as is;
        another text in UCS-2, URL-encoded, as a phone sends Arabic (Kannel recodes it,
        ``mo-recode``), or, when that is too long for one line, as UTF-8 (which Kannel passes
        on as it is). ``ValueError`` when it does not fit in one line or holds a line break."""
        if not number or any(c.isspace() for c in number):
            raise ValueError("a phone number without spaces")
        if any(c in text for c in "\n\r\x00"):
            raise ValueError("one line of text")
        head = f"{number} {SHORT_CODE}"
        lines = [f"{head} text {text}\n".encode()]
        if not text.isascii():
            data = urllib.parse.quote(text.encode("utf-16-be"), safe="")
            lines.insert(0, f"{head} ucs2 {data}\n".encode())
        for line in lines:
            if len(line) <= LINE_MAX:
                return line
        raise ValueError("too long for one line of fakesmsc")

    def running(self) -> bool:
        try:
            descriptor = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            return False
        os.close(descriptor)
        return True

    def send(self, number: str, text: str) -> None:
        """The phone ``number`` texts ``text`` to the short code. ``GatewayAwayError`` when no
        phones program reads the FIFO."""
        data = self.line(number, text)
        try:
            descriptor = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno in (errno.ENXIO, errno.ENOENT):
                raise GatewayAwayError(str(self.directory)) from None
            raise
        try:
            os.write(descriptor, data)  # under PIPE_BUF: one write, never interleaved
        finally:
            os.close(descriptor)

    def mark(self) -> int:
        """Where the log ends now (``received(since=…)`` reads what comes after)."""
        try:
            return self.log.stat().st_size
        except FileNotFoundError:
            return 0

    def received(self, number: str, since: int = 0) -> list[str]:
        """Every SMS the phone ``number`` (as Qurb writes it, E.164) received, in order."""
        try:
            with self.log.open("rb") as f:
                f.seek(since)
                data = f.read()
        except FileNotFoundError:
            return []
        out = []
        for raw in data.decode("utf-8", "replace").splitlines():
            got = received_sms(raw)
            if got is not None and got[0] == number:
                out.append(got[1])
        return out

    def wait_for(self, number: str, count: int, timeout: float = 30, since: int = 0) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.received(number, since)
            if len(got) >= count:
                return got
            time.sleep(0.1)
        raise TimeoutError(f"{number} received {self.received(number, since)}, not {count}")


def received_sms(line: str) -> tuple[str, str] | None:
    """(receiver, text) from a line fakesmsc printed for an SMS a phone got, else None."""
    marker = "Got message "
    if marker not in line:
        return None
    rest = line.split(marker, 1)[1]
    if ": <" not in rest:
        return None
    parts = rest.split(": <", 1)[1].rsplit(">", 1)[0].split(" ", 3)
    if len(parts) < 4:
        return None
    receiver, kind, data = parts[1], parts[2], parts[3]
    if kind in ("ucs-2", "ucs2"):
        return receiver, urllib.parse.unquote_to_bytes(data).decode("utf-16-be", "replace")
    if kind == "data":
        return receiver, urllib.parse.unquote_to_bytes(data).decode("utf-8", "replace")
    return receiver, data


# --- the phones program (python -m qurb.sms.kannel phones DIR PORT) ---------------------------


def phones_main(directory: Path, port: int) -> int:
    """Run fakesmsc against bearerbox's fake SMSC on ``port``: its input is the FIFO (opened
    for reading and writing, so that it never sees an end), everything it prints goes to the
    phones log, and each SMS a phone receives is shown on the terminal."""
    phones = Phones(directory)
    fifo = os.open(phones.fifo, os.O_RDWR)
    child = subprocess.Popen(  # noqa: S603 - Kannel's own test client, a fixed path
        [FAKESMSC, "-H", "127.0.0.1", "-r", str(port), "-i", "0", "-v", "0"],
        stdin=fifo,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        preexec_fn=parent_death_signal(),
    )
    os.close(fifo)
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signal.SIGINT)  # fakesmsc's own way out

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if child.stdout is None:  # pragma: no cover - stdout=PIPE above
        raise RuntimeError("fakesmsc has no output")
    with phones.log.open("ab") as log:
        for raw in child.stdout:
            log.write(raw)
            log.flush()
            got = received_sms(raw.decode("utf-8", "replace"))
            if got is not None:
                sys.stdout.write(f"SMS to {got[0]} (a phone of the demo, through Kannel):\n")
                sys.stdout.write(f"{got[1]}\n{'-' * 40}\n")
                sys.stdout.flush()
    code = child.wait()
    return 0 if stopping else (code if code > 0 else 1)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 3 or args[0] != "phones" or not args[2].isdigit():
        sys.stderr.write("usage: python -m qurb.sms.kannel phones DIRECTORY PORT\n")
        return 2
    return phones_main(Path(args[1]), int(args[2]))


if __name__ == "__main__":
    sys.exit(main())
