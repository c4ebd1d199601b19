"""Synthetic reports for scale: marked, inside districts, clustered, with school and night
peaks."""

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command

from qurb.reports.models import Report

pytestmark = pytest.mark.django_db


def test_generate_reports_in_bulk() -> None:
    before = Report.objects.count()
    out = StringIO()
    call_command("generate_reports", count=3000, seed=7, stdout=out, stderr=StringIO())
    made = Report.objects.filter(is_synthetic=True)
    assert made.count() == 3000
    assert Report.objects.count() == before + 3000
    assert "3,000 synthetic reports" in out.getvalue()
    rows = list(made.values("category", "district__type__code", "created_at", "lat", "lon"))
    # Every report in a district, every category present, shares roughly as configured.
    assert {r["district__type__code"] for r in rows} == {"district"}
    shares = Counter(r["category"] for r in rows)
    assert len(shares) == 10
    assert shares["drugs"] > shares["hooliganism"] * 2
    # Hours: school exits and evenings busier than the small hours.
    hours = Counter(r["created_at"].astimezone().hour for r in rows)
    assert hours[17] > 2 * hours[4]
    # Clustered: the busiest 1% of ~100 m cells hold far more than 1% of the reports.
    cells = Counter((round(r["lat"] * 1000), round(r["lon"] * 1000)) for r in rows)
    top = sum(n for _cell, n in cells.most_common(max(1, len(cells) // 100)))
    assert top > 0.05 * len(rows)
    # Marked, never mistaken for residents' reports.
    assert all(code.startswith("S-") for code in made.values_list("tracking_code", flat=True))
