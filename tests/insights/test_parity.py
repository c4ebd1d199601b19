"""PostgreSQL (or SQLite) through the daily counts, and DuckDB on a Parquet export of the
reports, give the same hotspots and hour-of-week pattern."""

from pathlib import Path

import duckdb
import numpy as np
import pytest
from bench.reference import duckdb_picture, export_parquet

from qurb.areas.models import Area
from qurb.insights.selectors import district_picture, last_days
from qurb.reports.synthetic import generate_reports

pytestmark = pytest.mark.django_db


def test_duckdb_on_parquet_gives_the_same_answer(district: Area, tmp_path: Path) -> None:
    generate_reports(count=6000, seed=3, days=120)
    parquet = tmp_path / "reports.parquet"
    assert export_parquet(parquet) > 6000
    con = duckdb.connect()
    for category in ("", "drugs"):
        ours = district_picture(district, last_days(90), category)
        theirs = duckdb_picture(con, parquet, district, last_days(90), category)
        assert ours.total > 0
        assert ours.hexes == theirs.hexes
        assert np.array_equal(ours.hours, theirs.hours)
    assert district_picture(district, last_days(90)).hotspots  # something to compare
