"""The data.police.uk-compatible surface: police.uk's paths, field names and shapes exactly,
public data only, police.uk's English unless the client asks for another language, and
Qurb's own API (/api/v1/) unchanged beside it. The published police.uk client runs against a
live server in test_policeuk_client.py."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import resolve
from django.utils import timezone
from shapely.geometry import Point, shape

from qurb.accounts.models import Association
from qurb.areas.models import Area
from qurb.areas.selectors import area_boundary, areas_at
from qurb.engagement.models import Meeting, Priority, PriorityAction
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

FORCE = "03.231"  # Fès police prefecture: an outermost area
MEKNES = "03.061"
MEDINA = "032310107"  # a district of Fès
SECTOR = "032310107-S2"  # the neighbourhood at the README's point
README_POINT = "34.0618,-4.9751"
# police.uk writes every date and time so, and its clients parse exactly this form.
POLICE_UK_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")

# The fields of each answer, as data.police.uk documents them.
FIELDS = {
    "forces": {"id", "name"},
    "force": {"id", "name", "description", "url", "telephone", "engagement_methods"},
    "neighbourhoods": {"id", "name"},
    "neighbourhood": {
        *("id", "name", "description", "url_force", "population", "contact_details"),
        *("links", "centre", "locations"),
    },
    "boundary": {"latitude", "longitude"},
    "people": {"name", "rank", "bio", "contact_details"},
    "events": {
        *("title", "description", "address", "type", "start_date", "end_date"),
        "contact_details",
    },
    "priorities": {"issue", "issue-date", "action", "action-date"},
    "locate": {"force", "neighbourhood"},
    "link": {"url", "title", "description"},
    "location": {"name", "latitude", "longitude", "postcode", "address", "type", "description"},
}


def get(path: str, **headers: str) -> Any:
    response = Client().get(path, headers=headers)
    assert response.status_code == 200, (path, response.status_code, response.content[:300])
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return response.json()


def upcoming(area: Area, title: str, *, days: int = 3, public: bool = True) -> Meeting:
    start = timezone.make_aware(
        datetime.combine(timezone.localdate() + timedelta(days=days), datetime.min.time())
    ) + timedelta(hours=18)
    return Meeting.objects.create(
        area=area,
        title_en=title,
        title_fr=title + " (fr)",
        title_ar=title + " (ar)",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        location_en="Hall",
        agenda_en="1. Lighting\n2. Schools",
        is_public=public,
    )


def test_every_answer_has_police_uks_field_names_and_shapes() -> None:
    area = Area.objects.get(code=MEDINA)
    upcoming(area, "Open meeting")
    forces = get("/api/forces")
    assert forces
    assert all(set(f) == FIELDS["forces"] for f in forces)
    assert {f["id"] for f in forces} == {FORCE, MEKNES}

    force = get(f"/api/forces/{FORCE}")
    assert set(force) == FIELDS["force"]
    assert force["id"] == FORCE
    assert force["name"] == "Fès Police Prefecture"
    assert force["telephone"] == "19"
    assert force["engagement_methods"] == []
    assert isinstance(get(f"/api/forces/{FORCE}/people"), list)

    located = get(f"/api/locate-neighbourhood?q={README_POINT}")
    assert set(located) == FIELDS["locate"]

    listed = get(f"/api/{FORCE}/neighbourhoods")
    assert listed
    assert all(set(n) == FIELDS["neighbourhoods"] for n in listed)

    hood = get(f"/api/{FORCE}/{SECTOR}")
    assert set(hood) == FIELDS["neighbourhood"]
    assert hood["id"] == SECTOR
    assert hood["population"] == "0"  # unknown, written as police.uk writes it
    assert set(hood["centre"]) == {"latitude", "longitude"}
    assert all(DECIMAL.match(v) for v in hood["centre"].values())
    assert all(set(link) == FIELDS["link"] for link in hood["links"])
    assert all(set(place) == FIELDS["location"] for place in hood["locations"])
    assert hood["url_force"].endswith(f"/neighbourhoods/{Area.objects.get(code=SECTOR).pk}/")
    # Demo areas say so, as police.uk's HTML description.
    assert hood["description"].startswith("<p>Demo data")

    boundary = get(f"/api/{FORCE}/{SECTOR}/boundary")
    assert len(boundary) > 3
    for point in boundary:
        assert set(point) == FIELDS["boundary"]
        assert isinstance(point["latitude"], str)
        assert DECIMAL.match(point["latitude"])
        assert isinstance(point["longitude"], str)
        assert DECIMAL.match(point["longitude"])

    people = get(f"/api/{FORCE}/{SECTOR}/people")
    assert people
    assert all(set(p) == FIELDS["people"] for p in people)

    events = get(f"/api/{FORCE}/{SECTOR}/events")
    assert events
    assert all(set(e) == FIELDS["events"] for e in events)
    for event in events:
        assert POLICE_UK_TIME.match(event["start_date"])
        assert POLICE_UK_TIME.match(event["end_date"])

    priorities = get(f"/api/{FORCE}/{SECTOR}/priorities")
    assert priorities
    assert all(set(p) == FIELDS["priorities"] for p in priorities)
    for priority in priorities:
        assert POLICE_UK_TIME.match(priority["issue-date"])
        assert priority["action-date"] is None or POLICE_UK_TIME.match(priority["action-date"])
        assert "issue_date" not in priority


def test_locate_neighbourhood_gives_the_force_and_the_innermost_area() -> None:
    assert get(f"/api/locate-neighbourhood?q={README_POINT}") == {
        "force": FORCE,
        "neighbourhood": SECTOR,
    }
    # The Méchouar enclave, in the hole of the Fès commune: its own district.
    found = get("/api/locate-neighbourhood?q=34.0551,-4.9946")
    assert found["force"] == FORCE
    assert found["neighbourhood"].startswith("032310103")


def test_each_listed_neighbourhood_is_found_again_at_its_centre() -> None:
    """What the list gives, the detail resolves, and locating its centre gives it back."""
    for force in (FORCE, MEKNES):
        listed = get(f"/api/{force}/neighbourhoods")
        assert len(listed) > 5
        for entry in listed:
            centre = get(f"/api/{force}/{entry['id']}")["centre"]
            q = f"{centre['latitude']},{centre['longitude']}"
            assert get(f"/api/locate-neighbourhood?q={q}") == {
                "force": force,
                "neighbourhood": entry["id"],
            }
    # Neighbourhoods are the finest areas: a district is not listed (it still resolves).
    assert MEDINA not in {n["id"] for n in get(f"/api/{FORCE}/neighbourhoods")}
    assert get(f"/api/{FORCE}/{MEDINA}")["id"] == MEDINA


def test_the_boundary_is_the_outer_ring_in_latitude_longitude_order() -> None:
    area = Area.objects.get(code=SECTOR)
    feature = area_boundary(area)
    assert feature is not None
    geometry = shape(feature["geometry"])
    largest = max(getattr(geometry, "geoms", [geometry]), key=lambda g: g.area)
    points = get(f"/api/{FORCE}/{SECTOR}/boundary")
    ring = [(float(p["longitude"]), float(p["latitude"])) for p in points]
    assert len(ring) == len(largest.exterior.coords)
    for (lon, lat), (x, y) in zip(ring, largest.exterior.coords, strict=True):
        assert abs(lon - x) < 1e-6
        assert abs(lat - y) < 1e-6
    lat, lon = (float(v) for v in README_POINT.split(","))
    assert shape({"type": "Polygon", "coordinates": [ring]}).contains(Point(lon, lat))


@pytest.mark.parametrize(
    "path",
    [
        "/api/forces/nowhere",
        "/api/forces/nowhere/people",
        "/api/nowhere/neighbourhoods",
        f"/api/{FORCE}/nowhere",
        f"/api/nowhere/{SECTOR}",
        f"/api/{MEKNES}/{SECTOR}",  # a Fès neighbourhood asked of Meknès
        f"/api/{SECTOR}/neighbourhoods",  # a neighbourhood is no force
        *(f"/api/{FORCE}/nowhere/{part}" for part in ("boundary", "people", "events")),
        f"/api/{FORCE}/nowhere/priorities",
    ],
)
def test_unknown_forces_and_neighbourhoods_answer_404_in_json(path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    "q", ["", "abc", "34.06", "95,1", "1,200", "1,2,3", "nan,1", "34,inf", "١٢,5", "1e400,1"]
)
def test_a_malformed_point_is_400_in_the_clients_language(q: str) -> None:
    response = Client().get(
        "/api/locate-neighbourhood", {"q": q}, headers={"accept-language": "fr"}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["errors"][0]["field"] == "q"
    assert "latitude,longitude" in body["detail"]


def test_a_point_outside_every_force_is_404() -> None:
    assert areas_at(lat=35.5, lon=-8.0) == []
    response = Client().get("/api/locate-neighbourhood", {"q": "35.5,-8.0"})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_invitation_only_meetings_are_never_events_whoever_asks() -> None:
    medina = Area.objects.get(code=MEDINA)
    upcoming(medina, "Open to all", days=2)
    closed = upcoming(medina, "Invited associations only", days=4, public=False)
    closed.invited.add(Association.objects.get(registration_number="DEMO-FES-0001"))
    # The district's chief and a member of the invited association see it on Qurb's pages...
    assert signed_in("association").get(f"/meetings/{closed.pk}/").status_code == 200
    closed_titles = {m.title_en for m in Meeting.objects.filter(is_public=False)}
    assert "Invited associations only" in closed_titles
    for client in (Client(), signed_in("association"), signed_in("chief.medina")):
        response = client.get(f"/api/{FORCE}/{SECTOR}/events")
        titles = {e["title"] for e in response.json()}
        # ... never on the police.uk surface, which publishes what anyone may read.
        assert "Open to all" in titles
        assert not titles & closed_titles


def test_event_times_are_local_and_online_links_are_never_given() -> None:
    medina = Area.objects.get(code=MEDINA)
    meeting = upcoming(medina, "Evening meeting")
    Meeting.objects.filter(pk=meeting.pk).update(
        mode="online", location_en="", online_url="https://meet.example.invalid/secret"
    )
    (event,) = [e for e in get(f"/api/{FORCE}/{SECTOR}/events") if e["title"] == "Evening meeting"]
    local = timezone.localtime(meeting.starts_at)
    assert event["start_date"] == local.strftime("%Y-%m-%dT%H:%M:%S")
    assert event["start_date"].endswith("T18:00:00")
    assert "secret" not in str(event)
    assert event["address"] == "Online"
    assert event["contact_details"] == {"web": f"http://testserver/meetings/{meeting.pk}/"}
    assert event["description"] == "<p>1. Lighting<br>2. Schools</p>"


def test_priorities_carry_the_latest_action_and_escape_their_text() -> None:
    medina = Area.objects.get(code=MEDINA)
    priority = Priority.objects.create(
        area=medina,
        title_en="<script>alert(1)</script> & the lanes",
        description_en="Dark lanes.\n\nNear the gate.",
        set_on=timezone.localdate() - timedelta(days=1),
    )
    fresh = {p["issue"]: p for p in get(f"/api/{FORCE}/{SECTOR}/priorities")}
    issue = "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; the lanes</p>\n\n"
    issue += "<p>Dark lanes.</p>\n\n<p>Near the gate.</p>"
    assert fresh[issue]["action"] is None
    assert fresh[issue]["action-date"] is None
    day = timezone.localdate()
    PriorityAction.objects.create(priority=priority, description_en="First", done_on=day)
    PriorityAction.objects.create(priority=priority, description_en="Second", done_on=day)
    after = {p["issue"]: p for p in get(f"/api/{FORCE}/{SECTOR}/priorities")}[issue]
    assert after["action"] == "<p>Second</p>"
    assert after["action-date"] == day.strftime("%Y-%m-%dT00:00:00")
    assert after["issue-date"] == (day - timedelta(days=1)).strftime("%Y-%m-%dT00:00:00")


def test_people_are_public_profiles_only() -> None:
    people = get(f"/api/{FORCE}/{SECTOR}/people")
    assert any(p["name"].startswith("Karim Bennani") for p in people)
    for person in people:
        # Professional contact only: the station's line or a service address.
        assert set(person["contact_details"]) <= {"email", "telephone"}
        assert person["bio"] is None or person["bio"].startswith("<p>")


@pytest.mark.parametrize(
    ("headers", "cookies", "language", "name"),
    [
        ({}, {}, "en", "Fès Police Prefecture"),  # police.uk's clients ask for nothing
        ({"accept-language": "ar"}, {}, "ar", "ولاية أمن فاس"),
        ({"accept-language": "fr-FR,fr;q=0.9"}, {}, "fr", "Préfecture de police de Fès"),
        ({"accept-language": "de, fr;q=0.5"}, {}, "fr", "Préfecture de police de Fès"),
        ({"accept-language": "de"}, {}, "en", "Fès Police Prefecture"),
        ({"accept-language": "ar;q=0, en;q=0.1"}, {}, "en", "Fès Police Prefecture"),
        ({}, {"qurb_language": "ar"}, "ar", "ولاية أمن فاس"),
    ],
)
def test_english_unless_the_client_asks_for_another_language(
    headers: dict[str, str], cookies: dict[str, str], language: str, name: str
) -> None:
    client = Client()
    for key, value in cookies.items():
        client.cookies[key] = value
    response = client.get(f"/api/forces/{FORCE}", headers=headers)
    assert response.json()["name"] == name
    assert response["Content-Language"] == language
    assert "Accept-Language" in response["Vary"]


def test_head_is_answered_and_writes_are_refused() -> None:
    client = Client()
    for path in ("/api/forces", f"/api/{FORCE}/{SECTOR}/priorities"):
        head = client.head(path)
        assert head.status_code == 200
        assert head.content == b""
        assert client.post(path).status_code == 405
        assert client.delete(path).status_code == 405


def test_qurbs_own_api_keeps_its_paths() -> None:
    sector = Area.objects.get(code=SECTOR)
    assert resolve("/api/v1/areas/locate").namespace == "api-v1"
    assert resolve("/api/locate-neighbourhood").namespace == "policeuk"
    detail = get(f"/api/v1/neighbourhoods/{sector.pk}")
    assert detail["code"] == SECTOR
    assert detail["demo"] is True
    priorities = get(f"/api/v1/neighbourhoods/{sector.pk}/priorities")
    assert priorities
    assert "issue_date" in priorities[0]
    assert Client().get("/api/v1/openapi.json").status_code == 200
    assert get("/api/v1/areas/locate?lat=34.0618&lon=-4.9751")[-1]["code"] == SECTOR
