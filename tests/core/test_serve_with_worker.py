"""`qurb serve --worker` as a person runs it: server and worker, links to the served port,
e-mails readable in the console, and one Ctrl-C for both."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.core import mailtask
from tests.core.test_supervisor import alive, eventually

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own local server
            return True
    except urllib.error.HTTPError:
        return True  # an error page is an answer too (this database has only the task queue)
    except OSError:
        return False


def children_of(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


@pytest.fixture
def demo_env(tmp_path: Path) -> dict[str, str]:
    """The embedded setup in a temporary directory: SQLite, the task queue, console mail."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"QURB_SITE_URL", "QURB_EMAIL_HOST", "REDIS_URL", "QURB_TASK_BACKEND"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="qurb.config.settings",
        QURB_DATA_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'qurb.sqlite3'}",
        PYTHONPATH=str(ROOT),
    )
    (tmp_path / "static").mkdir()
    prepare = (
        "import django; django.setup();"
        " from django.core.management import call_command;"
        " call_command('migrate', 'django_tasks_database', verbosity=0);"
        " from tests.core.mailtask import mail_a_link;"
        " mail_a_link.enqueue('/track/QRB-TEST')"
    )
    subprocess.run([sys.executable, "-c", prepare], cwd=ROOT, env=env, check=True)
    return env


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="finds children in /proc")
def test_serve_with_worker_serves_sends_mail_linking_the_port_and_stops_on_ctrl_c(
    demo_env: dict[str, str],
) -> None:
    port = free_port()
    qurb = subprocess.Popen(
        [sys.executable, "-m", "qurb.cli", "serve", "--worker", "--port", str(port)],
        cwd=ROOT,
        env=demo_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        process_group=0,  # as in a terminal, where Ctrl-C goes to the foreground group
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(qurb.stdout or []), daemon=True)
    reader.start()
    try:
        eventually(lambda: answers(f"http://127.0.0.1:{port}/"), "the server answered", 120)
        eventually(lambda: "/track/QRB-TEST" in "".join(lines), "the worker sent the mail", 120)
        children = children_of(qurb.pid)
        assert len(children) == 2
    finally:
        if qurb.poll() is None:
            os.killpg(qurb.pid, signal.SIGINT)  # Ctrl-C
        try:
            qurb.wait(60)
        finally:
            if qurb.poll() is None:
                qurb.kill()
    reader.join(10)
    output = "".join(lines)

    # The worker wrote the link with the port served, and the mail as a person reads it.
    assert f"http://127.0.0.1:{port}/track/QRB-TEST" in output
    assert f"Subject: {mailtask.SUBJECT}" in output
    assert mailtask.BODY.split(". ")[0] in output
    assert "base64" not in output
    assert "=?utf-8?" not in output

    # One Ctrl-C stopped both, and the command itself ended normally.
    assert qurb.returncode == 0, output
    eventually(lambda: not any(alive(pid) for pid in children), "both children stopped")
