"""The staff dashboard, its exports, and the public figures."""

import csv
import io
import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.conf import settings
from django.urls import reverse
from icalendar import Calendar

from qurb.areas.models import Area
from qurb.insights.exports import csv_cell
from qurb.insights.selectors import public_counts, today
from qurb.reports.models import Report
from tests.conftest import signed_in
from tests.insights.conftest import plant, spread_days, uniform_points
from tests.insights.test_hotspots import _cluster, _noise

pytestmark = pytest.mark.django_db


def test_dashboard_for_a_chief_shows_hotspot_heatmap_and_windows(district: Area) -> None:
    Report.objects.filter(district=district).delete()
    _noise(district, 600, 3)
    _cluster(district, 45, 4)
    client = signed_in("analyst")
    page = client.get(reverse("insights:dashboard"), {"area": f"d{district.pk}", "days": "90"})
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="hotspots"' in body
    assert 'id="heatmap"' in body
    assert 'id="patrol-windows"' in body
    assert body.count("<rect") >= 168  # the hour-of-week grid
    hot = [f for f in page.context["geo"]["features"] if f["properties"].get("hot")]
    assert hot


def test_dashboard_is_for_staff_in_scope(district: Area) -> None:
    chief = signed_in("chief.medina")  # Fès Médina only
    assert chief.get(reverse("insights:dashboard")).status_code == 200
    elsewhere = chief.get(reverse("insights:dashboard"), {"area": f"d{district.pk}"})
    assert district.name not in elsewhere.content.decode().split("<h1>")[1].split("</h1>")[0]
    assert signed_in("resident").get(reverse("insights:dashboard")).status_code == 404
    assert signed_in("inspector").get(reverse("insights:dashboard")).status_code == 404
    anonymous = signed_in("resident").get(reverse("insights:patrol", args=["csv"]))
    assert anonymous.status_code == 404


def test_prefecture_view_combines_its_districts(district: Area) -> None:
    page = signed_in("analyst").get(
        reverse("insights:dashboard"), {"area": f"p{district.parent_id}", "days": "365"}
    )
    assert page.status_code == 200
    assert district.parent is not None
    assert district.parent.name in page.content.decode()


def test_patrol_exports_parse(district: Area) -> None:
    Report.objects.filter(district=district).delete()
    _noise(district, 600, 3)
    _cluster(district, 45, 4)
    client = signed_in("analyst")
    query = {"area": f"d{district.pk}"}
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(reverse("insights:patrol", args=["csv"]), query).content.decode()
            )
        )
    )
    assert rows
    assert rows[0]["rank"] == "1"
    assert rows[0]["start"] == "16:00"
    geo = json.loads(client.get(reverse("insights:patrol", args=["geojson"]), query).content)
    assert geo["features"][0]["geometry"]["type"] == "Polygon"
    assert "drugs" in geo["features"][0]["properties"]["categories"]
    ics = client.get(reverse("insights:patrol", args=["ics"]), query)
    assert ics["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(ics.content).walk("VEVENT")
    assert len(events) == len(rows)
    # Written in UTC: 16:00 in Fès whatever the offset of the day.
    assert events[0].decoded("dtstart").astimezone(ZoneInfo(settings.TIME_ZONE)).hour == 16


def test_public_figures_withhold_small_counts(district: Area) -> None:
    Report.objects.filter(district=district).delete()
    rng = np.random.default_rng(1)
    points = uniform_points(district, 40, rng)
    plant(district, points[:37], days=spread_days(37, rng, span=20), hours=[None] * 37)
    plant(
        district,
        points[37:],
        days=[today() - timedelta(days=1)] * 3,
        hours=[None] * 3,
        category="theft",
    )
    counts = [
        c for c in public_counts() if c.area.parent_id == district.pk or c.area.pk == district.pk
    ]
    assert any(c.count is None for c in counts)
    assert all(c.count is None or c.count >= 5 for c in counts)
    page = signed_in("resident").get(
        reverse("insights:figures"), {"district": district.pk}, HTTP_ACCEPT_LANGUAGE="en"
    )
    body = page.content.decode()
    assert "fewer than 5" in body
    data = signed_in("resident").get(
        reverse("insights:figures_data", args=["csv"]), {"district": district.pk}
    )
    lines = list(csv.DictReader(io.StringIO(data.content.decode())))
    assert {"neighbourhood_code", "month", "category", "reports"} <= set(lines[0])
    assert any(line["reports"] == "<5" for line in lines)
    assert all(line["reports"] == "<5" or int(line["reports"]) >= 5 for line in lines)
    geo = json.loads(
        signed_in("resident")
        .get(reverse("insights:figures_data", args=["geojson"]), {"district": district.pk})
        .content
    )
    # Nothing finer than a neighbourhood: one outline per neighbourhood, no point.
    codes = {f["properties"]["code"] for f in geo["features"]}
    assert codes <= set(Area.objects.filter(parent=district).values_list("code", flat=True)) | {
        district.code
    }
    assert all(f["geometry"]["type"] in {"Polygon", "MultiPolygon"} for f in geo["features"])


def test_public_figures_page_without_a_district_and_unknown_district() -> None:
    client = signed_in("resident")
    assert client.get(reverse("insights:figures")).status_code == 200
    assert client.get(reverse("insights:figures"), {"district": "999999"}).status_code == 404
    assert client.get(reverse("insights:figures_data", args=["xlsx"])).status_code == 404


def test_csv_cells_cannot_run_as_formulas() -> None:
    assert csv_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert csv_cell("@SUM") == "'@SUM"
    assert csv_cell("Agdal") == "Agdal"
    assert csv_cell(5) == 5


def test_hours_for_one_neighbourhood(district: Area) -> None:
    Report.objects.filter(district=district).delete()
    _cluster(district, 30, 5)
    hood = Report.objects.filter(district=district).values_list("area", flat=True).first()
    assert hood is not None
    client = signed_in("analyst")
    page = client.get(reverse("insights:dashboard"), {"area": f"d{district.pk}", "hood": str(hood)})
    assert page.context["hood"].pk == hood
    assert page.context["heat"]["max"] > 0
    other = Area.objects.filter(parent=district).exclude(pk=hood).first()
    assert other is not None
    empty = client.get(
        reverse("insights:dashboard"), {"area": f"d{district.pk}", "hood": str(other.pk)}
    )
    assert empty.context["heat"]["max"] == 0
    # A neighbourhood outside the chosen district is ignored.
    elsewhere = Area.objects.exclude(parent=district).filter(parent__type__code="district").first()
    assert elsewhere is not None
    page = client.get(
        reverse("insights:dashboard"), {"area": f"d{district.pk}", "hood": str(elsewhere.pk)}
    )
    assert page.context["hood"] is None
