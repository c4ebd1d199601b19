"""Missing-child alerts at national scale: 1,000,000 subscribers, one alert.

On PostgreSQL (a database of its own), with ``--subscribers`` push subscriptions spread over
Morocco (around the cities, by population, plus a rural spread; radii 5–50 km), this:

1. publishes an alert in Fès with the default 160 km radius, through the real services, and
   times the fan-out: the selection of the subscribers it must reach and the queueing of
   their deliveries, chunk by chunk (one INSERT … SELECT each), as the fan-out task does;
2. runs ``--workers`` delivery workers, each sending its share of the chunks with the code a
   ``qurb worker`` runs for one chunk (one copy at a time, each claimed and recorded), against
   a local push endpoint (a minimal HTTP/1.1 server on loopback in its own process that
   answers 201), and reports when the 100,000th notification arrived, counted from the
   publication, and the deliveries per second. (``bench/fanout.py`` runs the same through
   the broker, with workers on several hosts killed mid-run.)

Target: the first 100,000 notifications delivered within 60 seconds of publication.

    python bench/alerts.py [--subscribers 1000000] [--workers 2] [--database postgres://…]
        [--smoke]

The subscribers are generated once (COPY) and reused; each run resets the deliveries.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import multiprocessing
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/qurb_bench_alerts"
PUSH_PORT = 18765
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# (lat, lon, share of subscribers, spread in km): the main cities, then the countryside.
CITIES = [
    (33.5731, -7.5898, 0.24, 15),  # Casablanca
    (34.0209, -6.8416, 0.11, 12),  # Rabat–Salé
    (34.0331, -5.0003, 0.10, 8),  # Fès
    (31.6295, -7.9811, 0.09, 10),  # Marrakech
    (35.7595, -5.8340, 0.08, 8),  # Tanger
    (33.8935, -5.5473, 0.06, 7),  # Meknès
    (30.4278, -9.5981, 0.05, 10),  # Agadir
    (34.2610, -6.5802, 0.04, 6),  # Kénitra
    (34.6814, -1.9086, 0.04, 6),  # Oujda
    (35.5785, -5.3684, 0.03, 5),  # Tétouan
]
RURAL = 1 - sum(c[2] for c in CITIES)
MOROCCO = (27.7, 35.9, -13.2, -1.0)  # lat and lon bounds (the rural spread)


def _keys(n: int) -> list[tuple[str, str]]:
    """Browser-like subscription keys (a pool, reused: the server still encrypts per message)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    out = []
    for _ in range(n):
        public = (
            ec.generate_private_key(ec.SECP256R1())
            .public_key()
            .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        )
        out.append((b64(public), b64(os.urandom(16))))
    return out


def _points(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    shares = np.array([c[2] for c in CITIES] + [RURAL])
    which = rng.choice(len(shares), size=n, p=shares / shares.sum())
    lat = np.empty(n)
    lon = np.empty(n)
    for i, (clat, clon, _share, spread) in enumerate(CITIES):
        mask = which == i
        k = int(mask.sum())
        lat[mask] = clat + rng.normal(0, spread / 111.2, k)
        lon[mask] = clon + rng.normal(0, spread / (111.2 * np.cos(np.radians(clat))), k)
    rural = which == len(CITIES)
    k = int(rural.sum())
    lat[rural] = rng.uniform(MOROCCO[0], MOROCCO[1], k)
    lon[rural] = rng.uniform(MOROCCO[2], MOROCCO[3], k)
    return lat, lon


def _load_subscribers(url: str, n: int) -> None:
    from django.db import connection

    from qurb.alerts.models import Subscription

    table = Subscription._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table} WHERE endpoint LIKE %s", ["%/bench/%"])  # noqa: S608
        if cursor.fetchone()[0] == n:
            print(f"reusing {n:,} subscribers")
            return
        cursor.execute(f"DELETE FROM alerts_delivery; DELETE FROM {table}")  # noqa: S608
    rng = np.random.default_rng(2026)
    lat, lon = _points(n, rng)
    radius = rng.uniform(5, 50, n).round(1)
    keys = _keys(1000)
    languages = rng.choice(["ar", "fr", "en"], size=n, p=[0.6, 0.3, 0.1])
    started = time.perf_counter()
    columns = (
        "token, channel, email, endpoint, p256dh, auth, language, lat, lon, radius_km, "
        "confirmed_at, active, created_at"
    )
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for i in range(n):
                p256dh, auth = keys[i % len(keys)]
                copy.write_row(
                    (
                        f"bench{i}",
                        "push",
                        "",
                        f"http://127.0.0.1:{PUSH_PORT}/bench/{i}",
                        p256dh,
                        auth,
                        languages[i],
                        float(lat[i]),
                        float(lon[i]),
                        float(radius[i]),
                        "2026-01-01T00:00:00+00:00",
                        True,
                        "2026-01-01T00:00:00+00:00",
                    )
                )
        conn.commit()
        cur.execute(f"ANALYZE {table}")
    print(f"{n:,} subscribers written in {time.perf_counter() - started:.1f} s")


