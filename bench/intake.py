"""Report intake under load: gunicorn + PostgreSQL + Redis, against raw psycopg inserts.

One run, on a fresh PostgreSQL database made for it (dropped at the end):

1. Throughput and latency. gunicorn (2 sync workers; ``--threads N`` for gthread) serves
   ``qurb.config.wsgi``; a load generator in its own process (asyncio, raw sockets) runs
   ``--clients`` HTTP/1.1 clients, each posting its next valid report as soon as the last is
   answered (``POST /api/v1/reports`` with ``X-Api-Key``, random points inside the demo
   neighbourhoods) for ``--warmup`` + ``--seconds``. Only the measured window counts:
   accepted (201) reports per second, p50/p99 latency of every request completed in it.
2. Raw reference. The same rows a submission writes (reports_report, reports_statuschange,
   audit_auditevent), one transaction per report, ``--clients`` concurrent connections
   (async psycopg, spread over two processes like the two gunicorn workers), same window.
   Ratio = accepted/s ÷ raw reports/s.
3. Durability. The load starts again; after ``--kill-after`` seconds the gunicorn master and
   its workers get SIGKILL (the whole process group). Every tracking code answered with 201
   must then be in the database (with its status change and audit event); gunicorn is
   restarted and a sample is read back through ``GET /api/v1/reports/{code}``.

Targets: accepted/s >= 25% of raw, p99 < 100 ms, 0 lost. The figures are reported, not
asserted: the exit status is 0 unless something crashed. The per-key rate limit is raised for
the run (QURB_LIMIT_PER_KEY). CPU use of gunicorn, PostgreSQL, Redis, the clients and the rest
of the machine is read from /proc for each phase: the figures depend on the machine and on
whatever else runs on it, so read them together with that line.

    python bench/intake.py [--seconds 15] [--clients 50] [--threads N]
        [--database-url postgres://postgres@127.0.0.1:5432/postgres] [--keep-db] [--smoke]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import math
import multiprocessing as mp
import os
import queue
import random
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.context import SpawnProcess
from multiprocessing.synchronize import Barrier, Event
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import psycopg
from psycopg.types.json import Jsonb

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO))  # `bench.smoke`
from bench.smoke import add_smoke  # noqa: E402

BIN = Path(sys.executable).parent
GUNICORN = str(BIN / "gunicorn") if (BIN / "gunicorn").exists() else shutil.which("gunicorn")
HOST = "127.0.0.1"
REDIS_URL = "redis://127.0.0.1:6379/3"
LIMIT_PER_KEY = "10000000/60"
WORKERS = 2
# The load runs this long after the measured window, so that the window and the CPU readings
# at its end see full load (and no connection is closing yet).
TAIL = 1.0
# The sync worker: on measurements (2 cores, intake CPU-bound in the workers) it gave the same
# or more reports/s than gthread with 2, 4 or 8 threads and a clearly lower p99 (threads share
# one GIL, so a request waits behind its siblings). --threads N > 1 runs gthread instead.
DEFAULT_THREADS = 1
DESCRIPTIONS = [
    "كاين واحد كيبيع الحشيش قدام المدرسة كل نهار",
    "Des jeunes vendent de la drogue près du terrain de sport le soir.",
    "A group of men harass women at the bus stop after school hours.",
    "الدراري كيتشاجرو فالزنقة كل ليلة وكيكسرو الطوموبيلات",
    "Vol à l'arraché fréquent à la sortie du marché, toujours la même moto.",
]

SOCKET_ERRORS = (OSError, EOFError, asyncio.IncompleteReadError, asyncio.LimitOverrunError)


# --- rows and requests, precomputed before any load -------------------------------------------


@dataclass(frozen=True)
class Place:
    lat: float
    lon: float
    district_id: int
    area_id: int


@dataclass(frozen=True)
class Workload:
    places: list[Place]
    categories: list[str]
    category_labels: dict[str, str]  # as str(report) renders them in the default language
    api_key_id: int


def workload_build(count: int, seed: int) -> Workload:
    """Random points inside the leaf areas, located by the application's own index."""
    import django

    django.setup()
    from django.conf import settings
    from django.db import connections
    from django.utils import translation
    from shapely.geometry import Point, shape

    from qurb.areas.selectors import areas_at, leaf_boundaries
    from qurb.reports.models import ApiKey, Category

    rng = random.Random(seed)
    leaves = [shape(b.geometry) for b in leaf_boundaries()]
    if not leaves:
        raise RuntimeError("the demo geography has no leaf areas")
    places: list[Place] = []
    attempts = 0
    while len(places) < count:
        attempts += 1
        if attempts > count * 200:
            raise RuntimeError("could not place random points inside the demo areas")
        geom = leaves[len(places) % len(leaves)]
        x0, y0, x1, y1 = geom.bounds
        x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
        if not geom.contains(Point(x, y)):
            continue
        found = areas_at(lat=y, lon=x)
        districts = [a for a in found if a.type.code == settings.REPORT_AREA_TYPE]
        if not districts:
            continue
        places.append(Place(lat=y, lon=x, district_id=districts[0].pk, area_id=found[-1].pk))
    with translation.override(settings.LANGUAGE_CODE):
        labels = {str(c.value): str(c.label) for c in Category}
    key = ApiKey.objects.filter(name="bench").order_by("-pk").first()
    if key is None:
        raise RuntimeError("the bench API key was not created")
    connections.close_all()
    return Workload(
        places=places, categories=sorted(labels), category_labels=labels, api_key_id=key.pk
    )


