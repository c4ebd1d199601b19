"""The analysis columns and the daily counts stay true to the reports through every change."""

from datetime import UTC, datetime, time
from typing import Any

import h3
import pytest
from django.conf import settings

from qurb.accounts.models import User
from qurb.reports import rollup
from qurb.reports.models import CellDay, HourDay, Report
from qurb.reports.services import (
    ReportInput,
    report_merge,
    report_status_change,
    report_submit,
    report_triage_confirm,
)
from tests.reports.conftest import point_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("resolution", [0, 5, 8, 9, 10, 12, 15])
def test_parent_is_h3s_parent(resolution: int) -> None:
    for lat, lon in [(34.03, -5.0), (33.99, -4.97), (-33.9, 151.2), (64.1, -21.9)]:
        cell = h3.latlng_to_cell(lat, lon, 15)
        ours = rollup.parent_of(h3.str_to_int(cell), resolution)
        assert ours == h3.str_to_int(h3.cell_to_parent(cell, resolution))


def test_cell_range_holds_exactly_the_children() -> None:
    cell = h3.str_to_int(h3.latlng_to_cell(34.03, -5.0, 9))
    lo, hi = rollup.cell_range(cell)
    inside = [h3.str_to_int(c) for c in h3.cell_to_children(h3.int_to_str(cell), 15)][:5000:97]
    assert all(lo <= c <= hi for c in inside)
    for other in h3.grid_ring(h3.int_to_str(cell), 1):
        child = h3.str_to_int(h3.cell_to_center_child(other, 15))
        assert not lo <= child <= hi


def test_seen_follows_the_local_clock() -> None:
    # 23:30 UTC on a Sunday is 00:30 on Monday in Casablanca (UTC+1 outside Ramadan).
    received = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    seen = rollup.seen(when="now", created_at=received)
    assert (seen.on.isoformat(), seen.hour_of_week) == ("2026-11-23", 0)
    moment = rollup.seen(
        when="moment", created_at=received, occurred_at=datetime(2026, 11, 20, 16, 10, tzinfo=UTC)
    )
    assert (moment.on.isoformat(), moment.hour_of_week) == ("2026-11-20", 4 * 24 + 17)
    # Recurring on Fridays at 18h, reported on a Monday: placed on Friday.
    weekly = rollup.seen(
        when="recurring", created_at=received, recurrence_days="fridays", recurrence_from=time(18)
    )
    assert weekly.hour_of_week == 4 * 24 + 18
    assert rollup.seen(when="unknown", created_at=received).hour_of_week is None


def _snapshot() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    cells: list[tuple[object, ...]] = sorted(
        CellDay.objects.filter(n__gt=0).values_list("district_id", "day", "category", "cell", "n")
    )
    hours: list[tuple[object, ...]] = sorted(
        HourDay.objects.filter(n__gt=0).values_list(
            "district_id", "day", "category", "hour_of_week", "n"
        )
    )
    return cells, hours


def test_counts_follow_submit_reclassify_and_merge() -> None:
    lat, lon = point_in("032310107")
    cases: list[tuple[str, dict[str, Any]]] = [
        ("now", {}),
        ("unknown", {}),
        ("moment", {"occurred_at": datetime(2026, 11, 2, 21, 0, tzinfo=UTC)}),
        (
            "recurring",
            {
                "recurrence_days": "school_days",
                "recurrence_from": time(16),
                "recurrence_to": time(18),
            },
        ),
    ]
    made = [
        report_submit(
            data=ReportInput(
                category="drugs",
                description="بيع المخدرات قرب المدرسة",
                lat=lat,
                lon=lon,
                when=when,
                channel="web",
                **extra,
            )
        )[0]
        for when, extra in cases
    ]
    assert all(r.h3_cell and r.seen_on for r in made)
    assert made[1].hour_of_week is None
    assert made[3].hour_of_week is not None
    assert made[3].hour_of_week % 24 == 16
    chief = User.objects.get(username="chief.medina")
    report_triage_confirm(report=made[0], category="theft", flags=[], actor=chief)
    report_merge(duplicate=made[2], into=made[3], actor=chief)
    report_status_change(report=made[1], to_status="acknowledged", actor=chief)
    incremental = _snapshot()
    rollup.rebuild()
    assert _snapshot() == incremental
    mine = Report.objects.filter(pk__in=[r.pk for r in made])
    assert made[0].h3_cell is not None
    cell = rollup.parent_of(made[0].h3_cell, settings.HOTSPOT_H3_RESOLUTION)
    counted = CellDay.objects.filter(cell=cell, district_id=made[0].district_id)
    # The merged report no longer counts; the reclassified one counts as theft.
    assert sum(counted.filter(category="drugs").values_list("n", flat=True)) >= 2
    assert counted.filter(category="theft").exists()
    assert mine.filter(status="duplicate").count() == 1