# --- the push endpoint ---------------------------------------------------------------------


def _push_endpoint(port: int, counter: Any, first_at: Any, hundred_k_at: Any) -> None:
    """A minimal keep-alive HTTP/1.1 server: reads each request, answers 201, counts."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                if length:
                    await reader.readexactly(length)
                writer.write(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
                with counter.get_lock():
                    counter.value += 1
                    if counter.value == 1:
                        first_at.value = time.time()
                    if counter.value == 100_000:
                        hundred_k_at.value = time.time()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=4096)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def _worker(url: str, share: int, workers: int) -> None:
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    from qurb.alerts.delivery import deliver_range, due_ranges

    for i, (message_id, first, last) in enumerate(due_ranges()):
        if i % workers == share:
            deliver_range(message_id, first, last)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--database", default=os.environ.get("QURB_BENCH_ALERTS_DATABASE", DEFAULT_DB)
    )
    from bench.smoke import add_smoke

    add_smoke(parser, subscribers=2_000, database=DEFAULT_DB + "_smoke")
    args = parser.parse_args()
    from bench.database import ensure_database

    ensure_database(args.database)
    os.environ["DATABASE_URL"] = args.database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qurb.config.settings")
    os.environ.setdefault(
        "QURB_DATA_DIR", str(Path(__file__).resolve().parents[1] / "var" / "bench")
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from qurb.accounts.models import User
    from qurb.alerts.delivery import fan_out
    from qurb.alerts.models import AlertCase, CapMessage, CaseStatus, Delivery
    from qurb.alerts.services import case_open, case_validate
    from qurb.demo.services import demo_load

    call_command("migrate", interactive=False, verbosity=0)
    if not User.objects.filter(username="unit.fes").exists():
        demo_load()
    _load_subscribers(args.database, args.subscribers)
    Delivery.objects.all().delete()
    AlertCase.objects.filter(child_first_name="Bench").delete()
    # Only this alert goes out: the demo's live alert is over, its copies sent.
    AlertCase.objects.filter(status=CaseStatus.PUBLISHED).update(status=CaseStatus.ENDED)
    CapMessage.objects.update(fanout_started_at=timezone.now(), fanned_out_at=timezone.now())

    counter = multiprocessing.Value("l", 0)
    first_at = multiprocessing.Value("d", 0.0)
    hundred_k_at = multiprocessing.Value("d", 0.0)
    endpoint = multiprocessing.Process(
        target=_push_endpoint, args=(PUSH_PORT, counter, first_at, hundred_k_at), daemon=True
    )
    endpoint.start()
    time.sleep(0.5)

    case = case_open(
        actor=User.objects.get(username="officer.medina"),
        child_first_name="Bench",
        child_age=8,
        description="Benchmark alert (exercise).",
        last_seen_at=timezone.now(),
        lat=34.0651,
        lon=-4.9796,
        last_seen_place="Fès",
        guardian_name="Bench",
        guardian_relation="mother",
        guardian_document="cnie",
        guardian_document_number="BENCH",
        guardian_phone="0",
        guardian_checked=True,
        photo=io.BytesIO(_tiny_jpeg()),
        is_exercise=True,
    )
    criteria = {
        "criteria_minor": True,
        "criteria_confirmed": True,
        "criteria_helpful": True,
        "criteria_safe": True,
    }
    published = time.time()
    started = time.perf_counter()
    case_validate(
        actor=User.objects.get(username="unit.fes"), case=case, approve=True, criteria=criteria
    )
    validate_seconds = time.perf_counter() - started
    message = case.messages.get()
    started = time.perf_counter()
    plan = fan_out(message.pk, lambda *_chunk: None)
    select_seconds = time.perf_counter() - started
    queued = Delivery.objects.filter(message__case=case).count()
    print(
        f"publication: {validate_seconds * 1000:.0f} ms (CAP message and audit included); "
        f"fan-out: {queued:,} subscribers selected and their deliveries queued in "
        f"{plan.chunks:,} chunks in {select_seconds * 1000:.0f} ms"
    )
    connection.close()
    workers = [
        multiprocessing.Process(target=_worker, args=(args.database, share, args.workers))
        for share in range(args.workers)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    done = time.time()
    sent = counter.value
    endpoint.terminate()
    total = done - published
    print(
        f"delivered: {sent:,} of {queued:,} in {total:.1f} s after publication "
        f"({sent / total:,.0f} notifications/s with {args.workers} workers)"
    )
    if hundred_k_at.value:
        at = hundred_k_at.value - published
        print(
            f"100,000th notification: {at:.1f} s after publication "
            f"(first: {first_at.value - published:.2f} s) — target 60 s: "
            + ("PASS" if at <= 60 else "MISS")
        )
    else:
        print("fewer than 100,000 notifications were delivered")
    states = dict(
        Delivery.objects.filter(message__case=case)
        .values("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    print(f"deliveries by state: {states}")


def _tiny_jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 40), (120, 120, 120)).save(out, "JPEG")
    return out.getvalue()


if __name__ == "__main__":
    main()
