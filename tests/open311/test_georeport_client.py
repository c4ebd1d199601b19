"""An Open311 client from PyPI (georeport 0.3.1, unchanged) against a real Qurb server, in
JSON and XML.

georeport reads without a key, as the spec allows: Qurb answers with the public subset of
each request. It cannot submit nor turn a token into an id (0.3.1 has neither), so those two
calls are made with ``requests`` exactly as an Open311 client makes them (form-encoded,
``api_key`` in the form), with the demo partner key that `qurb demo` prints. A partner reads
its own requests in full with its key: georeport cannot send one, so the test adds it.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import georeport.georeport  # type: ignore[import-untyped]
import pytest
import requests
import xmltodict  # type: ignore[import-untyped]
from georeport import GeoReport

from qurb.demo.reports import DEMO_REPORTS, demo_api_key
from qurb.reports.models import Category, Flag, When
from tests.open311.conftest import LiveOpen311
from tests.open311.helpers import DESCRIPTION, FORMATS, MEDINA, off_centre
from tests.reports.conftest import point_in

# Read only: the demo boundaries of the test database are the server's (both ran `qurb demo`).
pytestmark = pytest.mark.django_db

JURISDICTION = "qurb.ma"  # the server's default (its environment drops every QURB_ variable)
TIMEOUT = 30
PUBLIC_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "address",
    "lat",
    "long",
}
# Texts no public read may carry: the demo's reports and the one this test submits.
TEXTS = [DESCRIPTION, *(text for *_rest, text, _target in DEMO_REPORTS)]


def as_list(value: Any) -> list[Any]:
    """xmltodict gives one element as a dict and several as a list."""
    return value if isinstance(value, list) else [value]


def attributes_of(definition: dict[str, Any], fmt: str) -> dict[str, dict[str, Any]]:
    found = definition["attributes"]
    if fmt == "xml":
        found = as_list(found["attribute"])
    return {a["code"]: a for a in found}


def values_of(attribute: dict[str, Any], fmt: str) -> list[str]:
    found = attribute["values"]
    if fmt == "xml":
        found = as_list(found["value"])
    return [v["key"] for v in found]


def post_request(live: LiveOpen311, fmt: str, **extra: Any) -> dict[str, Any]:
    """POST requests.{fmt} with the demo partner key, at a point of the Médina that is not its
    neighbourhood's public point."""
    lat, lon = off_centre(MEDINA)
    data = {
        "jurisdiction_id": JURISDICTION,
        "api_key": demo_api_key(),
        "service_code": "drugs",
        "lat": lat,
        "long": lon,
        "address_string": "Bab Boujloud",
        "description": DESCRIPTION,
        "attribute[flags][]": ["near_school", "minor_involved"],
        "attribute[when]": "recurring",
        "attribute[recurrence_days]": "school_days",
        "first_name": "Khadija",
        "phone": "+212612345678",
        "media_url": "http://example.invalid/photo.jpg",
        **extra,
    }
    response = requests.post(
        f"{live.root}/requests.{fmt}",
        data={k: v for k, v in data.items() if v is not None},
        headers={"Idempotency-Key": f"georeport-{fmt}-{extra.get('service_code', 'drugs')}"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 201, response.text
    if fmt == "json":
        (row,) = response.json()
        return dict(row)
    return dict(xmltodict.parse(response.content)["service_requests"]["request"])


def request_id_from_token(live: LiveOpen311, fmt: str, token: str) -> str:
    """GET tokens/{token}.{fmt}, without a key, as a client of the spec does."""
    response = requests.get(
        f"{live.root}/tokens/{token}.{fmt}",
        params={"jurisdiction_id": JURISDICTION},
        timeout=TIMEOUT,
    )
    assert response.status_code == 200, response.text
    if fmt == "json":
        (row,) = response.json()
    else:
        row = xmltodict.parse(response.content)["service_requests"]["request"]
    assert row["token"] == token
    return str(row["service_request_id"])


def assert_public(rows: list[dict[str, Any]]) -> None:
    """Each row is the public subset: those fields, a neighbourhood, no text of anyone's."""
    assert rows
    for row in rows:
        assert set(row) == PUBLIC_FIELDS, row
        assert row["service_code"] in Category.values
        assert row["status"] in {"open", "closed"}
        assert row["address"]
        assert row["requested_datetime"][10:19] == "T00:00:00"  # the day, never the hour
    text = str(rows)
    for secret in (*TEXTS, "Boujloud", "Khadija", "612345678", "example.invalid"):
        assert secret not in text, secret


@pytest.mark.parametrize("fmt", FORMATS)
def test_georeport_client_round_trip(
    open311_server: LiveOpen311, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = open311_server
    client = GeoReport(live.root, jurisdiction=JURISDICTION, output_format=fmt)

    services = client.get_service_list()
    assert [s["service_code"] for s in services] == Category.values
    assert {s["metadata"] for s in services} == ({True} if fmt == "json" else {"true"})
    for service in services:  # in Arabic (the default), separated by ASCII commas
        assert "،" not in service["keywords"]
        assert len(service["keywords"].split(", ")) >= 1

    attributes = attributes_of(client.get_service_definition("drugs"), fmt)
    assert values_of(attributes["flags"], fmt) == Flag.values
    assert values_of(attributes["when"], fmt) == When.values

    created = post_request(live, fmt)
    code = created["service_request_id"]
    assert code.startswith("Q-")
    assert request_id_from_token(live, fmt, created["token"]) == code
    # Without a description (optional in the spec): the category and the place are enough.
    bare = post_request(live, fmt, description=None, service_code="road")
    assert bare["service_request_id"].startswith("Q-")

    # Without a key, anyone lists the public subset of the requests: the demo's and ours.
    listed = as_list(client.get_service_requests())
    assert_public(listed)
    assert len(listed) >= 2
    assert all(r["service_request_id"].startswith("R-") for r in listed)
    assert "harassment" not in {r["service_code"] for r in listed}  # withheld
    first = listed[0]
    assert client.get_service_request(first["service_request_id"]) == first
    (again,) = as_list(client.get_service_requests(service_request_id=first["service_request_id"]))
    assert again == first
    drugs_open = as_list(client.get_service_requests(service_code="drugs", status="open"))
    assert_public(drugs_open)
    assert {(r["service_code"], r["status"]) for r in drugs_open} == {("drugs", "open")}

    # Whoever holds the tracking code reads the same subset of that request, by the code.
    status = client.get_service_request(code)
    assert_public([status])
    assert status["service_request_id"] == code
    assert (status["status"], status["service_code"]) == ("open", "drugs")
    lat, lon = off_centre(MEDINA)
    assert abs(float(status["lat"]) - lat) + abs(float(status["long"]) - lon) > 0.0004
    (mine,) = as_list(client.get_service_requests(service_request_id=code))
    assert mine == status

    # The partner's own reads carry its key: georeport has no way to send it, so add it.
    def get_with_key(url: str, params: dict[str, str] | None = None) -> requests.Response:
        params = {**(params or {}), "api_key": demo_api_key()}
        return requests.get(url, params=params, timeout=TIMEOUT)

    monkeypatch.setattr(georeport.georeport, "requests", SimpleNamespace(get=get_with_key))
    detail = client.get_service_request(code)
    assert detail["description"] == DESCRIPTION
    assert detail["address"] == "Bab Boujloud"
    assert float(detail["lat"]) == pytest.approx(lat)

    keyed = as_list(client.get_service_requests())
    assert code in [r["service_request_id"] for r in keyed]
    (only,) = as_list(client.get_service_requests(service_request_id=code))
    assert only["service_request_id"] == code
    assert only["status"] == "open"
    assert as_list(client.get_service_requests(service_code="drugs", status="open"))

    # Never the reporter: not on the reads, whatever the format.
    for answer in (status, detail, keyed, listed):
        text = str(answer)
        assert "Khadija" not in text
        assert "612345678" not in text

    # A retry with the same Idempotency-Key is the same request.
    assert post_request_retry(live, fmt) == code
    # Another partner's key (`qurb apikey create`) reads none of these as its own.
    other = requests.get(f"{live.root}/requests.json", {"api_key": live.key}, timeout=TIMEOUT)
    assert (other.status_code, other.json()) == (200, [])


def post_request_retry(live: LiveOpen311, fmt: str) -> str:
    lat, lon = point_in(MEDINA)
    response = requests.post(
        f"{live.root}/requests.json",
        data={
            "api_key": demo_api_key(),
            "service_code": "drugs",
            "lat": lat,
            "long": lon,
            "description": DESCRIPTION,
        },
        headers={"Idempotency-Key": f"georeport-{fmt}-drugs"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 200, response.text
    return str(response.json()[0]["service_request_id"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_georeport_client_sees_errors_as_http_errors(open311_server: LiveOpen311, fmt: str) -> None:
    elsewhere = GeoReport(open311_server.root, jurisdiction="city.example", output_format=fmt)
    with pytest.raises(requests.HTTPError) as wrong_place:
        elsewhere.get_service_list()
    assert wrong_place.value.response is not None
    assert wrong_place.value.response.status_code == 404
    client = GeoReport(open311_server.root, output_format=fmt)
    with pytest.raises(requests.HTTPError) as unknown:
        client.get_service_request("Q-2222-3333-4444-5555")
    assert unknown.value.response is not None
    assert unknown.value.response.status_code == 404
    refused = requests.post(
        f"{open311_server.root}/requests.{fmt}",
        data={"api_key": "qurb_nope", "service_code": "drugs"},
        timeout=TIMEOUT,
    )
    assert refused.status_code == 403
