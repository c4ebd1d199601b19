"""One copy at a time: the claim, send, record pattern every delivery shares (missing-child
alerts, neighbourhood messages).

Each copy is a row with a state (``pending`` → ``sending`` → an outcome), an attempt count
and a lease. A worker *claims* a copy with one committed conditional update (the state and
attempt count it read are the token; a pending copy must be due, a copy left ``sending``
must have an expired lease), sends it, and *settles* it at once with the same token: if its
lease ran out while it was sending and another worker took the copy over, the late outcome is
dropped and the other worker's stands. A worker killed at any instant therefore leaves at
most the one copy it had in flight to be sent again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Model, QuerySet

SENDING = "sending"


def backoff(attempts: int) -> timedelta:
    """How long a copy waits after its ``attempts``-th failed try: 30 s, doubling, at most an
    hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def push_lease() -> timedelta:
    """How long a Web Push or e-mail copy stays claimed: the longest a send may take, and a
    margin."""
    return timedelta(seconds=settings.ALERT_PUSH_TIMEOUT + 5)


def claim(rows: QuerySet[Any], row: Mapping[str, Any], now: datetime, lease: timedelta) -> bool:
    """Take the copy ``row`` (read earlier, with ``id``, ``state``, ``attempts``) from
    ``rows`` (its table, perhaps narrowed by further conditions) for this worker."""
    mine = rows.filter(pk=row["id"], state=row["state"], attempts=row["attempts"])
    if row["state"] == SENDING:
        mine = mine.filter(lease_until__lt=now)  # its worker's lease has run out
    else:
        mine = mine.filter(next_attempt_at__lte=now)
    taken = mine.update(state=SENDING, lease_until=now + lease, attempts=row["attempts"] + 1)
    return bool(taken == 1)


def settle(model: type[Model], pk: int, attempts: int, **fields: Any) -> bool:
    """Record the outcome of the copy this worker claimed (``attempts`` after the claim is
    the token); False when another worker took it over meanwhile."""
    rows = model._default_manager.filter(pk=pk, state=SENDING, attempts=attempts)
    return bool(rows.update(lease_until=None, **fields) == 1)


@contextlib.contextmanager
def fast_commits() -> Iterator[None]:
    """Per-copy commits without waiting for the disk (PostgreSQL, this connection only): a
    crash of the database server itself could forget the last states recorded and send those
    copies again; a crash of a worker loses nothing."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
    try:
        yield
    finally:
        with contextlib.suppress(Exception), connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")
