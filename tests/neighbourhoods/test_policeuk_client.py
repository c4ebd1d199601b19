"""data.police.uk's published Python client (police-api-client 1.2.2, from PyPI), unchanged,
against a real Qurb server on the demo data: forces, a force, locate-neighbourhood, a
neighbourhood, its boundary, people, events and priorities.

The client is pointed at Qurb with its own ``base_url`` setting and nothing else. It parses
times with ``%Y-%m-%dT%H:%M:%S`` and reads ``issue-date``/``action-date`` by those names, so a
shape that drifts from police.uk's fails here with the client's own error. Any HTTP error
the client meets is raised (as ``police_api.APIError``) and fails the test, except where
police.uk's own answer is an error: a point outside every force (the client returns None)
and an unknown neighbourhood (404).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from police_api import APIError, PoliceAPI  # type: ignore[import-untyped]
from police_api.forces import Force  # type: ignore[import-untyped]
from police_api.neighbourhoods import Neighbourhood  # type: ignore[import-untyped]
from shapely.geometry import Point, Polygon

from tests.browser.server import ServerError, running_qurb

FORCE = "03.231"  # Fès police prefecture
SECTOR = "032310107-S2"  # Fès-Médina, sector 2: the README's point
README_POINT = (34.0618, -4.9751)
TIMEOUT = 30


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PoliceAPI]:
    """The client, configured with the live server's address as its ``base_url``."""
    try:
        with running_qurb(tmp_path_factory.mktemp("policeuk-data")) as server:
            yield PoliceAPI(base_url=f"{server.url}/api/", timeout=TIMEOUT)
    except ServerError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(autouse=True)
def _fresh_client_caches() -> None:
    """The client caches answers per path in class attributes, across instances."""
    Force._resource_cache.clear()
    Neighbourhood._resource_cache.clear()


def test_forces_and_a_force(api: PoliceAPI) -> None:
    forces = {f.id: f.name for f in api.get_forces()}
    assert forces == {"03.231": "Fès Police Prefecture", "03.061": "Meknès Police Prefecture"}
    force = api.get_force(FORCE)
    assert force.name == "Fès Police Prefecture"
    assert force.telephone == "19"
    assert force.url.endswith("/")
    assert "/neighbourhoods/" in force.url
    assert force.engagement_methods == []
    assert isinstance(force.senior_officers, list)
    neighbourhoods = force.neighbourhoods
    assert SECTOR in {n.id for n in neighbourhoods}
    assert [n.name for n in neighbourhoods] == sorted(n.name for n in neighbourhoods)


def test_locate_and_read_a_neighbourhood(api: PoliceAPI) -> None:
    hood = api.locate_neighbourhood(*README_POINT)
    assert hood is not None
    assert (hood.force.id, hood.id) == (FORCE, SECTOR)
    assert hood.name == "Fès-Médina – sector 2 (demo)"
    assert hood.population == 0
    assert hood.url_force.endswith("/")
    assert hood.description.startswith("<p>Demo data")
    centre = Point(float(hood.centre["longitude"]), float(hood.centre["latitude"]))
    # The boundary, as the client gives it: (latitude, longitude) floats.
    boundary = hood.boundary
    assert len(boundary) > 3
    assert all(isinstance(v, float) for p in boundary for v in p)
    polygon = Polygon([(lon, lat) for lat, lon in boundary])
    assert polygon.is_valid
    assert polygon.contains(Point(README_POINT[1], README_POINT[0]))
    assert polygon.contains(centre)
    # The same neighbourhood, asked for by force and id.
    again = api.get_neighbourhood(FORCE, SECTOR)
    assert again == hood
    assert again.name == hood.name


def test_people_events_and_priorities(api: PoliceAPI) -> None:
    hood = api.get_neighbourhood(FORCE, SECTOR)
    officers = hood.officers
    # The district chief of Fès-Médina serves every sector of the district.
    assert any(o.name.startswith("Karim Bennani") for o in officers)
    for officer in officers:
        assert officer.rank
        assert isinstance(officer.contact_details, dict)

    events = hood.events
    titles = [e.title for e in events]
    assert "Monthly public meeting with the residents of Fès-Médina (demo)" in titles
    # The demo's invitation-only meeting is for its invitees: never published here.
    assert not any("by invitation" in t for t in titles)
    for event in events:
        assert isinstance(event.start_date, datetime)
        assert event.type == "meeting"
        assert event.address

    priorities = hood.priorities
    issues = [p.issue for p in priorities]
    assert any("Drug dealing at school gates (demo)" in i for i in issues)
    assert any("Street robberies in the dark lanes" in i for i in issues)
    dates = [p.issue_date for p in priorities]
    assert all(isinstance(d, datetime) for d in dates)
    assert dates == sorted(dates, reverse=True)
    assert all(p.action_date is None or isinstance(p.action_date, datetime) for p in priorities)
    assert any(p.action for p in priorities)


def test_what_police_uk_answers_with_an_error(api: PoliceAPI) -> None:
    # At sea off Larache: no force covers it; the client turns police.uk's 404 into None.
    assert api.locate_neighbourhood(35.5, -8.0) is None
    with pytest.raises(APIError) as raised:
        _ = api.get_neighbourhood(FORCE, "no-such-neighbourhood").name
    assert raised.value.status_code == 404
    with pytest.raises(APIError) as raised:
        _ = api.get_force("no-such-force").name
    assert raised.value.status_code == 404
