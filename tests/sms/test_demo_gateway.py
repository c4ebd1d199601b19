"""`qurb demo` with Kannel, as a person runs it: the demo starts bearerbox, smsbox and fakesmsc
beside the server and the worker, and `qurb sms --from` in a second terminal texts Qurb
through them and prints the answers; one Ctrl-C stops everything. Without Kannel, the demo
keeps the console and says so."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from qurb.demo.management.commands.demo import Command as DemoCommand
from qurb.sms import kannel
from qurb.sms.kannel import Phones, local_directory
from tests.core.test_serve_with_worker import answers, children_of, free_port
from tests.core.test_supervisor import alive, eventually

ROOT = Path(__file__).resolve().parents[2]
QURB = [sys.executable, "-m", "qurb.cli"]


@pytest.fixture
def demo_env(tmp_path: Path) -> dict[str, str]:
    """The embedded setup in a temporary directory (SQLite, the database task queue)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("QURB_KANNEL_", "QURB_SMS_"))
        and k not in {"QURB_SITE_URL", "QURB_EMAIL_HOST", "REDIS_URL", "QURB_TASK_BACKEND"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="qurb.config.settings",
        QURB_DATA_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'qurb.sqlite3'}",
        PYTHONPATH=str(ROOT),
    )
    return env


@pytest.fixture
def running_demo(demo_env: dict[str, str], tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    if not kannel.installed():
        if os.environ.get("CI"):
            pytest.fail("Kannel is not installed (apt-get install kannel kannel-extras)")
        pytest.skip("Kannel is not installed (apt-get install kannel kannel-extras)")
    port = free_port()
    log = (tmp_path / "demo.out").open("wb")
    demo = subprocess.Popen(
        [*QURB, "demo", "--port", str(port), "--synthetic", "0"],
        cwd=ROOT,
        env=demo_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own terminal: our SIGINT below is its Ctrl-C
    )
    phones = Phones(local_directory(tmp_path))
    try:
        eventually(
            lambda: (
                demo.poll() is not None
                or (answers(f"http://127.0.0.1:{port}/") and phones.running())
            ),
            "the demo serves, its phones ready",
            limit=240,
        )
        assert demo.poll() is None, (tmp_path / "demo.out").read_text(errors="replace")
        yield demo
    finally:
        if demo.poll() is None:
            demo.send_signal(signal.SIGINT)
            try:
                demo.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(demo.pid, signal.SIGKILL)
                demo.wait(10)
        log.close()


def second_terminal(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*QURB, "sms", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="finds children in /proc")
def test_the_demo_runs_kannel_and_qurb_sms_texts_through_it(
    running_demo: subprocess.Popen[bytes], demo_env: dict[str, str], tmp_path: Path
) -> None:
    children = children_of(running_demo.pid)
    commands = {
        pid: Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        for pid in children
    }
    assert any("bearerbox" in c for c in commands.values()), commands
    assert any("smsbox" in c for c in commands.values()), commands
    assert any("qurb.sms.kannel phones" in c for c in commands.values()), commands

    def text(message: str) -> str:
        done = second_terminal(demo_env, "--from", "0612345678", message)
        assert done.returncode == 0, done.stderr
        assert "through the demo's SMS gateway" in done.stderr
        lines = done.stdout.splitlines()
        assert len(lines) == 1, done.stdout  # one answer, printed once
        assert lines[0].startswith("< Qurb")
        return lines[0]

    assert "quartier" in text("kayn chi wa7ed kaybi3 l7chich 9dam lmdrassa")
    assert "anonyme" in text("باب بوجلود")  # UCS-2, as a phone sends Arabic
    received = text("1")
    code = re.search(r"Q-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", received)
    assert code is not None, received
    # The demo's terminal shows what the phone received, as the console gateway did.
    out = (tmp_path / "demo.out").read_text(errors="replace")
    assert "SMS: through Kannel" in out
    assert "SMS to +212612345678 (a phone of the demo, through Kannel)" in out
    assert code.group(0) in out
    # The report is there, texted by SMS; the phone's number is not on it.
    status = second_terminal(demo_env, "--from", "0612345678", f"STATUS {code.group(0)}")
    assert code.group(0) in status.stdout

    # One Ctrl-C stops the server, the worker and Kannel.
    running_demo.send_signal(signal.SIGINT)
    assert running_demo.wait(60) == 0
    for pid in children:

        def stopped(pid: int = pid) -> bool:
            return not alive(pid)

        eventually(stopped, f"{commands[pid]} stopped")
    # With the demo gone, `qurb sms` answers in its own process.
    direct = second_terminal(demo_env, "--from", "0612345679", "Il y a une bagarre ici")
    assert direct.returncode == 0, direct.stderr
    assert "through the demo's SMS gateway" not in direct.stderr
    assert direct.stdout.startswith("< Qurb")


def test_without_kannel_the_demo_keeps_the_console_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("QURB_KANNEL_SENDSMS_URL", raising=False)
    monkeypatch.setattr(kannel, "installed", lambda: False)
    out = io.StringIO()
    command = DemoCommand(stdout=out)
    assert command.sms_gateway(8000) == []
    said = out.getvalue()
    assert "Kannel is not installed" in said
    assert "printed here" in said
    assert "QURB_KANNEL_SENDSMS_URL" not in os.environ


def test_a_kannel_of_ones_own_is_left_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QURB_KANNEL_SENDSMS_URL", "http://kannel.example:13013/cgi-bin/sendsms")
    out = io.StringIO()
    assert DemoCommand(stdout=out).sms_gateway(8000) == []
    assert "QURB_KANNEL_SENDSMS_URL" in out.getvalue()


@pytest.mark.django_db
def test_qurb_sms_refuses_a_text_the_phones_cannot_send(settings: Any, tmp_path: Path) -> None:
    """A text longer than one fakesmsc line, while the gateway runs: a clear error, nothing
    half sent."""
    directory = local_directory(tmp_path)
    directory.mkdir()
    fifo = directory / "phones.in"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a phones program "runs"
    try:
        settings.DATA_DIR = tmp_path
        with pytest.raises(CommandError, match="does not fit in one SMS line"):
            call_command("sms", "--from", "0612345678", "ب" * 200)
        assert os.read(reader, 4096) == b""
    finally:
        os.close(reader)


def test_a_phone_line_is_one_line_of_fakesmsc() -> None:
    assert Phones.line("+212612345678", "hello there") == b"+212612345678 1919 text hello there\n"
    arabic = Phones.line("+212612345678", "حالة")
    assert arabic.startswith(b"+212612345678 1919 ucs2 %06")
    longer = Phones.line("+212612345678", "ب" * 60)  # too long in UCS-2: UTF-8 as it is
    assert longer == ("+212612345678 1919 text " + "ب" * 60 + "\n").encode()
    for bad in ("two\nlines", "nul\x00", "x" * 300):
        with pytest.raises(ValueError, match="line"):
            Phones.line("+212612345678", bad)
    assert kannel.received_sms("... DEBUG: Got message 3: <1919 +212612345678 text Qurb : ok>") == (
        "+212612345678",
        "Qurb : ok",
    )
    assert kannel.received_sms("noise") is None
