"""The insights' reference answer: DuckDB on a Parquet export of the reports.

Used by ``bench/insights.py`` and by the parity test: DuckDB counts the reports per hexagon
and per hour of the week straight from the exported rows, and the same statistics
(``hotspot_analysis``) turn the counts into hotspots, so the two answers can be compared
field by field.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
from django.conf import settings
from django.db import connection

from qurb.areas.models import Area
from qurb.insights.selectors import Period, Picture, hotspot_analysis, study_area
from qurb.reports.rollup import NOT_COUNTED_STATUSES, parent_sql

COLUMNS = ["id", "district_id", "category", "status", "seen_on", "hour_of_week", "h3_cell"]
TYPES = {
    "id": "BIGINT",
    "district_id": "BIGINT",
    "category": "VARCHAR",
    "status": "VARCHAR",
    "seen_on": "DATE",
    "hour_of_week": "SMALLINT",
    "h3_cell": "BIGINT",
}


def export_parquet(path: Path) -> int:
    """Write every report's analysis columns to ``path`` (Parquet); returns the row count."""
    staging = path.with_suffix(".csv")
    names = ", ".join(COLUMNS)
    with connection.cursor() as cursor, staging.open("wb") as out:
        if connection.vendor == "postgresql":
            statement = (
                f"COPY (SELECT {names} FROM reports_report) TO STDOUT WITH (FORMAT csv, HEADER)"  # noqa: S608
            )
            with cursor.cursor.copy(statement) as copy:
                for block in copy:
                    out.write(block)
        else:
            cursor.execute(f"SELECT {names} FROM reports_report")  # noqa: S608 - fixed names
            out.write(_csv_bytes(cursor.fetchall()))
    columns = "{" + ", ".join(f"'{k}': '{v}'" for k, v in TYPES.items()) + "}"
    con = duckdb.connect()
    # Paths made here and fixed column types: nothing comes from input.
    source = f"read_csv('{staging}', header = true, columns = {columns})"
    con.execute(f"COPY (SELECT * FROM {source}) TO '{path}' (FORMAT parquet)")  # noqa: S608
    count = con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()  # noqa: S608
    staging.unlink()
    return int(count[0]) if count else 0


def _csv_bytes(rows: list[tuple[Any, ...]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return text.getvalue().encode()


def duckdb_picture(
    con: duckdb.DuckDBPyConnection,
    parquet: Path,
    district: Area,
    period: Period,
    category: str = "",
) -> Picture:
    excluded = ", ".join(f"'{s}'" for s in sorted(NOT_COUNTED_STATUSES))
    where = (
        f"district_id = {int(district.pk)} AND seen_on BETWEEN DATE '{period.since}' "
        f"AND DATE '{period.until}' AND status NOT IN ({excluded})"
    )
    params: list[Any] = []
    if category:
        where += " AND category = ?"
        params.append(category)
    cell = parent_sql("h3_cell", settings.HOTSPOT_H3_RESOLUTION)
    source = f"read_parquet('{parquet}')"
    counts = dict(
        con.execute(
            f"SELECT {cell} AS cell, count(*) FROM {source} "  # noqa: S608
            f"WHERE {where} AND h3_cell IS NOT NULL GROUP BY 1",
            params,
        ).fetchall()
    )
    hours = np.zeros(168, dtype=np.int64)
    for hour, n in con.execute(
        f"SELECT hour_of_week, count(*) FROM {source} "  # noqa: S608
        f"WHERE {where} AND hour_of_week IS NOT NULL GROUP BY 1",
        params,
    ).fetchall():
        hours[hour] = n
    return Picture(
        district_id=district.pk,
        period=period,
        category=category,
        hexes=hotspot_analysis({int(k): int(v) for k, v in counts.items()}, study_area(district)),
        hours=hours,
    )
