"""An Open311 client from PyPI (georeport 0.3.1) against a real Qurb server, in JSON and XML.

georeport reads but cannot submit, so the request is POSTed with ``requests`` exactly as an
Open311 client would (form-encoded, ``api_key`` in the form). georeport never sends the
``api_key`` on reads: Qurb then shows only the status of a request, and refuses the list,
which holds the partner's own requests; with the key added, the same client reads them back.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import georeport.georeport  # type: ignore[import-untyped]
import pytest
import requests
import xmltodict  # type: ignore[import-untyped]
from georeport import GeoReport

from qurb.reports.models import Category, Flag, When
from tests.open311.conftest import LiveOpen311
from tests.open311.helpers import DESCRIPTION, FORMATS, MEDINA
from tests.reports.conftest import point_in

# Read only: the demo boundaries of the test database are the server's (both ran `qurb demo`).
pytestmark = pytest.mark.django_db

JURISDICTION = "qurb.ma"  # the server's default (its environment drops every QURB_ variable)
TIMEOUT = 30


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


def post_request(live: LiveOpen311, fmt: str) -> dict[str, Any]:
    lat, lon = point_in(MEDINA)
    response = requests.post(
        f"{live.root}/requests.{fmt}",
        data={
            "jurisdiction_id": JURISDICTION,
            "api_key": live.key,
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
        },
        headers={"Idempotency-Key": f"georeport-{fmt}"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 201, response.text
    if fmt == "json":
        (row,) = response.json()
        return dict(row)
    return dict(xmltodict.parse(response.content)["service_requests"]["request"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_georeport_client_round_trip(
    open311_server: LiveOpen311, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = open311_server
    client = GeoReport(live.root, jurisdiction=JURISDICTION, output_format=fmt)

    services = client.get_service_list()
    assert [s["service_code"] for s in services] == Category.values
    assert {s["metadata"] for s in services} == ({True} if fmt == "json" else {"true"})

    attributes = attributes_of(client.get_service_definition("drugs"), fmt)
    assert values_of(attributes["flags"], fmt) == Flag.values
    assert values_of(attributes["when"], fmt) == When.values

    created = post_request(live, fmt)
    code = created["service_request_id"]
    assert code.startswith("Q-")
    assert created["token"]

    # Without the key: the status of a request, never what it says or where.
    status = client.get_service_request(code)
    assert status["service_request_id"] == code
    assert status["status"] == "open"
    assert status["service_code"] == "drugs"
    assert not {"description", "lat", "long", "address"} & set(status)
    with pytest.raises(requests.HTTPError) as refused:
        client.get_service_requests(service_request_id=code)
    assert refused.value.response is not None
    assert refused.value.response.status_code == 403

    # The partner's own reads carry its key: georeport has no way to send it, so add it.
    def get_with_key(url: str, params: dict[str, str] | None = None) -> requests.Response:
        return requests.get(url, params={**(params or {}), "api_key": live.key}, timeout=TIMEOUT)

    monkeypatch.setattr(georeport.georeport, "requests", SimpleNamespace(get=get_with_key))
    detail = client.get_service_request(code)
    assert detail["description"] == DESCRIPTION
    assert detail["address"] == "Bab Boujloud"
    assert float(detail["lat"]) == pytest.approx(point_in(MEDINA)[0])

    listed = as_list(client.get_service_requests())
    assert code in [r["service_request_id"] for r in listed]
    (only,) = as_list(client.get_service_requests(service_request_id=code))
    assert only["service_request_id"] == code
    assert only["status"] == "open"
    assert as_list(client.get_service_requests(service_code="drugs", status="open"))

    # Never the reporter: not on the reads, whatever the format.
    for answer in (status, detail, listed):
        text = str(answer)
        assert "Khadija" not in text
        assert "612345678" not in text

    # A retry with the same Idempotency-Key is the same request.
    assert post_request_retry(live, fmt) == code


def post_request_retry(live: LiveOpen311, fmt: str) -> str:
    lat, lon = point_in(MEDINA)
    response = requests.post(
        f"{live.root}/requests.json",
        data={
            "api_key": live.key,
            "service_code": "drugs",
            "lat": lat,
            "long": lon,
            "description": DESCRIPTION,
        },
        headers={"Idempotency-Key": f"georeport-{fmt}"},
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
