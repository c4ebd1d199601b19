"""Open data (aggregates only, small counts withheld, spreadsheet formulas neutralised, a
dictionary and a licence) and the yearly district report, computed from the data."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from qurb.accounts.models import User
from qurb.areas.models import Area
from qurb.engagement.services import priority_action_add, priority_set
from qurb.insights.yearly import yearly_report
from qurb.reports.models import Report
from tests.insights.conftest import plant, uniform_points

pytestmark = pytest.mark.django_db
MEDINA = "032310107"


def _rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode())))


def test_open_data_is_aggregated_suppressed_and_safe() -> None:
    medina = Area.objects.get(code=MEDINA)
    hood = Area.objects.filter(parent=medina).order_by("code").first()
    assert hood is not None
    Report.objects.all().delete()
    rng = np.random.default_rng(1)
    today = timezone.localdate()
    plant(
        medina, uniform_points(hood, 7, rng), days=[today] * 7, hours=[None] * 7, category="theft"
    )
    plant(
        medina, uniform_points(hood, 2, rng), days=[today] * 2, hours=[None] * 2, category="drugs"
    )
    chief = User.objects.get(username="chief.medina")
    priority_set(area=hood, title='=HYPERLINK("http://x")', set_on=today, actor=chief)
    index = Client().get(reverse("insights:open_data")).content.decode()
    assert "CC BY 4.0" in index
    assert (
        "Data dictionary"
        in Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("insights:open_data")).content.decode()
    )
    reports = _rows(Client().get(reverse("insights:open_data_file", args=["reports"])).content)
    mine = {r["category"]: r["reports"] for r in reports if r["neighbourhood_code"] == hood.code}
    assert mine == {"theft": "7", "drugs": "<5"}
    assert not any("tracking" in k or "text" in k for k in reports[0])  # no report-level field
    priorities = _rows(
        Client().get(reverse("insights:open_data_file", args=["priorities"])).content
    )
    assert priorities[-1]["issue"].startswith("'=")  # a formula is neutralised
    for slug in ["events", "school-sessions", "meetings"]:
        answer = Client().get(reverse("insights:open_data_file", args=[slug]))
        assert answer.status_code == 200
        assert answer["Content-Type"].startswith("text/csv")


def test_yearly_report_is_computed_from_the_data() -> None:
    medina = Area.objects.get(code=MEDINA)
    hood = Area.objects.filter(parent=medina).order_by("code").first()
    assert hood is not None
    Report.objects.all().delete()
    rng = np.random.default_rng(2)
    year = timezone.localdate().year
    march = date(year, 3, 10)
    plant(
        medina, uniform_points(hood, 6, rng), days=[march] * 6, hours=[None] * 6, category="robbery"
    )
    plant(
        medina, uniform_points(hood, 3, rng), days=[march] * 3, hours=[None] * 3, category="drugs"
    )
    chief = User.objects.get(username="chief.medina")
    priority = priority_set(
        area=hood, title="Vols à l'arraché", category="robbery", set_on=march, actor=chief
    )
    priority_action_add(
        priority=priority, description="Patrouilles", done_on=march + timedelta(days=5), actor=chief
    )
    report = yearly_report(medina, year)
    robbery = next(
        c
        for c in report.concerns
        if c.label.startswith("Robbery") or "robbery" in c.label.lower() or c.months[2] == 6
    )
    assert robbery.months[2] == 6
    drugs = [c for c in report.concerns if c is not robbery]
    assert all(c.months[2] is None for c in drugs)  # 3 is withheld
    # Beside the demo's priorities for Fès-Médina (when set this year).
    assert priority.pk in [p.pk for p, _r in report.priorities]
    assert report.reach == [] or all(r.pupils >= 0 for r in report.reach)
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("insights:yearly", args=[medina.pk, year]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Vols à l&#x27;arraché" in html
    assert "<svg" in html
    assert Client().get(reverse("insights:yearly", args=[medina.pk, year + 1])).status_code == 404


def test_chart_coordinates_are_not_written_with_a_decimal_comma() -> None:
    """French and Arabic write 1,5 where SVG needs 1.5: the charts stay unlocalised."""
    import re

    medina = Area.objects.get(code=MEDINA)
    year = timezone.localdate().year
    for language in ("ar", "fr", "en"):
        html = (
            Client(HTTP_ACCEPT_LANGUAGE=language)
            .get(reverse("insights:yearly", args=[medina.pk, year]))
            .content.decode()
        )
        assert "<rect" in html
        assert not re.search(r'(x|y|width|height)="-?\d+,\d', html), language