def request_bodies(work: Workload, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    return [
        json.dumps(
            {
                "category": rng.choice(work.categories),
                "description": rng.choice(DESCRIPTIONS),
                "lat": p.lat,
                "lon": p.lon,
            },
            ensure_ascii=False,
        ).encode()
        for p in work.places
    ]


def http_requests(bodies: list[bytes], port: int, api_key: str) -> list[bytes]:
    head = (
        f"POST /api/v1/reports HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        f"Content-Type: application/json\r\nX-Api-Key: {api_key}\r\n"
    )
    return [f"{head}Content-Length: {len(b)}\r\n\r\n".encode() + b for b in bodies]


# --- the load generator (own process, asyncio, raw sockets) -----------------------------------


@dataclass
class LoadResult:
    started: float  # time.monotonic() when the clients started
    done: list[float] = field(default_factory=list)  # completion times (monotonic)
    latency: list[float] = field(default_factory=list)  # seconds
    status: list[int] = field(default_factory=list)  # 0: no answer (connection error)
    codes: list[tuple[float, str]] = field(default_factory=list)  # (completion, tracking code)
    cpu_seconds: float = 0.0
    error_kinds: dict[str, int] = field(default_factory=dict)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, server closes) of one HTTP/1.1 response."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip().lower()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            parts.append(await reader.readexactly(size + 2))
            if size == 0:
                break
        body = b"".join(p[:-2] for p in parts)
    else:
        body = await reader.read()
        return status, body, True
    closes = headers.get("connection") == "close" or lines[0].startswith("HTTP/1.0")
    return status, body, closes


async def _client(
    n: int, clients: int, requests: list[bytes], port: int, deadline: float, out: LoadResult
) -> None:
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    i = n
    while time.monotonic() < deadline:
        request = requests[i % len(requests)]
        i += clients
        t0 = time.monotonic()
        try:
            async with asyncio.timeout(10):
                if writer is None or reader is None:
                    reader, writer = await asyncio.open_connection(HOST, port)
                writer.write(request)
                status, body, closes = await _read_response(reader)
        except (*SOCKET_ERRORS, TimeoutError, ValueError) as exc:
            t1 = time.monotonic()
            kind = type(exc).__name__
            out.error_kinds[kind] = out.error_kinds.get(kind, 0) + 1
            out.done.append(t1)
            out.latency.append(t1 - t0)
            out.status.append(0)
            if writer is not None:
                writer.close()
            reader = writer = None
            await asyncio.sleep(0.01)  # the server is gone: do not spin on connect
            continue
        t1 = time.monotonic()
        out.done.append(t1)
        out.latency.append(t1 - t0)
        out.status.append(status)
        if status == 201:
            out.codes.append((t1, json.loads(body)["tracking_code"]))
        if closes:
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def _load(clients: int, requests: list[bytes], port: int, duration: float) -> LoadResult:
    out = LoadResult(started=time.monotonic())
    deadline = out.started + duration
    await asyncio.gather(
        *(_client(n, clients, requests, port, deadline, out) for n in range(clients))
    )
    return out


def load_process(
    clients: int, requests: list[bytes], port: int, duration: float, started: Event
) -> LoadResult:
    cpu0 = _own_cpu()
    started.set()
    result = asyncio.run(_load(clients, requests, port, duration))
    result.cpu_seconds = _own_cpu() - cpu0
    return result


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- the raw reference (psycopg, same rows, one transaction each) -----------------------------

