"""The supervisor behind `qurb serve --worker` and `qurb demo`, with real child processes."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from qurb.core.supervisor import Program, Supervisor

ROOT = Path(__file__).resolve().parents[2]
# A child that records its pid, and every signal it is sent, then waits to be stopped.
SLEEPER = """
import os, signal, sys, time
log = sys.argv[1]
def stop(signum, frame):
    with open(log, "a") as f:
        f.write(signal.Signals(signum).name + "\\n")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
with open(log + ".pid", "w") as f:
    f.write(str(os.getpid()))
while True:
    time.sleep(1)
"""


def sleeper(tmp_path: Path, name: str, *, restart: bool = False) -> Program:
    return Program(name, [sys.executable, "-c", SLEEPER, str(tmp_path / name)], restart=restart)


def exiting(name: str, code: int, *, restart: bool = False) -> Program:
    return Program(name, [sys.executable, "-c", f"raise SystemExit({code})"], restart=restart)


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie no longer does: an orphan's reaper may be slow)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    except OSError:  # no /proc
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return state != "Z"


def eventually(condition: Callable[[], object], what: str, limit: float = 30.0) -> None:
    """Wait for ``condition`` (bounded, so a broken supervisor fails instead of hanging)."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"never happened: {what}")
        time.sleep(0.05)


def pid_of(tmp_path: Path, name: str) -> int:
    path = tmp_path / f"{name}.pid"
    eventually(lambda: path.exists() and path.read_text(), f"{name} started")
    return int(path.read_text())


class Running:
    """A supervisor run in a thread (signal handlers need the main thread: none here)."""

    def __init__(self, supervisor: Supervisor) -> None:
        self.supervisor = supervisor
        self.status: int | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        assert supervisor.wait_started(30)

    def _run(self) -> None:
        self.status = self.supervisor.run(handle_signals=False)

    def finished(self, limit: float = 30.0) -> int:
        self.thread.join(limit)
        assert not self.thread.is_alive(), "the supervisor did not return"
        assert self.status is not None
        return self.status


@pytest.fixture
def out() -> io.StringIO:
    return io.StringIO()


def test_the_supervisor_starts_both_children_and_stopping_it_stops_both(
    tmp_path: Path, out: io.StringIO
) -> None:
    supervisor = Supervisor(
        [sleeper(tmp_path, "server"), sleeper(tmp_path, "worker", restart=True)], out=out
    )
    running = Running(supervisor)
    server, worker = pid_of(tmp_path, "server"), pid_of(tmp_path, "worker")
    assert alive(server)
    assert alive(worker)
    assert server != worker

    supervisor.request_stop()

    assert running.finished() == 0
    assert not alive(server)
    assert not alive(worker)
    # Each was asked once to stop, by SIGTERM: none was killed, none asked twice.
    assert (tmp_path / "server").read_text() == "SIGTERM\n"
    assert (tmp_path / "worker").read_text() == "SIGTERM\n"


def test_a_worker_that_dies_is_started_again_and_the_server_keeps_running(
    tmp_path: Path, out: io.StringIO
) -> None:
    supervisor = Supervisor(
        [sleeper(tmp_path, "server"), sleeper(tmp_path, "worker", restart=True)],
        out=out,
        restart_delay=0,
    )
    running = Running(supervisor)
    server, worker = pid_of(tmp_path, "server"), pid_of(tmp_path, "worker")
    (tmp_path / "worker.pid").unlink()

    os.kill(worker, signal.SIGKILL)

    second_worker = pid_of(tmp_path, "worker")
    assert second_worker != worker
    assert alive(second_worker)
    assert supervisor.pid("server") == server
    assert alive(server)
    assert supervisor.restarts == {"server": 0, "worker": 1}
    assert "the worker stopped (killed by SIGKILL); starting it again" in out.getvalue()

    supervisor.request_stop()
    assert running.finished() == 0
    assert not alive(server)
    assert not alive(second_worker)


def test_a_worker_that_keeps_failing_at_once_stops_everything_with_its_status(
    tmp_path: Path, out: io.StringIO
) -> None:
    supervisor = Supervisor(
        [sleeper(tmp_path, "server"), exiting("worker", 3, restart=True)],
        out=out,
        restart_delay=0,
        max_restarts=2,
    )
    running = Running(supervisor)

    assert running.finished() == 3
    assert supervisor.restarts["worker"] == 2  # started three times in all
    assert supervisor.pid("server") is None
    assert not alive(supervisor.processes["server"].pid)
    assert "the worker stopped (exit status 3) 3 times in a row" in out.getvalue()


def test_when_the_server_stops_the_worker_is_stopped_and_its_status_returned(
    tmp_path: Path, out: io.StringIO
) -> None:
    supervisor = Supervisor(
        [exiting("server", 4), sleeper(tmp_path, "worker", restart=True)], out=out
    )
    running = Running(supervisor)
    worker = pid_of(tmp_path, "worker")

    assert running.finished() == 4
    assert not alive(worker)
    assert supervisor.restarts["worker"] == 0
    assert "the server stopped (exit status 4); stopping the worker too." in out.getvalue()


