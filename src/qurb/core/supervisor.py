"""Run a few processes as one: the demo's web server and its background worker.

One command starts them, one Ctrl-C stops them, and none outlives the others:

* The children run in a process group of their own, so a Ctrl-C at the terminal reaches the
  supervisor alone, and the supervisor sends one SIGTERM to each child: each stops once,
  quietly (no KeyboardInterrupt traceback from a child still starting), and the task worker
  finishes the task in hand instead of being interrupted twice, by the terminal and by us. A
  second Ctrl-C sends a second SIGTERM (the worker then abandons its task); after
  ``stop_timeout`` seconds a child still running is killed.
* On Linux each child is also told to receive SIGTERM if the supervisor itself dies (even by
  SIGKILL), so no child is left orphaned.
* A child marked ``restart`` (the worker) is started again when it stops on its own: the
  site keeps working and the queue keeps draining. If it keeps stopping straight away
  (``max_restarts`` times in a row, each within ``healthy_after`` seconds of its start) the
  error will not fix itself, so everything is stopped with a message saying so.
* Any other child (the server) is essential: when it stops, the others are stopped and the
  supervisor returns its exit status.
* The children start in the order given. A program with a ``ready_port`` is waited for
  until that loopback port accepts connections (the SMS gateway's boxes: smsbox needs
  bearerbox), at most ``ready_timeout`` seconds, before the next one starts.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Any, TextIO

PR_SET_PDEATHSIG = 1  # linux/prctl.h
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@dataclass(frozen=True)
class Program:
    """A command to keep running: ``restart`` ones are started again when they stop."""

    name: str
    argv: Sequence[str]
    restart: bool = False
    # The next program starts once this loopback port accepts connections (or this one
    # stopped, or ``ready_timeout`` seconds passed).
    ready_port: int | None = None
    ready_timeout: float = 30.0


def parent_death_signal() -> Callable[[], None] | None:
    """A function for ``preexec_fn`` that makes the child receive SIGTERM when its parent
    dies (Linux's PR_SET_PDEATHSIG); ``None`` where the system has no such thing.

    libc is looked up here, in the parent: between fork and exec the child only calls it."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def die_with_parent() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return die_with_parent


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


class Supervisor:
    """Starts ``programs``, keeps them running as described above, stops them together."""

    def __init__(
        self,
        programs: Sequence[Program],
        *,
        env: Mapping[str, str] | None = None,
        out: TextIO | None = None,
        max_restarts: int = 5,
        healthy_after: float = 30.0,
        restart_delay: float = 1.0,
        stop_timeout: float = 10.0,
        poll_interval: float = 0.1,
    ) -> None:
        if len({p.name for p in programs}) != len(programs):
            raise ValueError("program names must be unique")
        self.programs = list(programs)
        self.env = dict(os.environ if env is None else env)
        self.out = out
        self.max_restarts = max_restarts
        self.healthy_after = healthy_after
        self.restart_delay = restart_delay
        self.stop_timeout = stop_timeout
        self.poll_interval = poll_interval
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.started_at: dict[str, float] = {}
        self.quick_exits: dict[str, int] = {p.name: 0 for p in programs}
        self.restart_at: dict[str, float] = {}
        self.restarts: dict[str, int] = {p.name: 0 for p in programs}
        self._stop = threading.Event()
        self._started = threading.Event()

    # -- what a caller or a test looks at ---------------------------------------------------
    def pid(self, name: str) -> int | None:
        """The process id of ``name`` while it runs, ``None`` between a crash and its restart."""
        process = self.processes.get(name)
        return process.pid if process is not None and process.poll() is None else None

    def wait_started(self, timeout: float | None = None) -> bool:
        return self._started.wait(timeout)

    def request_stop(self) -> None:
        """Stop every child (from another thread, or a signal handler)."""
        self._stop.set()

    # -- running ------------------------------------------------------------------------------
    def run(self, *, handle_signals: bool = True) -> int:
        """Start the programs and supervise them until a stop is asked for (return 0) or an
        essential program stops or a restarted one gives up (return a non-zero status).

        ``handle_signals`` installs handlers for SIGINT, SIGTERM and SIGHUP; it needs the
        main thread."""
        previous: dict[signal.Signals, Any] = {}
        if handle_signals:
            for stop_signal in STOP_SIGNALS:
                previous[stop_signal] = signal.signal(stop_signal, self._on_signal)
        try:
            for program in self.programs:
                if self._stop.is_set():
                    break
                self._start(program)
                self._wait_ready(program)
            self._started.set()
            status = self._supervise()
        finally:
            self._stop_all()
            for stop_signal, handler in previous.items():
                signal.signal(stop_signal, handler)
        return status

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self._stop.is_set():  # a second Ctrl-C: pass it on, the children stop harder
            self._signal_children(signal.SIGTERM)
        self.request_stop()

    def _say(self, text: str) -> None:
        out = self.out or sys.stderr
        # A closed terminal or pipe must not keep the children from being stopped.
        with contextlib.suppress(OSError, ValueError):
            out.write(f"qurb: {text}\n")
            out.flush()

    def _start(self, program: Program) -> None:
        self.processes[program.name] = subprocess.Popen(  # noqa: S603 - our own commands
            list(program.argv),
            env=self.env,
            stdin=subprocess.DEVNULL,
            process_group=0,
            preexec_fn=parent_death_signal(),
        )
        self.started_at[program.name] = time.monotonic()

    def _wait_ready(self, program: Program) -> None:
        if program.ready_port is None:
            return
        deadline = time.monotonic() + program.ready_timeout
        process = self.processes[program.name]
        while time.monotonic() < deadline and not self._stop.is_set():
            if process.poll() is not None:
                return  # it stopped: the supervision below says so and restarts it
            try:
                with socket.create_connection(("127.0.0.1", program.ready_port), timeout=0.5):
                    return
            except OSError:
                time.sleep(self.poll_interval)
        self._say(f"the {program.name} is not ready after {program.ready_timeout:g} s.")

    def _supervise(self) -> int:
        while not self._stop.wait(self.poll_interval):
            now = time.monotonic()
            for program in self.programs:
                name = program.name
                due = self.restart_at.get(name)
                if due is not None:
                    if now >= due:
                        del self.restart_at[name]
                        self.restarts[name] += 1
                        self._start(program)
                    continue
                returncode = self.processes[name].poll()
                if returncode is None:
                    continue
                how = describe_exit(returncode)
                if not program.restart:
                    others = ", ".join(p.name for p in self.programs if p is not program)
                    self._say(f"the {name} stopped ({how}); stopping the {others} too.")
                    return returncode if returncode > 0 else 1
                ran_for = now - self.started_at[name]
                self.quick_exits[name] = (
                    self.quick_exits[name] + 1 if ran_for < self.healthy_after else 1
                )
                if self.quick_exits[name] > self.max_restarts:
                    self._say(
                        f"the {name} stopped ({how}) {self.quick_exits[name]} times in a row,"
                        " each soon after starting; stopping everything (its output above"
                        " says why)."
                    )
                    return returncode if returncode > 0 else 1
                delay = self.restart_delay * 2 ** (self.quick_exits[name] - 1)
                self._say(f"the {name} stopped ({how}); starting it again in {delay:g} s.")
                self.restart_at[name] = now + delay
        return 0

    def _signal_children(self, signum: int) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signum)

    def _stop_all(self) -> None:
        """SIGTERM to every child still running, then SIGKILL after ``stop_timeout``."""
        self.restart_at.clear()
        running = [name for name, process in self.processes.items() if process.poll() is None]
        if running:
            self._say(f"stopping the {' and the '.join(running)}…")
        self._signal_children(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        for name, process in self.processes.items():
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._say(f"the {name} did not stop within {self.stop_timeout:g} s; killing it.")
                process.kill()
                process.wait()
