import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from qurb.areas.models import Area
from qurb.engagement.models import Meeting, Priority

pytestmark = pytest.mark.django_db

MEDINA_SECTOR = "032310107-S1"


def page(client: Client, url: str, lang: str | None = None) -> str:
    response = client.get(url, headers={"accept-language": lang} if lang else None)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_home_is_arabic_and_right_to_left_by_default() -> None:
    html = page(Client(), "/")
    assert '<html lang="ar" dir="rtl">' in html
    assert "حيي" in html or "الحي" in html
    assert 'href="tel:19"' in html
    # Pick-from-a-list works without JavaScript: every demo neighbourhood is an option.
    assert html.count("<option value=") >= Area.objects.filter(type__code="neighbourhood").count()


@pytest.mark.parametrize(
    ("lang", "direction", "phrase"),
    [("fr", "ltr", "Mon quartier"), ("en", "ltr", "My neighbourhood")],
)
def test_language_can_be_switched_on_every_page(lang: str, direction: str, phrase: str) -> None:
    client = Client()
    response = client.post(reverse("set_language"), {"language": lang, "next": "/"})
    assert response.status_code == 302
    html = page(client, "/")
    assert f'<html lang="{lang}" dir="{direction}">' in html
    assert phrase in html
    area = Area.objects.get(code=MEDINA_SECTOR)
    assert f'lang="{lang}"' in page(client, area.get_absolute_url())


def test_locating_a_point_leads_to_its_neighbourhood() -> None:
    response = Client().get("/", {"lat": "34.0618", "lon": "-4.9751"})
    assert response.status_code == 302
    area = Area.objects.get(pk=int(re.findall(r"/neighbourhoods/(\d+)/", response["Location"])[0]))
    assert area.parent is not None
    assert area.parent.code == "032310107"


def test_point_outside_every_area_says_so() -> None:
    response = Client().get("/", {"lat": "35.5", "lon": "-8.0"})
    assert response.status_code == 404
    assert 'role="alert"' in response.content.decode()


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("fr", "La latitude doit être un nombre"),
        ("en", "Latitude must be a number"),
        ("ar", "خط العرض"),
    ],
)
def test_bad_coordinates_are_explained_in_the_users_language(lang: str, message: str) -> None:
    response = Client().get("/", {"lat": "abc", "lon": "-4.97"}, headers={"accept-language": lang})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_picking_from_the_list_leads_to_the_neighbourhood() -> None:
    area = Area.objects.get(code=MEDINA_SECTOR)
    response = Client().get("/", {"area": str(area.pk)})
    assert response.status_code == 302
    assert response["Location"] == area.get_absolute_url()
    assert Client().get("/", {"area": "999999"}).status_code == 404


def test_neighbourhood_page_shows_district_officers_and_emergency_number() -> None:
    area = Area.objects.get(code=MEDINA_SECTOR)
    html = page(Client(), area.get_absolute_url(), lang="fr")
    assert "Fès-Médina" in html  # the district
    assert "Youssef El Amrani" in html
    assert "Karim Bennani" in html
    assert "tel:19" in html
    assert "démo" in html  # generated areas are labelled
    # The whole loop: the next meeting, the last one held, the priorities and what was done.
    assert "Réunion publique mensuelle avec les habitants de Fès-Médina (démo)" in html
    assert "Réunions passées" in html
    assert "Vente de drogue aux portes des écoles (démo)" in html
    assert "Patrouilles à pied chaque jour" in html
    # Machine-readable twins are discoverable from <head>.
    head = html.split("</head>")[0]
    assert 'rel="alternate" type="application/geo+json"' in head
    assert 'rel="alternate" type="text/calendar"' in head


def test_meetings_and_priorities_appear_when_set() -> None:
    area = Area.objects.get(code="032310107")
    start = timezone.now() + timedelta(days=3)
    Meeting.objects.create(
        area=area,
        title_fr="Réunion de quartier",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        location_fr="Maison de quartier",
    )
    Priority.objects.create(
        area=area, title_fr="Trafic de drogue près de l'école", set_on=timezone.localdate()
    )
    sector = Area.objects.get(code=MEDINA_SECTOR)
    html = page(Client(), sector.get_absolute_url(), lang="fr")
    assert "Réunion de quartier" in html
    assert "Trafic de drogue" in html
    ics = page(Client(), reverse("neighbourhoods:meetings_ics", args=[sector.pk]))
    assert "BEGIN:VEVENT" in ics
    assert "Réunion de quartier" in ics


def test_boundary_is_geojson() -> None:
    area = Area.objects.get(code=MEDINA_SECTOR)
    response = Client().get(reverse("neighbourhoods:boundary", args=[area.pk]))
    assert response["Content-Type"] == "application/geo+json"
    data = response.json()
    assert data["type"] == "Feature"
    assert data["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    collection = Client().get(reverse("neighbourhoods:map_areas")).json()
    assert {f["id"] for f in collection["features"]} >= {MEDINA_SECTOR}


def test_unknown_neighbourhood_is_404() -> None:
    assert Client().get("/neighbourhoods/999999/").status_code == 404


def test_security_headers_are_set() -> None:
    response = Client().get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp
    assert "object-src 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_footer_keeps_the_openstreetmap_attribution() -> None:
    html = page(Client(), "/", lang="en")
    assert "OpenStreetMap contributors" in html
    assert "ODbL" in html
