"""Open-day crowds: an event's programme page served to many phones.

gunicorn (2 sync workers, the production server) with PostgreSQL and Redis (the cache as
designed: the programme is rendered once per language and served from Redis to visitors
without a session, with an ETag). A load generator in its own process (asyncio, raw sockets,
``--clients`` concurrent phones) requests the programme page, then a static file of exactly
the same size served by the same server (WhiteNoise), in the same run, alternating
``--rounds`` times. Reported: requests per second and latency percentiles for each, and the
ratio. Target: the programme at no less than half the static rate.

    python bench/programme.py [--clients 32] [--seconds 10] [--rounds 2] [--smoke]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO))  # `bench.database`
GUNICORN = str(BIN / "gunicorn") if (BIN / "gunicorn").exists() else shutil.which("gunicorn")
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/qurb_bench_programme"
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/3")


def _manage(env: dict[str, str], *args: str) -> str:
    return subprocess.run(  # noqa: S603 - our own command
        [str(BIN / "qurb"), *args], env=env, cwd=REPO, check=True, capture_output=True, text=True
    ).stdout


async def _client(
    port: int, request: bytes, deadline: float, out: list[float], errors: list[int]
) -> None:
    while time.monotonic() < deadline:
        t0 = time.monotonic()
        try:
            reader, writer = await asyncio.open_connection(HOST, port)
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            writer.close()
            if status != 200:
                errors.append(status)
                continue
        except (OSError, asyncio.IncompleteReadError):
            errors.append(0)
            continue
        out.append(time.monotonic() - t0)


def _load(port: int, path: str, clients: int, seconds: float, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nAccept-Language: ar\r\n"
        "User-Agent: phone\r\nConnection: close\r\n\r\n"
    ).encode()
    latencies: list[float] = []
    errors: list[int] = []

    async def main() -> None:
        deadline = time.monotonic() + seconds
        await asyncio.gather(
            *(_client(port, request, deadline, latencies, errors) for _ in range(clients))
        )

    asyncio.run(main())
    queue.put((latencies, errors))


def _measure(port: int, path: str, clients: int, seconds: float) -> tuple[float, float, float, int]:
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    process = multiprocessing.Process(target=_load, args=(port, path, clients, seconds, queue))
    process.start()
    latencies, errors = queue.get()
    process.join()
    ordered = sorted(latencies)
    p99 = ordered[int(0.99 * (len(ordered) - 1))] if ordered else float("nan")
    return (
        len(latencies) / seconds,
        statistics.median(ordered) if ordered else float("nan"),
        p99,
        len(errors),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--database", default=os.environ.get("QURB_BENCH_PROGRAMME_DATABASE", DEFAULT_DB)
    )
    from bench.smoke import add_smoke

    add_smoke(parser, clients=4, seconds=1.0, rounds=1, database=DEFAULT_DB + "_smoke")
    args = parser.parse_args()
    from bench.database import ensure_database

    ensure_database(args.database, fresh=True)
    tmp = Path(tempfile.mkdtemp(prefix="qurb-programme-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "qurb.config.settings",
        "DATABASE_URL": args.database,
        "REDIS_URL": REDIS_URL,
        "QURB_DATA_DIR": str(tmp),
        "QURB_SECRET_KEY": secrets.token_urlsafe(50),
        "QURB_DB_CONN_MAX_AGE": "60",
        "QURB_ALLOWED_HOSTS": f"{HOST},localhost",
    }
    print("preparing: a fresh database with the demo (its open day), static files collected")
    _manage(env, "demo", "--no-serve", "--synthetic", "0")
    _manage(env, "collectstatic", "--no-input", "-v0")
    slug = (
        _manage(
            env,
            "shell",
            "-c",
            "from qurb.communication.models import Event; "
            "print(Event.objects.get(kind='open_day').slug)",
        )
        .strip()
        .splitlines()[-1]
    )
    port_probe = __import__("socket").socket()
    port_probe.bind((HOST, 0))
    port = port_probe.getsockname()[1]
    port_probe.close()
    log = (tmp / "gunicorn.log").open("ab")
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn
        [
            GUNICORN or "gunicorn",
            "qurb.config.wsgi:application",
            "--workers",
            "2",
            "--worker-class",
            "sync",
            "--bind",
            f"{HOST}:{port}",
            "--no-control-socket",
            "--worker-tmp-dir",
            str(tmp),
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    try:
        page_path = f"/events/{slug}/"
        deadline = time.monotonic() + 60
        body = b""
        while time.monotonic() < deadline:
            try:
                request = urllib.request.Request(
                    f"http://{HOST}:{port}{page_path}", headers={"Accept-Language": "ar"}
                )
                with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 - loopback
                    body = answer.read()
                break
            except OSError:
                time.sleep(0.2)
        if not body:
            raise RuntimeError("gunicorn did not answer")
        # The static reference: a file of exactly the same size, served by the same server.
        static = tmp / "static" / "bench"
        static.mkdir(parents=True, exist_ok=True)
        (static / "programme.html").write_bytes(body)
        os.killpg(server.pid, signal.SIGHUP)  # reload the workers: WhiteNoise indexes the file
        time.sleep(3)
        static_path = "/static/bench/programme.html"
        for path in (page_path, static_path):  # warm both workers
            for _ in range(20):
                with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=5) as answer:
                    if answer.status != 200:
                        raise RuntimeError(f"{path} answered {answer.status}")
                    size = len(answer.read())
        print(f"programme page {page_path}: {len(body):,} bytes; static copy: {size:,} bytes")
        results: dict[str, list[tuple[float, float, float, int]]] = {"programme": [], "static": []}
        for _ in range(args.rounds):
            results["static"].append(_measure(port, static_path, args.clients, args.seconds))
            results["programme"].append(_measure(port, page_path, args.clients, args.seconds))
        print(
            f"{args.clients} concurrent clients, {args.seconds:.0f} s per run, "
            f"{args.rounds} rounds, gunicorn 2 sync workers"
        )
        print("| run | requests/s | p50 | p99 | errors |")
        print("| --- | --- | --- | --- | --- |")
        for name, runs in results.items():
            for i, (rps, p50, p99, errors) in enumerate(runs, 1):
                print(
                    f"| {name} {i} | {rps:,.0f} | {p50 * 1000:.1f} ms "
                    f"| {p99 * 1000:.1f} ms | {errors} |"
                )
        page_rps = statistics.median(r[0] for r in results["programme"])
        static_rps = statistics.median(r[0] for r in results["static"])
        ratio = page_rps / static_rps
        print(
            f"programme {page_rps:,.0f}/s against static {static_rps:,.0f}/s: ratio {ratio:.2f} "
            f"— target at least 0.5: {'PASS' if ratio >= 0.5 else 'MISS'}"
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
