"""The report form without a map or GPS: a neighbourhood from the list stands for a point in it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import reverse
from shapely.geometry import Point, shape

from qurb.areas.models import Area, Boundary
from qurb.areas.selectors import area_point, forget_place_index
from qurb.reports.models import Report
from tests.reports.conftest import sent_report
from tests.reports.test_intake import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_index() -> Iterator[None]:
    forget_place_index()
    yield
    forget_place_index()


def without_point(**extra: object) -> dict[str, object]:
    data = form_data(0, 0, **extra)
    data["lat"] = data["lon"] = ""
    return data


def test_form_lists_the_neighbourhoods_with_a_point_each() -> None:
    sector = Area.objects.get(code="032310107-S1")
    html = Client().get(reverse("reports:new"), HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    option = html.split(f'<option value="{sector.pk}"', 1)[1].split("</option>", 1)[0]
    lat, lon = area_point(sector.pk) or (0, 0)
    assert f'data-lat="{lat:.6f}"' in option
    assert f'data-lon="{lon:.6f}"' in option
    assert sector.name_ar in option
    assert 'for="id_area"' in html
    # The search box waits for the script; the list works without it.
    assert '<div id="place-search-box" hidden>' in html
    assert 'href="#place-alternatives"' in html  # "can't use the map?"
    assert 'id="place-alternatives"' in html


def test_a_neighbourhood_from_the_list_places_the_report_inside_it() -> None:
    sector = Area.objects.get(code="032310101-S2")
    response = Client().post(
        reverse("reports:new"), without_point(area=sector.pk, idempotency_key="list-1")
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    report = sent_report(response)
    assert report.area == sector
    assert report.district.code == "032310101"
    boundary = Boundary.objects.get(area=sector, generation__active=True)
    assert shape(boundary.geometry).contains(Point(report.lon, report.lat))


def test_a_point_wins_over_the_list(medina_point: tuple[float, float]) -> None:
    agdal_sector = Area.objects.get(code="032310101-S2")
    data = form_data(*medina_point, area=agdal_sector.pk, idempotency_key="both")
    response = Client().post(reverse("reports:new"), data)
    assert response.status_code == 302
    assert sent_report(response).district.code == "032310107"


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("ar", "ابحث عن المكان باسمه"),
        ("fr", "cherchez le lieu par son nom"),
        ("en", "search for the place by its name"),
    ],
)
def test_no_place_at_all_says_how_to_give_one(language: str, words: str) -> None:
    before = Report.objects.count()
    response = Client().post(
        reverse("reports:new"),
        without_point(description="Des motos roulent trop vite la nuit"),
        HTTP_ACCEPT_LANGUAGE=language,
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert words in body
    assert 'href="#id_area"' in body  # the error links to the list
    assert "Des motos roulent trop vite la nuit" in body
    assert Report.objects.count() == before


def test_half_a_point_or_an_unknown_area_is_refused() -> None:
    before = Report.objects.count()
    client = Client()
    half = without_point()
    half["lat"] = 34.06
    response = client.post(reverse("reports:new"), half, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "both the latitude and the longitude" in response.content.decode()
    for area in ("999999", "-3", "abc", "1" * 40):
        response = client.post(
            reverse("reports:new"), without_point(area=area), HTTP_ACCEPT_LANGUAGE="en"
        )
        assert response.status_code == 400, area
        assert "Report a concern" in response.content.decode()
    assert Report.objects.count() == before