INSERT_REPORT = """
INSERT INTO reports_report (
    tracking_code, token, idempotency_key, category, flag_weapon, flag_minor,
    flag_near_school, flag_in_progress, description, lat, lon, address, "when", occurred_at,
    recurrence_days, recurrence_from, recurrence_to, channel, anonymous, language, status,
    outcome, outcome_at, is_demo, created_at, updated_at, api_key_id, area_id,
    assigned_to_id, district_id, duplicate_of_id, submitted_by_id,
    reported_category, reported_flags, suggested_category, suggestion_confidence,
    suggested_flags, triage_confirmed_at, triage_confirmed_by_id,
    public_id, is_synthetic, h3_cell, seen_on, hour_of_week
) VALUES (
    %s, %s, NULL, %s, %s, %s, %s, %s, %s, %s, %s, '', 'unknown', NULL,
    '', NULL, NULL, 'api', true, 'ar', 'received', '', NULL, false, %s, %s, %s, %s,
    NULL, %s, NULL, NULL,
    %s, '[]', %s, %s, %s, NULL, NULL,
    %s, false, %s, %s, NULL
) RETURNING id
"""
INSERT_CHANGE = """
INSERT INTO reports_statuschange (
    from_status, to_status, public_note, staff_note, created_at, notified_at, actor_id, report_id
) VALUES ('', 'received', '', '', %s, NULL, NULL, %s)
"""
INSERT_AUDIT = """
INSERT INTO audit_auditevent (
    occurred_at, actor_label, action, object_type, object_id, object_label, area_id, details,
    actor_id
) VALUES (%s, 'system', 'reports.submit', 'reports.report', %s, %s, %s, %s, NULL)
"""


CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # as qurb.reports.services.tracking_code_new


def suggested(body: dict[str, Any]) -> dict[str, Any]:
    """The body with what the service stores with it (same rows): the automatic reading, the
    H3 cell of the point and the local time zone its day is counted in ("when" is unknown: no
    hour of the week)."""
    from qurb.language.triage import triage_text
    from qurb.reports import rollup

    return {
        **body,
        "suggested": triage_text(body["description"]).as_dict(),
        "h3_cell": rollup.cell_of(body["lat"], body["lon"]),
        "zone": rollup.local_zone().key,
    }


def tracking_code() -> str:
    symbols = "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))
    return "Q-" + "-".join(symbols[i : i + 4] for i in range(0, 16, 4))


def public_id() -> str:  # as qurb.reports.services.public_id_new
    symbols = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return "R-" + "-".join(symbols[i : i + 4] for i in range(0, 12, 4))


@dataclass
class RawResult:
    started: float
    done: list[float] = field(default_factory=list)
    latency: list[float] = field(default_factory=list)
    cpu_seconds: float = 0.0


async def _raw_client(
    conn: psycopg.AsyncConnection[Any],
    n: int,
    stride: int,
    work: Workload,
    bodies: list[dict[str, Any]],
    deadline: float,
    out: RawResult,
) -> None:
    i = n
    while time.monotonic() < deadline:
        place, body = work.places[i % len(work.places)], bodies[i % len(bodies)]
        i += stride
        t0 = time.monotonic()
        now = datetime.now(UTC)
        async with conn.cursor() as cur:
            await cur.execute(
                INSERT_REPORT,
                (
                    tracking_code(),
                    secrets.token_hex(12),
                    body["category"],
                    "weapon" in body["suggested"]["flags"],
                    "minor_involved" in body["suggested"]["flags"],
                    "near_school" in body["suggested"]["flags"],
                    "in_progress" in body["suggested"]["flags"],
                    body["description"],
                    place.lat,
                    place.lon,
                    now,
                    now,
                    work.api_key_id,
                    place.area_id,
                    place.district_id,
                    body["category"],
                    body["suggested"]["category"],
                    body["suggested"]["confidence"],
                    Jsonb(body["suggested"]["flags"]),
                    public_id(),
                    body["h3_cell"],
                    now.astimezone(ZoneInfo(body["zone"])).date(),
                ),
            )
            row = await cur.fetchone()
            assert row is not None  # noqa: S101 - RETURNING id always returns the row
            report_id = int(row[0])
            await cur.execute(INSERT_CHANGE, (now, report_id))
            await cur.execute(
                INSERT_AUDIT,
                (
                    now,
                    str(report_id),
                    f"#{report_id} {work.category_labels[body['category']]}",
                    place.district_id,
                    Jsonb({"channel": "api", "photos": 0}),
                ),
            )
        await conn.commit()
        t1 = time.monotonic()
        out.done.append(t1)
        out.latency.append(t1 - t0)


