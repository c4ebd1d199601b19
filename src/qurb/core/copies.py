"""One copy at a time: the claim, send, record pattern every delivery shares (missing-child
alerts, neighbourhood messages, SMS and WhatsApp messages).

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
from collections.abc import Iterator, Mapping, Sequence
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


# --- the fan-out: an audience walked in chunks of ids ------------------------------------------
#
# Missing-child alerts and neighbourhood messages queue their copies the same way: the audience
# is an SQL condition on the subscription table (alias ``s``), walked by id in chunks (one
# indexed range each), and each chunk's copies are queued with one ``INSERT … SELECT`` into a
# table of copies with a unique (message, subscription) pair, so a chunk queued again adds
# nothing. Table names come from the models; every value is a parameter.


def _table(model: type[Model]) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


def next_chunk(
    people: type[Model], condition: str, params: Sequence[Any], after: int, size: int
) -> tuple[int, int]:
    """The first and last ids of the next ``size`` rows of ``people`` (alias ``s``) meeting
    ``condition`` after id ``after``; (0, 0) when there are none."""
    sql = f"""
        SELECT MIN(id), MAX(id), COUNT(*) FROM (
            SELECT s.id FROM {_table(people)} s WHERE s.id > %s AND {condition}
            ORDER BY s.id LIMIT %s
        ) chunk
    """  # noqa: S608 - table names come from the models; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [after, *params, size])
        first, last, count = cursor.fetchone()
    return (int(first), int(last)) if count else (0, 0)


def queue_chunk(
    copies: type[Model],
    people: type[Model],
    *,
    message_id: int,
    state: str,
    condition: str,
    params: Sequence[Any],
    lo: int,
    hi: int,
    now: datetime,
) -> int:
    """Queue one copy of ``message_id`` (in ``copies``: ``message_id``, ``subscription_id``,
    ``state``, ``attempts``, ``next_attempt_at``, ``error``) for each row of ``people`` with
    an id in ``lo``…``hi`` meeting ``condition``, in the state the SQL expression ``state``
    gives (on ``s``); pairs already queued are left as they are. Returns how many were added."""
    sql = f"""
        INSERT INTO {_table(copies)}
            (message_id, subscription_id, state, attempts, next_attempt_at, error)
        SELECT %s, s.id, {state}, 0, %s, '' FROM {_table(people)} s
        WHERE s.id BETWEEN %s AND %s AND {condition}
        ON CONFLICT DO NOTHING
    """  # noqa: S608 - table names come from the models; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [message_id, now, lo, hi, *params])
        return max(int(cursor.rowcount), 0)


def spans(ids: Sequence[int], size: int) -> Iterator[tuple[int, int]]:
    """(first, last) of each run of ``size`` sorted ids: the ranges a worker takes."""
    for i in range(0, len(ids), size):
        part = ids[i : i + size]
        yield part[0], part[-1]
