from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from qurb.areas.models import Area
from qurb.engagement.models import Meeting

pytestmark = pytest.mark.django_db


def test_locate_lists_areas_outermost_first() -> None:
    data = Client().get("/api/v1/areas/locate", {"lat": "34.0618", "lon": "-4.9751"}).json()
    assert [a["type"] for a in data] == ["prefecture", "district", "neighbourhood"]
    assert data[0]["code"] == "03.231"
    assert data[1]["names"]["fr"] == "Fès-Médina"


def test_locate_respects_the_mechouar_hole() -> None:
    data = Client().get("/api/v1/areas/locate", {"lat": "34.0551", "lon": "-4.9946"}).json()
    assert [a["code"] for a in data][:2] == ["03.231", "032310103"]


def test_locate_at_sea_is_empty() -> None:
    assert Client().get("/api/v1/areas/locate", {"lat": "35.5", "lon": "-8.0"}).json() == []


@pytest.mark.parametrize(
    ("params", "lang", "fragment"),
    [
        ({"lat": "abc", "lon": "1"}, "en", "lat: must be a number"),
        ({"lat": "95", "lon": "1"}, "en", "lat: must be at most 90"),
        ({"lon": "1"}, "en", "lat: this value is required"),
        ({"lat": "abc", "lon": "1"}, "fr", "doit être un nombre"),
    ],
)
def test_bad_locate_input_is_explained(params: dict[str, str], lang: str, fragment: str) -> None:
    response = Client().get("/api/v1/areas/locate", params, headers={"accept-language": lang})
    assert response.status_code == 422
    assert any(fragment in error["message"] for error in response.json()["errors"])


def test_neighbourhood_endpoints() -> None:
    area = Area.objects.get(code="032310107-S1")
    client = Client()
    base = f"/api/v1/neighbourhoods/{area.pk}"
    detail = client.get(base).json()
    assert detail["code"] == area.code
    assert detail["demo"] is True
    assert [a["code"] for a in detail["ancestors"]] == ["03.231", "032310107"]
    boundary = client.get(f"{base}/boundary")
    assert boundary["Content-Type"] == "application/geo+json"
    assert boundary.json()["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    people = client.get(f"{base}/people").json()
    assert {p["rank"] for p in people}
    assert all("username" not in p for p in people)
    assert any("Youssef" in p["name"] for p in people)
    # The demo's two priorities are set on the district: its neighbourhoods show them.
    priorities = client.get(f"{base}/priorities").json()
    assert sorted(p["issue_fr"] for p in priorities) == [
        "Vente de drogue aux portes des écoles (démo)",
        "Vols avec violence dans les ruelles sombres près des remparts (démo)",
    ]
    assert client.get("/api/v1/neighbourhoods/999999").status_code == 404


def test_events_lists_upcoming_public_meetings_only() -> None:
    area = Area.objects.get(code="032310107")
    now = timezone.now()
    Meeting.objects.create(
        area=area,
        title_en="Next",
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=1, hours=2),
        location_en="Hall",
    )
    Meeting.objects.create(
        area=area,
        title_en="Past",
        starts_at=now - timedelta(days=3),
        ends_at=now - timedelta(days=3) + timedelta(hours=2),
        location_en="Hall",
    )
    Meeting.objects.create(
        area=area,
        title_en="Private",
        starts_at=now + timedelta(days=2),
        ends_at=now + timedelta(days=2, hours=1),
        location_en="Hall",
        is_public=False,
    )
    events = (
        Client()
        .get(f"/api/v1/neighbourhoods/{area.pk}/events", headers={"accept-language": "en"})
        .json()
    )
    # Beside the demo's own next meeting: the test's upcoming public one, not the others.
    ours = {"Next", "Past", "Private"}
    assert [e["title"] for e in events if e["title"] in ours] == ["Next"]


def test_openapi_schema_documents_the_endpoints() -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    assert {
        "/api/v1/areas/locate",
        "/api/v1/neighbourhoods/{area_id}",
        "/api/v1/neighbourhoods/{area_id}/boundary",
        "/api/v1/neighbourhoods/{area_id}/people",
        "/api/v1/neighbourhoods/{area_id}/events",
        "/api/v1/neighbourhoods/{area_id}/priorities",
    } <= paths
