"""Insights at scale: one district's hotspots and hour-of-week pattern over 90 days.

On PostgreSQL holding ``--count`` synthetic reports (10 million by default, made with
``generate-reports`` into a database of their own), this times the computation Qurb does
(the daily counts, then Gi* and the exact tests) against DuckDB computing the same answer from
the same reports exported to Parquet, in the same run, and checks that the two answers are
identical. It also times PostgreSQL counting straight from the reports table, to show what the
daily counts buy. Targets: under 1 s, and within 3 times DuckDB.

    python bench/insights.py [--count 10000000] [--database postgres://…/qurb_bench] [--smoke]

The database is created if missing and reused when it already holds the reports.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/qurb_bench"
SMOKE_DB = "postgres://postgres@127.0.0.1:5432/qurb_bench_smoke"  # never the big one
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `bench.reference`


def _timed(fn: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    fn()  # warm: caches of boundaries and hexagon shapes, the database's buffers
    times = []
    result = None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return times, result


def _dashboard_times(district: Any, runs: int) -> dict[int, float]:
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from qurb.accounts.models import User

    setup_test_environment()
    client = Client()
    user = User.objects.get(username="analyst")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    session = client.session
    session["otp_device_id"] = device.persistent_id if device else ""
    session.save()
    out = {}
    for days in (90, 730):
        query = {"area": f"d{district.pk}", "days": str(days)}

        def page(query: dict[str, str] = query) -> None:
            response = client.get("/staff/insights/", query)
            if response.status_code != 200:
                raise RuntimeError(f"dashboard answered {response.status_code}")

        times, _ = _timed(page, runs)
        out[days] = statistics.median(times)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000_000)
    parser.add_argument("--database", default=os.environ.get("QURB_BENCH_DATABASE", DEFAULT_DB))
    parser.add_argument("--days", type=int, default=730, help="history spread over this many days")
    parser.add_argument("--runs", type=int, default=7)
    from bench.smoke import add_smoke

    add_smoke(parser, count=3_000, runs=2, database=SMOKE_DB)
    args = parser.parse_args()
    from bench.database import ensure_database

    ensure_database(args.database)
    os.environ["DATABASE_URL"] = args.database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qurb.config.settings")
    import django

    django.setup()
    import duckdb
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count

    from bench.reference import duckdb_picture, export_parquet
    from qurb.areas.models import Area
    from qurb.demo.services import demo_load
    from qurb.insights.selectors import HexStat, Picture, district_picture, last_days
    from qurb.reports.models import Report
    from qurb.reports.rollup import NOT_COUNTED_STATUSES, parent_sql
    from qurb.reports.synthetic import generate_reports

    call_command("migrate", interactive=False, verbosity=0)
    if not Area.objects.exists():
        demo_load()
    have = Report.objects.filter(is_synthetic=True).count()
    if have != args.count:
        print(f"generating {args.count:,} synthetic reports over {args.days} days…")
        with connection.cursor() as cursor:  # synthetic rows have no photos, notes or history
            cursor.execute("DELETE FROM reports_report WHERE is_synthetic")
        started = time.perf_counter()

        def progress(done: int, total: int) -> None:
            rate = done / (time.perf_counter() - started)
            sys.stderr.write(f"\r  {done:,}/{total:,} ({rate:,.0f} reports/s)")

        generate_reports(count=args.count, days=args.days, progress=progress)
        took = time.perf_counter() - started
        sys.stderr.write("\n")
        print(f"  written with daily counts in {took:.0f} s ({args.count / took:,.0f} reports/s)")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE reports_report")
            cursor.execute("VACUUM ANALYZE reports_cellday")
            cursor.execute("VACUUM ANALYZE reports_hourday")
    period = last_days(90)
    busiest = (
        Report.objects.filter(seen_on__gte=period.since, seen_on__lte=period.until)
        .values("district_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    if busiest is None:
        print("no report in the last 90 days")
        return 1
    district = Area.objects.get(pk=busiest["district_id"])
    print(
        f"\nreports: {Report.objects.count():,}; district {district.code} ({district.name_fr}) "
        f"holds {busiest['n']:,} of them from {period.since} to {period.until}"
    )

    with tempfile.TemporaryDirectory() as tmp:
        parquet = Path(tmp) / "reports.parquet"
        started = time.perf_counter()
        rows = export_parquet(parquet)
        print(
            f"exported {rows:,} rows to Parquet in {time.perf_counter() - started:.1f} s "
            f"({parquet.stat().st_size / 1e6:.0f} MB)"
        )
        con = duckdb.connect()

        pg_times, ours = _timed(lambda: district_picture(district, period), args.runs)
        duck_times, theirs = _timed(
            lambda: duckdb_picture(con, parquet, district, period), args.runs
        )

        def raw() -> Picture:
            from qurb.insights.selectors import hotspot_analysis, study_area

            cell = parent_sql("h3_cell", settings.HOTSPOT_H3_RESOLUTION)
            excluded = ", ".join(["%s"] * len(NOT_COUNTED_STATUSES))
            where = f"district_id = %s AND seen_on BETWEEN %s AND %s AND status NOT IN ({excluded})"
            params: list[Any] = [
                district.pk,
                period.since,
                period.until,
                *sorted(NOT_COUNTED_STATUSES),
            ]
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {cell}, count(*) FROM reports_report WHERE {where} GROUP BY 1",  # noqa: S608
                    params,
                )
                counts = dict(cursor.fetchall())
                cursor.execute(
                    "SELECT hour_of_week, count(*) FROM reports_report "  # noqa: S608
                    f"WHERE {where} AND hour_of_week IS NOT NULL GROUP BY 1",
                    params,
                )
                hours = np.zeros(168, dtype=np.int64)
                for h, n in cursor.fetchall():
                    hours[h] = n
            return Picture(
                district.pk, period, "", hotspot_analysis(counts, study_area(district)), hours
            )

        raw_times, straight = _timed(raw, args.runs)

    same = ours.hexes == theirs.hexes and np.array_equal(ours.hours, theirs.hours)
    same_raw = ours.hexes == straight.hexes and np.array_equal(ours.hours, straight.hours)
    pg = statistics.median(pg_times)
    duck = statistics.median(duck_times)
    hot: list[HexStat] = ours.hotspots
    print(
        f"\nanswer: {ours.total:,} reports in {len(ours.hexes):,} hexagons, {len(hot)} hotspots; "
        f"busiest hour of the week {int(np.argmax(ours.hours))} ({int(ours.hours.max()):,} reports)"
    )
    print(f"identical results (PostgreSQL vs DuckDB): {'yes' if same else 'NO'}")
    print(f"identical results (daily counts vs reports table): {'yes' if same_raw else 'NO'}")
    print(f"\n{'':34}{'median':>10}{'best':>10}{'worst':>10}")
    for label, times in (
        ("Qurb on PostgreSQL (daily counts)", pg_times),
        ("DuckDB on Parquet (reference)", duck_times),
        ("PostgreSQL, reports table", raw_times),
    ):
        print(
            f"{label:34}{statistics.median(times) * 1000:>8.1f}ms{min(times) * 1000:>8.1f}ms"
            f"{max(times) * 1000:>8.1f}ms"
        )
    ratio = pg / duck
    print(f"\nratio Qurb / DuckDB: {ratio:.2f}")
    print("\nthe whole dashboard page for that district (hexagons, hours, trends, schools, patrol")
    print("windows), signed in as the demo analyst:")
    for days, seconds in _dashboard_times(district, runs=3).items():
        print(f"  last {days} days: {seconds * 1000:.0f} ms (median of 3, after one warm-up)")
    ok_time = pg < 1.0
    ok_ratio = ratio <= 3.0
    print(f"target < 1 s: {'PASS' if ok_time else 'FAIL'} ({pg * 1000:.0f} ms)")
    print(f"target <= 3x DuckDB: {'PASS' if ok_ratio else 'FAIL'} ({ratio:.2f}x)")
    if args.smoke:  # tiny sizes: only a wrong answer fails
        return 0 if same and same_raw else 1
    return 0 if same and same_raw and ok_time and ok_ratio else 1


if __name__ == "__main__":
    sys.exit(main())