async def _raw(
    dsn: str,
    first: int,
    stride: int,
    count: int,
    work: Workload,
    bodies: list[dict[str, Any]],
    duration: float,
    barrier: Barrier,
) -> RawResult:
    conns = [await psycopg.AsyncConnection.connect(dsn) for _ in range(count)]
    try:
        await asyncio.get_running_loop().run_in_executor(None, barrier.wait)
        out = RawResult(started=time.monotonic())
        deadline = out.started + duration
        await asyncio.gather(
            *(
                _raw_client(c, first + k, stride, work, bodies, deadline, out)
                for k, c in enumerate(conns)
            )
        )
        return out
    finally:
        for c in conns:
            await c.close()


def raw_process(
    dsn: str,
    first: int,
    stride: int,
    count: int,
    work: Workload,
    bodies: list[dict[str, Any]],
    duration: float,
    barrier: Barrier,
) -> RawResult:
    cpu0 = _own_cpu()
    result = asyncio.run(_raw(dsn, first, stride, count, work, bodies, duration, barrier))
    result.cpu_seconds = _own_cpu() - cpu0
    return result


# --- child processes --------------------------------------------------------------------------


def _child_main(target: Callable[..., Any], args: tuple[Any, ...], results: Any) -> None:
    try:
        results.put(("ok", target(*args)))
    except BaseException:
        results.put(("error", traceback.format_exc()))


class Children:
    """Spawned helper processes; each returns one picklable value or its traceback."""

    def __init__(self) -> None:
        self.ctx = mp.get_context("spawn")
        self.procs: list[SpawnProcess] = []

    def start(self, target: Callable[..., Any], *args: Any) -> tuple[SpawnProcess, Any]:
        results = self.ctx.Queue()
        proc = self.ctx.Process(target=_child_main, args=(target, args, results), daemon=True)
        proc.start()
        self.procs.append(proc)
        return proc, results

    @staticmethod
    def result(proc: SpawnProcess, results: Any, timeout: float) -> Any:
        try:
            kind, value = results.get(timeout=timeout)
        except queue.Empty:
            raise RuntimeError(f"child process {proc.pid} gave no result") from None
        proc.join(timeout=10)
        if kind == "error":
            raise RuntimeError(f"child process failed:\n{value}")
        return value

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.is_alive():
                proc.kill()
            proc.join(timeout=5)


# --- CPU accounting from /proc ----------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PG_SHARED = ("checkpointer", "background writer", "walwriter", "-D ")


def _proc_stat(pid: int) -> tuple[str, int, float] | None:
    """(command, process group, user+system CPU seconds) of a process, None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = text[text.index("(") + 1 : text.rindex(")")]
    fields = text[text.rindex(")") + 2 :].split()
    return comm, int(fields[2]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _machine_busy() -> float:
    """CPU seconds the whole machine has spent busy (every core, every process)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / CLOCK_TICKS


@dataclass
class CpuSnapshot:
    per_pid: dict[int, tuple[str, float]]  # pid -> (group, CPU seconds so far)
    machine: float
    at: float


