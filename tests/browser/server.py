"""A private Qurb server for browser journeys: its own data directory and SQLite database.

The server runs in a subprocess, whatever DATABASE_URL / REDIS_URL the rest of the suite uses
(CI also runs the suite against PostgreSQL and Redis: the journeys must never touch those).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

QURB = Path(sys.executable).parent / "qurb"
DEMO_SECONDS = 300.0
STARTUP_SECONDS = 30.0
STOP_SECONDS = 10.0


class ServerError(RuntimeError):
    """The demo could not be prepared or the server did not come up."""


@dataclass(frozen=True)
class QurbServer:
    url: str
    data_dir: Path
    log: Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def server_env(data_dir: Path) -> dict[str, str]:
    """The parent's environment without anything that could point at shared state."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("QURB_") and k not in {"DATABASE_URL", "REDIS_URL"}
    }
    env["QURB_DATA_DIR"] = str(data_dir)
    env["DATABASE_URL"] = f"sqlite:///{data_dir / 'qurb.sqlite3'}"
    env["DJANGO_SETTINGS_MODULE"] = "qurb.config.settings"
    env["PYTHONUNBUFFERED"] = "1"
    # The alert journey's push endpoint runs on loopback.
    env["QURB_ALERT_PUSH_HOSTS"] = "fcm.googleapis.com,updates.push.services.mozilla.com,127.0.0.1"
    return env


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _prepare_demo(data_dir: Path, env: dict[str, str]) -> None:
    if not QURB.exists():
        raise ServerError(f"{QURB} not found: install the project (pip install -e .)")
    demo = subprocess.run(
        [str(QURB), "demo", "--no-serve"],
        env=env,
        cwd=data_dir,
        capture_output=True,
        text=True,
        timeout=DEMO_SECONDS,
        check=False,
    )
    if demo.returncode != 0:
        raise ServerError(
            f"qurb demo --no-serve failed ({demo.returncode}):\n{demo.stdout}\n{demo.stderr}"
        )


def _wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    last_error = ""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(
                f"qurb serve exited with {process.returncode} before answering:\n{_tail(log)}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError) as exc:
            last_error = str(exc)
        time.sleep(0.2)
    raise ServerError(
        f"qurb serve did not answer {url} within {STARTUP_SECONDS:.0f}s ({last_error}):\n"
        f"{_tail(log)}"
    )


@contextmanager
def running_qurb(data_dir: Path) -> Iterator[QurbServer]:
    """`qurb demo --no-serve`, then `qurb serve` on a free port until the block ends."""
    env = server_env(data_dir)
    _prepare_demo(data_dir, env)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = data_dir / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(QURB), "serve", "--port", str(port)],
            env=env,
            cwd=data_dir,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_serving(f"{url}/", process, log)
        yield QurbServer(url=url, data_dir=data_dir, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_SECONDS)
