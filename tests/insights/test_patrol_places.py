"""Patrol windows and hotspots are named as people know the place (the neighbourhood holding
the hexagon's centre, and the nearest school or place), in the page's language; their links
open the triage queue on that hexagon only."""

from __future__ import annotations

import csv
import io
import json
import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import translation

from qurb.areas.models import Area, Place, PlaceKind
from qurb.areas.selectors import areas_at
from qurb.insights import hexes
from qurb.insights.selectors import hexagon_name, patrol_windows
from qurb.reports.models import Category, Report
from tests.conftest import signed_in
from tests.insights.test_hotspots import _cluster, _noise

pytestmark = pytest.mark.django_db

H3_INDEX = re.compile(r"\b8[0-9a-f]{14}\b")


def _school_near(lat: float, lon: float, metres: float) -> Place:
    innermost = areas_at(lat=lat, lon=lon)[-1]
    return Place.objects.create(
        kind=PlaceKind.SCHOOL,
        code=f"TEST-SCHOOL-{metres:.0f}",
        lat=lat + metres / 111_320,
        lon=lon,
        area=innermost,
        name_ar="مدرسة الاختبار",
        name_fr="École du test",
        name_en="Test school",
    )


def test_a_hexagon_is_named_by_its_neighbourhood_and_nearest_place(district: Area) -> None:
    Report.objects.filter(district=district).delete()
    _noise(district, 600, 3)
    cell, (lat, lon) = _cluster(district, 45, 4)
    neighbourhood = areas_at(lat=lat, lon=lon)[-1]
    with translation.override("fr"):
        alone = patrol_windows(district)
        assert alone
        assert alone[0].cell == cell
        assert alone[0].label == neighbourhood.name_fr  # no known place nearby yet
        assert not H3_INDEX.search(alone[0].label)
        assert alone[0].h3 == hexes.to_str(cell)
    _school_near(lat, lon, 900)  # too far to name the hexagon
    with translation.override("fr"):
        assert hexagon_name(cell, district) == neighbourhood.name_fr
    _school_near(lat, lon, 120)
    for language, school in (
        ("fr", "École du test"),
        ("ar", "مدرسة الاختبار"),
        ("en", "Test school"),
    ):
        with translation.override(language):
            windows = [w for w in patrol_windows(district) if w.kind == "hexagon"]
            assert windows
            assert all(w.cell == cell for w in windows)
            name = getattr(neighbourhood, f"name_{language}") or neighbourhood.name_ar
            assert windows[0].label == hexagon_name(cell, district)
            assert name in windows[0].label, windows[0].label
            assert school in windows[0].label, windows[0].label


def test_a_hexagon_outside_every_area_keeps_its_index() -> None:
    import h3

    far = int(h3.str_to_int(h3.latlng_to_cell(-45.0, 170.0, 9)))  # the Southern Ocean
    assert hexagon_name(far) == hexes.to_str(far)


def test_dashboard_and_exports_name_places_and_link_to_the_hexagon(district: Area) -> None:
    Report.objects.filter(district=district).delete()
    _noise(district, 600, 3)
    cell, (lat, lon) = _cluster(district, 45, 4)
    _school_near(lat, lon, 120)
    h3_index = hexes.to_str(cell)
    client = signed_in("analyst")
    query = {"area": f"d{district.pk}", "days": "90"}
    page = client.get(reverse("insights:dashboard"), query, HTTP_ACCEPT_LANGUAGE="fr")
    body = page.content.decode()
    windows = body.split('id="patrol-windows"')[1].split("</table>")[0]
    links = [
        (href, re.sub(r"<[^>]+>", "", text))
        for href, text in re.findall(r'<a href="([^"]+)" title="[^"]*">(.*?)</a>', windows)
    ]
    assert links, windows
    for href, text in links:
        assert unescape(href).startswith(reverse("reports:queue") + f"?cell={h3_index}&since=")
        assert "École du test" in text
        assert not H3_INDEX.search(text)
    with translation.override("fr"):
        drugs = str(Category("drugs").label)
    assert drugs in windows  # the category by its name, not its code
    assert '<span class="tag">drugs' not in windows
    hotspots = body.split('id="hotspots"')[1].split("</table>")[0]
    assert f"?cell={h3_index}&amp;since=" in hotspots
    assert "École du test" in hotspots
    arabic = client.get(reverse("insights:dashboard"), query, HTTP_ACCEPT_LANGUAGE="ar")
    assert "مدرسة الاختبار" in arabic.content.decode().split('id="patrol-windows"')[1]
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(
                    reverse("insights:patrol", args=["csv"]), query, HTTP_ACCEPT_LANGUAGE="en"
                ).content.decode()
            )
        )
    )
    hexagon = next(r for r in rows if r["kind"] == "hexagon")
    assert hexagon["cell"] == h3_index
    assert "Test school" in hexagon["place"]
    assert all(r["cell"] == "" for r in rows if r["kind"] == "school")
    geo = json.loads(
        client.get(
            reverse("insights:patrol", args=["geojson"]), query, HTTP_ACCEPT_LANGUAGE="en"
        ).content
    )
    cells = {f["properties"]["cell"] for f in geo["features"]}
    assert h3_index in cells
    ics = client.get(reverse("insights:patrol", args=["ics"]), query).content.decode()
    assert f"hexagon-{h3_index}" in ics  # a stable identifier, whatever the language
