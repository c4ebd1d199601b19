"""A national alert on the distributed engine, with workers killed while it goes out.

On PostgreSQL (a database of its own) and RabbitMQ (a queue of its own on the machine's
broker), with ``--subscribers`` push subscriptions all within the alert's area, this:

1. starts ``--hosts`` worker hosts, each a network namespace of its own (``ip netns``, a veth
   on a bridge) running ``--workers`` processes of ``qurb worker``; the hosts reach the
   database, the broker and the push endpoint over the virtual network only (socat on the
   bridge's address relays the database and the broker, which listen on loopback). Without
   root or ``ip``/``socat`` (or with ``--no-netns``), the workers are plain processes;
2. publishes an alert through the real services (the fan-out task is enqueued after the
   commit, as in production) and measures when the first copy reaches the push endpoint
   (``bench/pushservice.py``: a keep-alive HTTP/1.1 server in its own process that checks
   each request: the VAPID JWT's signature and claims, the aes128gcm body, TTL, Topic; it
   answers 201 and counts per subscriber);
3. once for each number of hosts in ``--hosts``: delivery rate. In the last run, SIGKILLs a
   worker ``--kills`` times while copies go out (each killed worker is started again, as its
   service manager would), and with ``--kill-broker`` restarts RabbitMQ once;
4. checks every subscriber in range: exactly one copy each, except at most one per kill, and
   the reach figure (deliveries recorded sent) equal to what the endpoint received.

The last line is ``lost=… duplicated=…``.

    python bench/fanout.py [--subscribers 200000] [--hosts 1,2] [--workers 2] [--kills 3]
        [--kill-broker] [--no-netns] [--database postgres://…] [--smoke]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/qurb_bench_fanout"
BROKER = os.environ.get("QURB_BENCH_BROKER", "amqp://guest:guest@127.0.0.1:5672//")
PUSH_PORT = 18766
GATEWAY = "10.77.0.1"  # the bridge's address: what the worker hosts see of this machine
FES = (34.0651, -4.9796)


# --- the subscribers ------------------------------------------------------------------------


def _load_subscribers(url: str, n: int, host: str, port: int) -> None:
    """``n`` push subscribers within 60 km of Fès (all in a 160 km alert's area), their
    endpoints on ``host``."""
    from bench.alerts import _keys

    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*), min(endpoint) FROM alerts_subscription")
        count, sample = cur.fetchone()  # type: ignore[misc]
        if count == n and sample and f"//{host}:{port}/" in sample:
            print(f"reusing {n:,} subscribers")
            return
        cur.execute("DELETE FROM alerts_delivery")
        cur.execute("DELETE FROM alerts_subscription")
        rng = np.random.default_rng(2026)
        distance = rng.uniform(0, 60, n)
        bearing = rng.uniform(0, 2 * np.pi, n)
        lat = FES[0] + distance * np.cos(bearing) / 111.2
        lon = FES[1] + distance * np.sin(bearing) / (111.2 * np.cos(np.radians(FES[0])))
        keys = _keys(500)
        columns = (
            "token, channel, email, endpoint, p256dh, auth, language, lat, lon, radius_km, "
            "confirmed_at, active, created_at"
        )
        with cur.copy(f"COPY alerts_subscription ({columns}) FROM STDIN") as copy:
            for i in range(n):
                p256dh, auth = keys[i % len(keys)]
                copy.write_row(
                    (
                        f"fanout{i}",
                        "push",
                        "",
                        f"http://{host}:{port}/p/{i}",
                        p256dh,
                        auth,
                        ("ar", "fr", "en")[i % 3],
                        float(lat[i]),
                        float(lon[i]),
                        5.0,
                        "2026-01-01T00:00:00+00:00",
                        True,
                        "2026-01-01T00:00:00+00:00",
                    )
                )
        conn.commit()
        cur.execute("ANALYZE alerts_subscription")
    print(f"{n:,} subscribers written")


# --- the worker hosts -----------------------------------------------------------------------


def _sh(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True)  # noqa: S603 - fixed programs


class Network:
    """A bridge on this machine and one namespace per worker host; socat relays the
    database and the broker from the bridge's address to loopback."""

    def __init__(self, hosts: int) -> None:
        self.hosts = hosts
        self.relays: list[subprocess.Popen[bytes]] = []
        self.teardown()
        _sh("ip", "link", "add", "qurbbr0", "type", "bridge")
        _sh("ip", "addr", "add", f"{GATEWAY}/24", "dev", "qurbbr0")
        _sh("ip", "link", "set", "qurbbr0", "up")
        for h in range(1, hosts + 1):
            ns = f"qurbh{h}"
            _sh("ip", "netns", "add", ns)
            _sh(
                "ip",
                "link",
                "add",
                f"qurbv{h}",
                "type",
                "veth",
                "peer",
                "name",
                "eth0",
                "netns",
                ns,
            )
            _sh("ip", "link", "set", f"qurbv{h}", "master", "qurbbr0", "up")
            _sh("ip", "-n", ns, "addr", "add", f"10.77.0.{10 + h}/24", "dev", "eth0")
            _sh("ip", "-n", ns, "link", "set", "eth0", "up")
            _sh("ip", "-n", ns, "link", "set", "lo", "up")
        for port in (5432, 5672):
            self.relays.append(
                subprocess.Popen(  # noqa: S603 - a fixed program
                    [  # noqa: S607 - socat from the system's packages
                        "socat",
                        f"TCP-LISTEN:{port},bind={GATEWAY},fork,reuseaddr,nodelay",
                        f"TCP:127.0.0.1:{port},nodelay",
                    ]
                )
            )
        time.sleep(0.3)

    def prefix(self, host: int) -> list[str]:
        return ["ip", "netns", "exec", f"qurbh{host}"]

    def teardown(self) -> None:
        for relay in getattr(self, "relays", []):
            relay.terminate()
        for h in range(1, 9):
            subprocess.run(["ip", "netns", "del", f"qurbh{h}"], capture_output=True)  # noqa: S603,S607
        subprocess.run(["ip", "link", "del", "qurbbr0"], capture_output=True)  # noqa: S607

    @staticmethod
    def available() -> bool:
        return os.geteuid() == 0 and bool(shutil.which("ip")) and bool(shutil.which("socat"))


class Workers:
    """``qurb worker`` processes, ``per_host`` on each host."""

    def __init__(self, env: dict[str, str], network: Network | None, hosts: int, per_host: int):
        self.env, self.network = env, network
        self.slots = [(h, w) for h in range(1, hosts + 1) for w in range(per_host)]
        self.procs: dict[tuple[int, int], subprocess.Popen[bytes]] = {}
        for slot in self.slots:
            self.start(slot)

    def start(self, slot: tuple[int, int]) -> None:
        host, _w = slot
        env = dict(self.env)
        if self.network is not None:
            env["DATABASE_URL"] = env["DATABASE_URL"].replace("127.0.0.1", GATEWAY)
            env["QURB_BROKER_URL"] = env["QURB_BROKER_URL"].replace("127.0.0.1", GATEWAY)
        prefix = self.network.prefix(host) if self.network else []
        self.procs[slot] = subprocess.Popen(  # noqa: S603 - qurb itself
            [*prefix, str(Path(sys.executable).with_name("qurb")), "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def kill_one(self, round_: int) -> None:
        """SIGKILL one worker process (no warning, as the kernel's OOM killer or a power cut
        would), then start it again."""
        slot = self.slots[round_ % len(self.slots)]
        os.killpg(self.procs[slot].pid, signal.SIGKILL)
        self.procs[slot].wait()
        self.start(slot)

    def stop(self) -> None:
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def wait_for_consumers(queue: str, count: int, timeout: float = 60) -> None:
    """Until every worker listens on the queue (a worker takes a few seconds to start)."""
    from kombu import Connection

    deadline = time.time() + timeout
    with Connection(BROKER) as conn:
        channel = conn.default_channel
        while time.time() < deadline:
            try:
                _name, _messages, consumers = channel.queue_declare(queue, passive=True)
            except Exception:
                channel = conn.default_channel  # not declared yet: the channel was closed
                consumers = 0
            if consumers >= count:
                return
            time.sleep(0.2)
    print(f"  only some workers listen after {timeout:.0f} s")


def _restart_broker() -> None:
    """Stop RabbitMQ's application and start it again (queues are durable, messages
    persistent: what it had accepted must survive)."""
    _sh("rabbitmqctl", "stop_app")
    _sh("rabbitmqctl", "start_app")


# --- one run --------------------------------------------------------------------------------


def _states(url: str, case_id: int) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT d.state, count(*) FROM alerts_delivery d JOIN alerts_capmessage m"
            " ON m.id = d.message_id WHERE m.case_id = %s GROUP BY d.state",
            [case_id],
        ).fetchall()
    return {state: int(n) for state, n in rows}


def _run(
    args: argparse.Namespace,
    env: dict[str, str],
    network: Network | None,
    hosts: int,
    *,
    kills: int,
    kill_broker: bool,
) -> tuple[int, int, int]:
    import django  # noqa: F401 - configured by main()
    from django.db import connection
    from django.utils import timezone

    from bench import pushservice
    from bench.alerts import _tiny_jpeg
    from qurb.accounts.models import User
    from qurb.alerts.models import AlertCase, CapMessage, CaseStatus
    from qurb.alerts.services import case_open, case_validate

    n = args.subscribers
    tally = pushservice.Tally.create(n)
    endpoint_host = GATEWAY if network else "127.0.0.1"
    endpoint = pushservice.start(endpoint_host, args.push_port, tally, topic="alert-")
    AlertCase.objects.filter(child_first_name="Fanout").delete()
    # Only this alert goes out: the demo's live alert (in Fès too) is over, its copies sent.
    AlertCase.objects.filter(status=CaseStatus.PUBLISHED).update(status=CaseStatus.ENDED)
    CapMessage.objects.update(fanout_started_at=timezone.now(), fanned_out_at=timezone.now())
    workers = Workers(env, network, hosts, args.workers)
    wait_for_consumers(env["QURB_TASK_QUEUE"], hosts * args.workers)
    case = case_open(
        actor=User.objects.get(username="officer.medina"),
        child_first_name="Fanout",
        child_age=8,
        description="Benchmark alert (exercise).",
        last_seen_at=timezone.now(),
        lat=FES[0],
        lon=FES[1],
        last_seen_place="Fès",
        guardian_name="Bench",
        guardian_relation="mother",
        guardian_document="cnie",
        guardian_document_number="BENCH",
        guardian_phone="0",
        guardian_checked=True,
        photo=__import__("io").BytesIO(_tiny_jpeg()),
        is_exercise=True,
    )
    criteria = dict.fromkeys(
        ("criteria_minor", "criteria_confirmed", "criteria_helpful", "criteria_safe"), True
    )
    published = time.time()
    case_validate(  # on commit, the fan-out task goes to the broker
        actor=User.objects.get(username="unit.fes"), case=case, approve=True, criteria=criteria
    )
    connection.close()
    marks = [0.2 + 0.5 * k / max(kills, 1) for k in range(kills)]
    killed, broker_done, last_progress, last_total = 0, not kill_broker, time.time(), -1
    while True:
        time.sleep(0.2)
        total = tally.total()
        if killed < kills and total >= marks[killed] * n:
            workers.kill_one(killed)
            killed += 1
            print(f"  SIGKILL worker {killed} of {kills} at {total:,} copies")
        if not broker_done and total >= 0.5 * n:
            _restart_broker()
            broker_done = True
            print(f"  RabbitMQ stopped and started again at {total:,} copies")
        if total != last_total:
            last_total, last_progress = total, time.time()
        states = _states(args.database, case.pk) if time.time() - last_progress > 1 else {}
        if states and not states.get("pending") and not states.get("sending"):
            break
        if time.time() - last_progress > args.stall:
            print(f"  no progress for {args.stall} s; states: {states}")
            break
    done = time.time()
    workers.stop()
    endpoint.terminate()
    received = tally.received()
    first_at, bad = tally.first_at, tally.bad
    states = _states(args.database, case.pk)
    lost = int((received == 0).sum())
    duplicated = int(np.clip(received - 1, 0, None).sum())
    sent = int(received.sum())
    seconds = max(done - first_at.value, 1e-9) if first_at.value else float("nan")
    print(
        f"{hosts} worker host(s) x {args.workers} workers: {sent:,} copies in {seconds:.1f} s "
        f"({sent / seconds:,.0f}/s); first copy {first_at.value - published:.2f} s after "
        f"publication; deliveries by state {states}; reach figure {states.get('sent', 0):,} "
        f"vs received {sent:,}; malformed requests {bad.value}"
    )
    if states.get("sent", 0) != sent - duplicated:
        print("  the reach figure differs from what the endpoint received")
    return lost, duplicated, states.get("sent", 0) - (sent - duplicated)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=200_000)
    parser.add_argument("--hosts", default="1,2")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--kill-broker", action="store_true")
    parser.add_argument("--no-netns", action="store_true")
    parser.add_argument("--stall", type=float, default=60.0)
    parser.add_argument("--chunk", type=int, default=300)
    parser.add_argument(
        "--database", default=os.environ.get("QURB_BENCH_FANOUT_DATABASE", DEFAULT_DB)
    )
    from bench.smoke import add_smoke

    parser.add_argument("--push-port", type=int, default=PUSH_PORT)
    add_smoke(parser, subscribers=1_500, hosts="1,2", chunk=100, database=DEFAULT_DB + "_smoke")
    args = parser.parse_args()
    from bench.database import ensure_database

    ensure_database(args.database)
    network = (
        None
        if args.no_netns or not Network.available()
        else Network(max(int(h) for h in args.hosts.split(",")))
    )
    queue = f"qurb-bench-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": args.database,
        "DJANGO_SETTINGS_MODULE": "qurb.config.settings",
        "QURB_DATA_DIR": str(ROOT / "var" / "bench"),
        "QURB_BROKER_URL": BROKER,
        "QURB_TASK_QUEUE": queue,
        "QURB_ALERT_PUSH_HOSTS": f"127.0.0.1,{GATEWAY}",
        "QURB_ALERT_DELIVERY_CHUNK": str(args.chunk),
        "QURB_ALERT_PUSH_TIMEOUT": "3",
        "QURB_SWEEP_SECONDS": "5",
    }
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    from qurb.accounts.models import User
    from qurb.demo.services import demo_load

    call_command("migrate", interactive=False, verbosity=0)
    if not User.objects.filter(username="unit.fes").exists():
        demo_load()
    _load_subscribers(
        args.database, args.subscribers, GATEWAY if network else "127.0.0.1", args.push_port
    )
    print(
        f"{args.subscribers:,} subscribers in range; chunks of {args.chunk}; "
        + ("worker hosts in network namespaces" if network else "workers as local processes")
    )
    runs = [int(h) for h in args.hosts.split(",")]
    lost = duplicated = mismatch = 0
    try:
        for i, hosts in enumerate(runs):
            last = i == len(runs) - 1
            lost, duplicated, mismatch = _run(
                args,
                env,
                network,
                hosts,
                kills=args.kills if last else 0,
                kill_broker=args.kill_broker and last,
            )
    finally:
        if network is not None:
            network.teardown()
        from kombu import Connection

        with Connection(BROKER) as conn:
            conn.default_channel.queue_delete(queue)
    allowed = args.kills + (1 if args.kill_broker else 0)
    print(
        f"target: nobody lost, at most one duplicate per kill ({allowed}), reach figure = "
        "received: " + ("PASS" if lost == 0 and duplicated <= allowed and mismatch == 0 else "MISS")
    )
    print(f"lost={lost} duplicated={duplicated}")
    if lost or duplicated > allowed or mismatch:
        sys.exit(1)


if __name__ == "__main__":
    main()