def cpu_snapshot(gunicorn_pgid: int | None, load_pids: set[int], database: str) -> CpuSnapshot:
    """CPU so far of each process of interest: gunicorn (its process group), PostgreSQL
    (the bench database's backends and the shared WAL/checkpoint processes), Redis, the load
    generator or raw clients; plus the whole machine, so that other activity shows."""
    per_pid: dict[int, tuple[str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        stat = _proc_stat(pid)
        if stat is None:
            continue
        comm, pgid, cpu = stat
        group = ""
        if gunicorn_pgid is not None and pgid == gunicorn_pgid:
            group = "gunicorn"
        elif pid in load_pids:
            group = "client"
        elif comm.startswith("redis"):
            group = "redis"
        elif comm.startswith("postgres"):
            try:
                cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if f" {database} " in cmdline or any(s in cmdline for s in PG_SHARED):
                group = "postgres"
        if group:
            per_pid[pid] = (group, cpu)
    return CpuSnapshot(per_pid=per_pid, machine=_machine_busy(), at=time.monotonic())


def cpu_report(before: CpuSnapshot, after: CpuSnapshot, reports: int) -> str:
    """Who used the CPU between two snapshots, and how much of it per report stored."""
    wall = after.at - before.at
    used = {"gunicorn": 0.0, "postgres": 0.0, "redis": 0.0, "client": 0.0}
    for pid, (group, cpu) in after.per_pid.items():
        used[group] += cpu - before.per_pid.get(pid, (group, 0.0))[1]
    used["other"] = max(0.0, after.machine - before.machine - sum(used.values()))
    cores = os.cpu_count() or 1
    busy = (after.machine - before.machine) / wall
    shares = ", ".join(f"{k} {v / wall:.0%}" for k, v in used.items())
    text = (
        f"CPU (% of one core) over {wall:.1f}s: {shares}; machine busy {busy:.0%} of {cores * 100}%"
    )
    if reports:
        per = ", ".join(
            f"{k} {v / reports * 1000:.2f} ms" for k, v in used.items() if k != "other" and v > 0
        )
        text += f"\n  CPU per report stored: {per}"
    if used["other"] / wall > 0.25:
        text += (
            "\n  NOTE: the rest of the machine (other processes, interrupts) took much CPU;"
            " the figures are lower than on a quiet machine"
        )
    return text


# --- gunicorn ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, env: dict[str, str], port: int, threads: int, log: Path) -> None:
        self.env, self.port, self.threads, self.log = env, port, threads, log
        self.app = "qurb.config.wsgi:application"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pgid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def start(self) -> None:
        worker = ["--worker-class", "gthread", "--threads", str(self.threads)]
        if self.threads <= 1:
            worker = ["--worker-class", "sync"]
        command = [
            GUNICORN or "gunicorn",
            self.app,
            "--workers",
            str(WORKERS),
            *worker,
            "--bind",
            f"{HOST}:{self.port}",
            "--no-control-socket",
            "--worker-tmp-dir",
            str(self.log.parent),
        ]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
                command,
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=log,
                start_new_session=True,  # its own process group: SIGKILL reaches every worker
            )
        self.wait_ready()

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None  # noqa: S101
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
                conn.request("GET", "/api/v1/reports/challenge")
                response = conn.getresponse()
                response.read()
                conn.close()
                if response.status == 200:
                    self._warm()
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer within {timeout}s:\n{self.log_tail()}")

    def _warm(self) -> None:
        """A few requests so that every worker has imported the app before load is measured."""
        for _ in range(4 * WORKERS):
            conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
            conn.request("GET", "/api/v1/reports/challenge")
            conn.getresponse().read()
            conn.close()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def kill(self) -> float:
        """SIGKILL to the master and its workers at once; returns when it was sent."""
        assert self.proc is not None  # noqa: S101
        pgid = self.proc.pid
        at = time.monotonic()
        os.killpg(pgid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # workers are reparented; wait until they are gone
            if not any(
                (s := _proc_stat(int(p.name))) is not None and s[1] == pgid and s[0] != "<defunct>"
                for p in Path("/proc").iterdir()
                if p.name.isdigit()
            ):
                break
            time.sleep(0.05)
        self.proc = None
        return at

    def stop(self) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None


# --- database ---------------------------------------------------------------------------------


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@contextlib.contextmanager
def bench_database(admin_url: str, keep: bool) -> Iterator[str]:
    name = f"qurb_bench_{os.getpid()}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield with_database(admin_url, name)
    finally:
        if keep:
            print(f"\nkept database {name} ({with_database(admin_url, name)})")
        else:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def checkpoint(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, str(REPO / "manage.py"), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


# --- figures ----------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)  # nearest rank
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


@dataclass
class Window:
    seconds: float
    requests: int
    accepted: int
    errors: int
    other_status: dict[int, int]
    p50_ms: float
    p99_ms: float
    max_ms: float

    @property
    def accepted_per_s(self) -> float:
        return self.accepted / self.seconds


def http_window(result: LoadResult, warmup: float, seconds: float) -> Window:
    t0, t1 = result.started + warmup, result.started + warmup + seconds
    picked = [
        (lat, st)
        for done, lat, st in zip(result.done, result.latency, result.status, strict=True)
        if t0 <= done < t1
    ]
    latencies = [lat for lat, _ in picked]
    other: dict[int, int] = {}
    for _, st in picked:
        if st not in (0, 201):
            other[st] = other.get(st, 0) + 1
    return Window(
        seconds=seconds,
        requests=len(picked),
        accepted=sum(1 for _, st in picked if st == 201),
        errors=sum(1 for _, st in picked if st == 0),
        other_status=other,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        max_ms=max(latencies, default=float("nan")) * 1000,
    )


def raw_window(results: list[RawResult], warmup: float, seconds: float) -> Window:
    latencies: list[float] = []
    for r in results:
        t0, t1 = r.started + warmup, r.started + warmup + seconds
        latencies += [lat for d, lat in zip(r.done, r.latency, strict=True) if t0 <= d < t1]
    return Window(
        seconds=seconds,
        requests=len(latencies),
        accepted=len(latencies),
        errors=0,
        other_status={},
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        max_ms=max(latencies, default=float("nan")) * 1000,
    )


# --- the phases -------------------------------------------------------------------------------


@dataclass
class Setup:
    args: argparse.Namespace
    env: dict[str, str]
    dsn: str
    database: str
    api_key: str
    work: Workload
    requests: list[bytes]
    raw_bodies: list[dict[str, Any]]
    server: Server
    children: Children


def phase_http(s: Setup) -> tuple[Window, str]:
    checkpoint(s.dsn)
    duration = s.args.warmup + s.args.seconds + TAIL
    started = s.children.ctx.Event()
    proc, results = s.children.start(
        load_process, s.args.clients, s.requests, s.server.port, duration, started
    )
    if not started.wait(timeout=60):
        raise RuntimeError("the load generator did not start")
    time.sleep(s.args.warmup)
    assert proc.pid is not None  # noqa: S101
    before = cpu_snapshot(s.server.pgid, {proc.pid}, s.database)
    time.sleep(s.args.seconds)
    after = cpu_snapshot(s.server.pgid, {proc.pid}, s.database)
    result: LoadResult = Children.result(proc, results, timeout=duration + 60)
    window = http_window(result, s.args.warmup, s.args.seconds)
    busy = result.cpu_seconds / (duration or 1)
    connections = (
        "a new connection per request (the sync worker closes it)"
        if s.server.threads <= 1
        else "keep-alive connections"
    )
    print(
        f"  load generator: one process, asyncio, {s.args.clients} clients, {connections};"
        f" it used {busy:.0%} of one core"
    )
    if result.error_kinds:
        print(f"  connection errors: {result.error_kinds}")
    return window, cpu_report(before, after, window.accepted)


def phase_raw(s: Setup) -> tuple[Window, str]:
    checkpoint(s.dsn)
    processes = WORKERS
    barrier = s.children.ctx.Barrier(processes + 1)
    duration = s.args.warmup + s.args.seconds + TAIL
    started = []
    for k in range(processes):
        count = s.args.clients // processes + (1 if k < s.args.clients % processes else 0)
        started.append(
            s.children.start(
                raw_process,
                s.dsn,
                k,
                processes,
                count,
                s.work,
                s.raw_bodies,
                duration,
                barrier,
            )
        )
    barrier.wait(timeout=60)
    time.sleep(s.args.warmup)
    pids = {p.pid for p, _ in started if p.pid is not None}
    before = cpu_snapshot(None, pids, s.database)
    time.sleep(s.args.seconds)
    after = cpu_snapshot(None, pids, s.database)
    raw: list[RawResult] = [Children.result(p, q, timeout=duration + 60) for p, q in started]
    window = raw_window(raw, s.args.warmup, s.args.seconds)
    return window, cpu_report(before, after, window.accepted)


@dataclass
class Durability:
    accepted: int
    found: int
    complete: int
    lost: list[str]
    acknowledged_after_kill: int
    stored_without_201: int
    sample: int
    sample_served: int
    kill_at: float
    cut_by_kill: int
    settings: str


def phase_durability(s: Setup) -> Durability:
    with psycopg.connect(s.dsn) as conn:
        row = conn.execute("SELECT coalesce(max(id), 0) FROM reports_report").fetchone()
        max_id_before = int(row[0]) if row else 0
    duration = s.args.kill_after + 1.0
    started = s.children.ctx.Event()
    proc, results = s.children.start(
        load_process, s.args.clients, s.requests, s.server.port, duration, started
    )
    if not started.wait(timeout=60):
        raise RuntimeError("the load generator did not start")
    time.sleep(s.args.kill_after)
    kill_at = s.server.kill()
    result: LoadResult = Children.result(proc, results, timeout=duration + 60)
    kill_offset = kill_at - result.started
    codes = [code for _, code in result.codes]
    after_kill = sum(1 for done, _ in result.codes if done > kill_at)
    cut_by_kill = sum(  # sent before the kill, never answered
        1
        for d, lat, st in zip(result.done, result.latency, result.status, strict=True)
        if st == 0 and d - lat <= kill_at < d
    )

    s.server.start()  # the same port, as a restarted service would
    with psycopg.connect(s.dsn) as conn:
        rows = conn.execute(
            """
            SELECT r.tracking_code,
                   EXISTS (SELECT 1 FROM reports_statuschange c WHERE c.report_id = r.id),
                   EXISTS (SELECT 1 FROM audit_auditevent a WHERE a.action = 'reports.submit'
                           AND a.object_type = 'reports.report' AND a.object_id = r.id::text)
            FROM reports_report r WHERE r.tracking_code = ANY(%s)
            """,
            (codes,),
        ).fetchall()
        row = conn.execute(
            "SELECT count(*) FROM reports_report WHERE id > %s", (max_id_before,)
        ).fetchone()
        stored = int(row[0]) if row else 0
        shown = []
        for name in ("synchronous_commit", "fsync"):
            setting = conn.execute("SELECT current_setting(%s)", (name,)).fetchone()
            shown.append(f"{name}={setting[0] if setting else '?'}")
        settings = ", ".join(shown)
    found = {r[0] for r in rows}
    complete = sum(1 for r in rows if r[1] and r[2])
    lost = [c for c in codes if c not in found]

    # Read back through the restarted server: the last codes answered before the kill (the
    # ones most at risk) and a random sample of the rest.
    rng = random.Random(s.args.seed)
    last = codes[-50:]
    rest = codes[:-50]
    sample = last + rng.sample(rest, min(150, len(rest)))
    served = 0
    conn_http = http.client.HTTPConnection(HOST, s.server.port, timeout=10)
    for code in sample:
        conn_http.request("GET", f"/api/v1/reports/{code}")
        response = conn_http.getresponse()
        body = response.read()
        if response.status == 200 and json.loads(body)["tracking_code"] == code:
            served += 1
        if response.getheader("connection", "").lower() == "close":
            conn_http.close()
            conn_http = http.client.HTTPConnection(HOST, s.server.port, timeout=10)
    conn_http.close()
    return Durability(
        accepted=len(codes),
        found=len(found),
        complete=complete,
        lost=lost,
        acknowledged_after_kill=after_kill,
        stored_without_201=stored - len(found),
        sample=len(sample),
        sample_served=served,
        kill_at=kill_offset,
        cut_by_kill=cut_by_kill,
        settings=settings,
    )


# --- main -------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=15.0, help="measured window")
    parser.add_argument("--warmup", type=float, default=3.0, help="load before the window")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument(
        "--threads",
        type=int,
        default=DEFAULT_THREADS,
        help=f"gthread threads per worker (1: the sync worker); default {DEFAULT_THREADS}",
    )
    parser.add_argument("--kill-after", type=float, default=3.0)
    parser.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/postgres",
        help="admin URL: the bench database is created and dropped through it",
    )
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--points", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=2026)
    add_smoke(parser, argv, seconds=2.0, warmup=0.5, clients=4, kill_after=1.0, points=200)
    args = parser.parse_args(argv)
    if args.clients < WORKERS:
        parser.error(f"--clients must be at least {WORKERS}")
    return args


def prepare(args: argparse.Namespace, stack: contextlib.ExitStack) -> Setup:
    """A fresh database with the demo and a key, the workload, gunicorn answering.

    Everything started here is undone when ``stack`` closes, on success or error.
    """
    children = Children()
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="qurb-bench-")))
    dsn = stack.enter_context(bench_database(args.database_url, args.keep_db))
    database = urlsplit(dsn).path.lstrip("/")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "qurb.config.settings",
        "DATABASE_URL": dsn,
        "REDIS_URL": REDIS_URL,
        "QURB_DATA_DIR": str(tmp / "data"),
        "QURB_SECRET_KEY": secrets.token_urlsafe(50),
        "QURB_DB_CONN_MAX_AGE": "60",
        "QURB_LIMIT_PER_KEY": LIMIT_PER_KEY,
        "QURB_ALLOWED_HOSTS": f"{HOST},localhost",
    }
    print(f"database {database} (fresh), Redis {REDIS_URL}")
    print(
        f"rate limit per API key raised to QURB_LIMIT_PER_KEY={LIMIT_PER_KEY} for this run "
        "(production default 6000/60) so that it does not cut the benchmark"
    )
    t = time.monotonic()
    manage(env, "demo", "--no-serve")
    api_key = manage(env, "apikey", "create", "bench").strip().splitlines()[-1]
    os.environ.update(env)
    work = workload_build(args.points, args.seed)
    bodies = request_bodies(work, args.seed)
    print(
        f"setup: migrate + demo + API key + {len(work.places)} random points "
        f"in {time.monotonic() - t:.1f}s"
    )
    port = free_port()
    server = Server(env, port, args.threads, tmp / "gunicorn.log")
    stack.callback(server.stop)
    stack.callback(children.stop_all)  # runs first: load and raw clients, then gunicorn
    server.start()
    kind = "sync" if args.threads <= 1 else f"gthread, {args.threads} threads each"
    print(f"gunicorn: {WORKERS} workers ({kind}) on {HOST}:{port}, QURB_DB_CONN_MAX_AGE=60")
    return Setup(
        args=args,
        env=env,
        dsn=dsn,
        database=database,
        api_key=api_key,
        work=work,
        requests=http_requests(bodies, port, api_key),
        raw_bodies=[suggested(json.loads(b)) for b in bodies],
        server=server,
        children=children,
    )