# A child that listens on a port after a pause, like bearerbox before smsbox may connect.
LISTENER = """
import socket, sys, time
time.sleep(float(sys.argv[2]))
server = socket.socket()
server.bind(("127.0.0.1", int(sys.argv[1])))
server.listen()
with open(sys.argv[3], "w") as f:
    f.write(repr(time.monotonic()))
while True:
    time.sleep(1)
"""
# A child that writes when it started.
STARTED = "import sys, time; open(sys.argv[1], 'w').write(repr(time.monotonic())); time.sleep(60)"


def test_a_program_with_a_ready_port_is_waited_for_before_the_next_starts(
    tmp_path: Path, out: io.StringIO
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    listening, started = tmp_path / "listening", tmp_path / "started"
    supervisor = Supervisor(
        [
            sleeper(tmp_path, "server"),
            Program(
                "core",
                [sys.executable, "-c", LISTENER, str(port), "1.0", str(listening)],
                restart=True,
                ready_port=port,
            ),
            Program("box", [sys.executable, "-c", STARTED, str(started)], restart=True),
        ],
        out=out,
    )
    running = Running(supervisor)
    eventually(lambda: started.exists() and started.read_text(), "the box started")
    assert float(started.read_text()) > float(listening.read_text())
    supervisor.request_stop()
    assert running.finished() == 0


def test_a_program_that_stops_before_it_is_ready_does_not_hold_the_others(
    tmp_path: Path, out: io.StringIO
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    supervisor = Supervisor(
        [
            sleeper(tmp_path, "server"),
            Program(
                "core",
                [sys.executable, "-c", "raise SystemExit(2)"],
                restart=True,
                ready_port=port,
                ready_timeout=60,
            ),
            sleeper(tmp_path, "box", restart=True),
        ],
        out=out,
        restart_delay=5,
    )
    begun = time.monotonic()
    running = Running(supervisor)
    assert alive(pid_of(tmp_path, "box"))
    assert time.monotonic() - begun < 30  # not the 60 s of the ready timeout
    supervisor.request_stop()
    assert running.finished() == 0


def test_children_are_stopped_even_when_the_output_is_gone(tmp_path: Path) -> None:
    """A closed terminal or pipe (writing fails) must not leave the children running."""
    gone = io.StringIO()
    gone.close()
    supervisor = Supervisor(
        [sleeper(tmp_path, "server"), sleeper(tmp_path, "worker", restart=True)], out=gone
    )
    running = Running(supervisor)
    server, worker = pid_of(tmp_path, "server"), pid_of(tmp_path, "worker")

    supervisor.request_stop()

    assert running.finished() == 0
    assert not alive(server)
    assert not alive(worker)


SUPERVISOR_SCRIPT = """
import sys
from qurb.core.supervisor import Program, Supervisor
code = sys.argv[1]
sys.exit(Supervisor([
    Program("server", [sys.executable, "-c", code, sys.argv[2] + "/server"]),
    Program("worker", [sys.executable, "-c", code, sys.argv[2] + "/worker"], restart=True),
]).run())
"""


@contextlib.contextmanager
def supervisor_process(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """The supervisor in a process of its own, leading its own process group as a command
    in a terminal's foreground does; killed with its group if a test fails half-way."""
    process = subprocess.Popen(
        [sys.executable, "-c", SUPERVISOR_SCRIPT, SLEEPER, str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        process_group=0,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        for name in ("server", "worker"):
            pid_file = tmp_path / f"{name}.pid"
            pid = int(pid_file.read_text() or 0) if pid_file.exists() else 0
            if pid and alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


def test_ctrl_c_at_the_terminal_stops_both_children_through_the_supervisor(
    tmp_path: Path,
) -> None:
    with supervisor_process(tmp_path) as supervisor:
        server, worker = pid_of(tmp_path, "server"), pid_of(tmp_path, "worker")
        # The children are outside the terminal's foreground group: the supervisor alone
        # decides how they stop.
        assert os.getpgid(server) != supervisor.pid
        assert os.getpgid(worker) != supervisor.pid

        os.killpg(supervisor.pid, signal.SIGINT)  # what Ctrl-C does

        output, _ = supervisor.communicate(timeout=30)
    assert supervisor.returncode == 0, output
    assert "stopping the server and the worker" in output
    assert not alive(server)
    assert not alive(worker)
    assert (tmp_path / "server").read_text() == "SIGTERM\n"
    assert (tmp_path / "worker").read_text() == "SIGTERM\n"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_no_child_outlives_a_supervisor_killed_outright(tmp_path: Path) -> None:
    with supervisor_process(tmp_path) as supervisor:
        server, worker = pid_of(tmp_path, "server"), pid_of(tmp_path, "worker")

        supervisor.kill()
        supervisor.wait()

        eventually(lambda: not alive(server) and not alive(worker), "both children stopped")
    assert (tmp_path / "server").read_text() == "SIGTERM\n"
    assert (tmp_path / "worker").read_text() == "SIGTERM\n"
