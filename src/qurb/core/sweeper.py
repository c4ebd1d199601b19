"""The workers' safety net, run by every ``qurb worker`` every ``QURB_SWEEP_SECONDS``.

What it does is named in ``settings.WORKER_SWEEPS`` (import paths: the domain apps own their
checks, core does not import them): for alerts, fan-outs whose enqueue was lost between the
commit and the broker. With a broker, it also publishes the tasks that were kept in the
database while the broker was unreachable (``qurb.core.taskqueue.relay_outbox``). Every step
takes its work with a conditional update or a row lock, so several sweepers on several
machines never do one thing twice.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils.module_loading import import_string

from qurb.core import taskqueue

log = logging.getLogger(__name__)


def sweep_once() -> dict[str, Any]:
    done: dict[str, Any] = {}
    if taskqueue.broker_in_use():
        done["relayed"] = taskqueue.relay_outbox()
    for path in settings.WORKER_SWEEPS:
        done[path] = import_string(path)()
    return done


def requeue_interrupted() -> int:
    """The database queue only: tasks left RUNNING by a worker that died are made ready again
    (the demo runs one worker, so at its start every RUNNING task is an orphan; the tasks are
    written to be run twice without harm)."""
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(status="RUNNING").update(status="READY")


class Sweeper(threading.Thread):
    """``sweep_once`` every ``interval`` seconds in a thread of the worker process."""

    def __init__(self, interval: float) -> None:
        super().__init__(name="qurb-sweeper", daemon=True)
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                close_old_connections()
                found = sweep_once()
                if any(found.values()):
                    log.info("sweep: %s", found)
            except Exception:  # the database or the broker is away: try again later
                log.exception("sweep failed")
                connection.close()

    def stop(self) -> None:
        self.stopped.set()
