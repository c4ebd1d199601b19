"""Background work on the real broker: RabbitMQ on 127.0.0.1:5672 (this machine kind runs it,
as CI does), Celery workers in their own processes.

* When the broker cannot be reached, an enqueued task is kept in the database and the
  sweeper publishes it once the broker is back: nothing lost, no error for the request.
* A national alert's copies through the broker to worker processes that are SIGKILLed while
  they send: everyone gets exactly one copy, except at most one per kill, and the reach figure
  equals what the push endpoint received (bench/fanout.py's scenario, at a small size, on a
  PostgreSQL database of its own).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kombu import Connection

from qurb.alerts.models import Subscription
from qurb.alerts.tasks import send_confirmation
from qurb.core.taskqueue import relay_outbox

ROOT = Path(__file__).resolve().parents[2]
BROKER = os.environ.get("QURB_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
POSTGRES = os.environ.get("QURB_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432")


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def broker(settings: Any) -> Iterator[str]:
    """Tasks go to a queue of this test's own on the machine's RabbitMQ."""
    assert _listening(5672), "RabbitMQ must run on 127.0.0.1:5672 (rabbitmq-server -detached)"
    queue = f"qurb-test-{uuid.uuid4().hex[:8]}"
    settings.QURB_BROKER_URL = BROKER
    settings.QURB_TASK_QUEUE = queue
    settings.TASKS = {"default": {"BACKEND": "qurb.core.taskqueue.CeleryBackend"}}
    yield queue
    with Connection(BROKER) as conn:
        conn.default_channel.queue_delete(queue)


@pytest.mark.django_db
def test_a_task_enqueued_while_the_broker_is_away_is_kept_and_relayed(
    broker: str, settings: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    subscription = Subscription.objects.create(
        channel="email", email="amal@example.org", lat=34.06, lon=-4.98, radius_km=5
    )
    settings.QURB_BROKER_URL = "amqp://guest:guest@127.0.0.1:1//"  # nothing listens there
    result = send_confirmation.enqueue(subscription.pk)
    kept = DBTaskResult.objects.get()
    assert kept.task_path == "qurb.alerts.tasks.send_confirmation"
    assert kept.args_kwargs == {"args": [subscription.pk], "kwargs": {}}
    assert str(result.id) == str(kept.id)
    assert relay_outbox() == 0  # still away: kept
    assert DBTaskResult.objects.count() == 1
    settings.QURB_BROKER_URL = BROKER
    assert relay_outbox() == 1
    assert not DBTaskResult.objects.exists()
    with Connection(BROKER) as conn:
        queue = conn.SimpleQueue(broker)
        message = queue.get(timeout=5)
        args = message.payload[0] if isinstance(message.payload, list) else message.payload
        message.ack()
        queue.close()
    assert json.loads(json.dumps(args))[:2] == [
        "qurb.alerts.tasks.send_confirmation",
        [subscription.pk],
    ]


@pytest.mark.django_db
def test_a_task_goes_to_the_broker_not_the_database(broker: str) -> None:
    from django_tasks_db.models import DBTaskResult

    subscription = Subscription.objects.create(
        channel="email", email="amal@example.org", lat=34.06, lon=-4.98, radius_km=5
    )
    send_confirmation.enqueue(subscription.pk)
    assert not DBTaskResult.objects.exists()
    with Connection(BROKER) as conn:
        _name, messages, _consumers = conn.default_channel.queue_declare(broker, passive=True)
    assert messages == 1


class SilentBroker:
    """A TCP relay to RabbitMQ that can fall silent (a partition, or a broker blocking its
    publishers on a memory or disk alarm): connections stay open, nothing more is passed."""

    def __init__(self) -> None:
        self.silent = threading.Event()
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen()
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", 5672))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                while self.silent.is_set():
                    time.sleep(0.05)
                b.sendall(data)
        except OSError:
            pass

    def close(self) -> None:
        self.silent.clear()
        self.server.close()


@pytest.mark.django_db
def test_a_broker_that_falls_silent_does_not_hold_the_request(broker: str, settings: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    relay = SilentBroker()
    try:
        settings.QURB_BROKER_URL = f"amqp://guest:guest@127.0.0.1:{relay.port}//"
        subscription = Subscription.objects.create(
            channel="email", email="amal@example.org", lat=34.06, lon=-4.98, radius_km=5
        )
        send_confirmation.enqueue(subscription.pk)  # through the relay: on the broker
        assert not DBTaskResult.objects.exists()
        relay.silent.set()
        send_confirmation.enqueue(subscription.pk)  # returns (bounded), kept in the outbox
        assert DBTaskResult.objects.count() == 1
    finally:
        relay.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_workers_killed_while_an_alert_goes_out_lose_nobody() -> None:
    assert _listening(5432), "PostgreSQL must run on 127.0.0.1:5432"
    assert _listening(5672), "RabbitMQ must run on 127.0.0.1:5672"
    database = f"{POSTGRES}/qurb_test_fanout_{os.getpid()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QURB_", "DATABASE_URL"))}
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "fanout.py"),
            "--subscribers=600",
            "--hosts=2",
            "--workers=2",
            "--kills=3",
            "--chunk=40",
            "--no-netns",
            f"--push-port={_free_port()}",
            f"--database={database}",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    try:
        lines = done.stdout.strip().splitlines()
        assert lines, done.stderr[-3000:]
        assert lines[-1] == "lost=0 duplicated=0" or (
            lines[-1].startswith("lost=0 duplicated=") and int(lines[-1].rsplit("=", 1)[1]) <= 3
        ), done.stdout + done.stderr[-3000:]
        assert done.returncode == 0
        assert sum("SIGKILL worker" in line for line in lines) == 3
        assert "reach figure" in done.stdout
    finally:
        import psycopg

        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "qurb_test_fanout_{os.getpid()}" WITH (FORCE)')
