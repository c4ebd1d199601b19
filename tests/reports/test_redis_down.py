"""Redis is a cache: down, or hanging without an answer, residents still report and pages
still render (each Redis call gives up after QURB_REDIS_TIMEOUT_SECONDS)."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

import pytest
from django.core.cache import caches
from django.test import Client, override_settings
from django.urls import reverse

from qurb.reports.models import Report
from tests.reports.conftest import web_key
from tests.reports.test_intake import form_data

pytestmark = pytest.mark.django_db


@contextmanager
def hanging_redis() -> Iterator[str]:
    """A server that accepts connections and never answers (a Redis that hangs)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"redis://127.0.0.1:{s.getsockname()[1]}/0"


def _redis_settings(url: str) -> dict[str, object]:
    return {
        "REDIS_URL": url,
        "REDIS_TIMEOUT_SECONDS": 0.3,
        "CACHES": {
            "default": {
                "BACKEND": "qurb.core.cache.ForgivingRedisCache",
                "LOCATION": url,
                "OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.3},
            }
        },
    }


@pytest.mark.parametrize("kind", ["down", "hanging"])
def test_a_resident_reports_and_pages_render_without_redis(
    kind: str, medina_point: tuple[float, float], caplog: pytest.LogCaptureFixture
) -> None:
    context = hanging_redis() if kind == "hanging" else nullcontext(_closed_port())
    with context as url, override_settings(**_redis_settings(url)):
        caches.close_all()
        client = Client()
        with caplog.at_level(logging.WARNING):
            assert client.get(reverse("home")).status_code == 200
            assert client.get(reverse("reports:new")).status_code == 200
            key = f"redis-{kind}"
            sent = client.post(
                reverse("reports:new"), form_data(*medina_point, idempotency_key=key)
            )
            assert sent.status_code == 302, sent.content.decode()[:1500]
            assert Report.objects.filter(idempotency_key=web_key(client, key)).exists()
            assert client.get(reverse("communication:events")).status_code == 200
        assert any(
            "Redis unavailable" in r.getMessage() or "cache unavailable" in r.getMessage()
            for r in caplog.records
        )
    caches.close_all()
