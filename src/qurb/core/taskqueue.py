"""Background work on a distributed engine: Celery over RabbitMQ, behind Django's Tasks API.

Domain code declares tasks with ``django.tasks.task`` and enqueues them as usual; with
``QURB_BROKER_URL`` set, ``TASKS`` points at :class:`CeleryBackend`, which publishes each
task to RabbitMQ as one Celery message naming the Django task (``qurb.run``). Without a broker
(the demo, the tests), the database backend runs the same tasks.

Why our own adapter: Celery has no maintained backend for Django's Tasks API (the one on PyPI
is a 0.1 release by one author), and the adapter is small: publish, and run by import path.

What the engine promises (the settings below):

* a message is acknowledged only after its task returned (``acks_late``), and a worker process
  that dies mid-task gives its message back (``reject_on_worker_lost``); RabbitMQ then hands
  it to another worker. Tasks are therefore written to be run twice without harm: each copy
  of a message has its own row and state (see ``qurb.alerts.delivery``).
* one message at a time per worker process (prefetch 1); what a killed worker held (the task
  it ran, and tasks it keeps for later: retries) goes back to the queue.
* queues durable and messages persistent, publisher confirms on: a message RabbitMQ accepted
  survives a broker restart.
* if the broker cannot be reached when a task is enqueued (refused, or silent for
  ``QURB_BROKER_TIMEOUT``), the task is kept in the database (the outbox) and the workers'
  sweeper publishes it once the broker is back: the request that enqueued it does not fail,
  and nothing is lost. (A publication that timed out may still have reached the broker: the
  task then runs twice, which every task is written to bear.)
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from django.conf import settings
from django.db import connection, transaction
from django.tasks.backends.base import BaseTaskBackend
from django.tasks.base import Task, TaskResult, TaskResultStatus
from django.tasks.signals import task_enqueued
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

RUN = "qurb.run"

app = Celery("qurb", set_as_current=False)
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    task_acks_on_failure_or_timeout=True,
    worker_prefetch_multiplier=1,
    worker_cancel_long_running_tasks_on_connection_loss=True,
    task_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    task_default_delivery_mode="persistent",
    broker_transport_options={"confirm_publish": True},
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
    worker_send_task_events=False,
    enable_utc=True,
)


def configure() -> Celery:
    """Point the app at the broker of the settings (done lazily: settings may change in
    tests)."""
    if app.conf.broker_url != settings.QURB_BROKER_URL:
        app.conf.broker_url = settings.QURB_BROKER_URL
        if app._pool is not None:  # connections to the broker named before
            app._pool.force_close_all()
            app._pool = None
            app.amqp._producer_pool = None
    app.conf.broker_connection_timeout = settings.QURB_BROKER_TIMEOUT
    app.conf.task_default_queue = settings.QURB_TASK_QUEUE
    return app


@app.task(name=RUN, acks_late=True, reject_on_worker_lost=True)  # type: ignore[untyped-decorator]
def run(task_path: str, args: list[Any], kwargs: dict[str, Any]) -> None:
    """Run one Django task, named by its import path, in this worker."""
    django_task = import_string(task_path)
    if not isinstance(django_task, Task):
        raise TypeError(f"{task_path} is not a task")
    django_task.call(*args, **kwargs)


def publish(task_path: str, args: list[Any], kwargs: dict[str, Any], **options: Any) -> str:
    """Send one task to the broker; the broker confirms it before this returns."""
    result = configure().send_task(
        RUN,
        args=[task_path, args, kwargs],
        queue=settings.QURB_TASK_QUEUE,
        retry=True,
        retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.2},
        # A broker that accepts the connection and then stays silent (a partition, a
        # memory or disk alarm blocking publishers) must not hold a web request: the
        # publication and its confirmation are bounded too.
        timeout=settings.QURB_BROKER_TIMEOUT,
        confirm_timeout=settings.QURB_BROKER_TIMEOUT,
        **options,
    )
    return str(result.id)


class CeleryBackend(BaseTaskBackend):
    """Django's Tasks API on Celery; falls back to the database outbox when the broker is
    unreachable."""

    supports_defer = True
    supports_async_task = False
    supports_get_result = False
    supports_priority = False

    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        super().__init__(alias, params)
        from django_tasks_db.backend import DatabaseBackend

        self._outbox = DatabaseBackend(alias, {"QUEUES": list(self.queues), "OPTIONS": {}})

    def enqueue(self, task: Task[Any, Any], args: Any, kwargs: Any) -> TaskResult[Any, Any]:
        self.validate_task(task)
        args, kwargs = list(args), dict(kwargs)
        try:
            task_id = publish(task.module_path, args, kwargs, eta=task.run_after)
        except Exception as exc:  # the broker is down or refused: keep it in the database
            log.warning("broker unreachable (%s): %s kept in the outbox", exc, task.module_path)
            return self._outbox.enqueue(task, args, kwargs)
        result: TaskResult[Any, Any] = TaskResult(
            task=task,
            id=task_id or get_random_string(32),
            status=TaskResultStatus.READY,
            enqueued_at=timezone.now(),
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=args,
            kwargs=kwargs,
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )
        task_enqueued.send(type(self), task_result=result)
        return result


def relay_outbox(limit: int = 200) -> int:
    """Publish the tasks kept in the database while the broker was away (oldest first);
    each is deleted once the broker confirmed it. Returns how many were relayed."""
    from django_tasks_db.models import DBTaskResult

    relayed = 0
    skip_locked = bool(connection.features.has_select_for_update_skip_locked)
    with transaction.atomic():
        rows = list(
            DBTaskResult.objects.select_for_update(skip_locked=skip_locked)
            .filter(status=TaskResultStatus.READY)
            .order_by("enqueued_at")[:limit]
        )
        for row in rows:
            run_after = row.run_after if row.run_after and row.run_after.year < 9999 else None
            try:
                publish(
                    row.task_path,
                    list(row.args_kwargs["args"]),
                    dict(row.args_kwargs["kwargs"]),
                    eta=run_after,
                )
            except Exception as exc:
                log.warning("broker still unreachable (%s); %d tasks wait", exc, len(rows))
                break
            row.delete()
            relayed += 1
    return relayed


def broker_in_use() -> bool:
    return bool(settings.QURB_BROKER_URL) and settings.TASKS["default"]["BACKEND"].endswith(
        "CeleryBackend"
    )