def run(s: Setup) -> None:
    args = s.args
    print(
        f"\n1. HTTP intake: {args.clients} clients, {args.warmup:g}s warm-up, "
        f"{args.seconds:g}s measured"
    )
    web, web_cpu = phase_http(s)
    print(f"  {web_cpu}")
    print(
        "\n2. Raw psycopg inserts: same rows, one transaction per report, "
        f"{args.clients} connections over {WORKERS} processes"
    )
    raw, raw_cpu = phase_raw(s)
    print(f"  {raw_cpu}")

    ratio = web.accepted_per_s / raw.accepted_per_s if raw.accepted else 0.0
    print("\nThroughput and latency")
    print(f"  accepted reports/s (HTTP 201)   {web.accepted_per_s:10.1f}")
    print(f"  raw psycopg reports/s           {raw.accepted_per_s:10.1f}")
    print(f"  ratio HTTP / raw                {ratio:10.1%}   (target >= 25%)")
    print(f"  HTTP latency p50                {web.p50_ms:10.1f} ms")
    print(f"  HTTP latency p99                {web.p99_ms:10.1f} ms   (target < 100 ms)")
    print(f"  HTTP latency max                {web.max_ms:10.1f} ms")
    print(f"  HTTP requests in window         {web.requests:10d}")
    print(f"  HTTP errors (no answer)         {web.errors:10d}")
    print(f"  HTTP other statuses             {web.other_status or '-'!s:>10}")
    print(f"  raw transaction p50 / p99       {raw.p50_ms:6.1f} / {raw.p99_ms:.1f} ms")
    if web.accepted:
        # A closed loop: every client waits for its answer, so mean latency = clients / rate.
        print(
            f"  (Little's law: {args.clients} clients / {web.accepted_per_s:.0f} per s = "
            f"{args.clients / web.accepted_per_s * 1000:.0f} ms mean latency; a p99 under "
            f"100 ms at {args.clients} clients needs more than {args.clients * 10} reports/s)"
        )
    perf_ok = ratio >= 0.25 and web.p99_ms < 100 and web.errors == 0
    print(f"  throughput/latency targets: {'PASS' if perf_ok else 'FAIL'}")

    print(
        "\n3. Durability: load again, SIGKILL to gunicorn's process group after "
        f"{args.kill_after:g}s"
    )
    d = phase_durability(s)
    print(f"  SIGKILL sent {d.kill_at:.2f}s into the load; gunicorn restarted")
    print(f"  PostgreSQL: {d.settings} (PostgreSQL itself keeps running)")
    print(f"  accepted (201 with a tracking code)  {d.accepted:8d}")
    print(f"  found in the database                {d.found:8d}")
    print(f"  lost                                 {d.accepted - d.found:8d}")
    print(f"  found with status change + audit     {d.complete:8d}")
    print(f"  stored but never acknowledged        {d.stored_without_201:8d}")
    print(f"  201 received after the kill          {d.acknowledged_after_kill:8d}")
    print(f"  in flight at the kill, no answer     {d.cut_by_kill:8d}")
    print(f"  read back via GET after restart      {d.sample_served:8d} / {d.sample}")
    if d.lost:
        print(f"  lost codes (first 10): {d.lost[:10]}")
    durable_ok = (
        d.accepted > 0 and not d.lost and d.complete == d.accepted and d.sample_served == d.sample
    )
    print(f"  durability target (0 lost): {'PASS' if durable_ok else 'FAIL'}")
    print(
        f"\nOverall: throughput/latency {'PASS' if perf_ok else 'FAIL'}, "
        f"durability {'PASS' if durable_ok else 'FAIL'}"
    )


def _terminate(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)  # unwinds the ExitStack: gunicorn, children, database


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, _terminate)
    with contextlib.ExitStack() as stack:
        run(prepare(args, stack))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
