"""The PostgreSQL database a benchmark runs in (its own, beside the server's others)."""

from __future__ import annotations

import psycopg


def ensure_database(url: str, *, fresh: bool = False) -> None:
    """Create the database named at the end of ``url`` if it is missing (dropped and made
    again first when ``fresh``), connecting to the server's ``postgres`` database."""
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
