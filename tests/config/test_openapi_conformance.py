"""The JSON API answers what its OpenAPI document says, on every operation (schemathesis).

1. Generated requests: each operation of ``/api/v1/openapi.json`` gets valid and invalid
   requests (a bounded, derandomized number each) sent to the real WSGI application. Every
   answer must be one of the operation's declared statuses, with the declared content type
   and a body that matches the declared schema, and never a server error. The operations
   that take a partner key get the demo partner's; about half the generated ids, tracking
   codes and points are moved onto the demo's, so the successful answers are checked too.
2. Known requests: for every status each operation declares, one request that gets it,
   checked the same way; and nothing is declared that no request gets.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.test import Client as WsgiClient

from qurb.areas.models import Area
from qurb.config.wsgi import application
from qurb.demo.reports import demo_api_key
from qurb.engagement.models import Meeting, Priority
from qurb.reports.limits import Limit
from qurb.reports.models import Report

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# A point in Fès-Médina (the README's), inside a district Qurb serves.
MEDINA_POINT = (34.0618, -4.9751)
MEDINA = "032310107"


@pytest.fixture(autouse=True)
def _keep_test_connection() -> Iterator[None]:
    """Calling the WSGI app directly would close the test's database connection after each
    request (as it should in production); Django's own test client disconnects the same
    handlers."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _takes_partner_key(operation: Any) -> bool:
    return any(
        p.get("in") == "header" and p.get("name", "").lower() == "x-api-key"
        for p in operation.definition.raw.get("parameters", [])
    )


@cache
def _demo_area_ids() -> tuple[int, ...]:
    return tuple(Area.objects.order_by("pk").values_list("pk", flat=True))


@cache
def _demo_tracking_codes() -> tuple[str, ...]:
    return tuple(Report.objects.order_by("pk").values_list("tracking_code", flat=True))


def _valid_point(values: Any) -> bool:
    return (
        isinstance(values, dict)
        and all(isinstance(values.get(k), int | float) for k in ("lat", "lon"))
        and not any(isinstance(values.get(k), bool) for k in ("lat", "lon"))
        and -90 <= values["lat"] <= 90
        and -180 <= values["lon"] <= 180
    )


def _towards_demo(case: Any) -> None:
    """Move about half of the well-formed generated values onto the demo's data (chosen by
    the value itself, so the run stays derandomized); the rest stay unknown (404) or outside
    every district (400)."""
    area_id = (case.path_parameters or {}).get("area_id")
    if isinstance(area_id, int) and not isinstance(area_id, bool) and area_id % 2 == 0:
        ids = _demo_area_ids()
        case.path_parameters["area_id"] = ids[(area_id // 2) % len(ids)]
    code = (case.path_parameters or {}).get("tracking_code")
    if isinstance(code, str) and len(code) % 2 == 0:
        codes = _demo_tracking_codes()
        case.path_parameters["tracking_code"] = codes[len(code) % len(codes)]
    for values in (case.query, case.body):
        if _valid_point(values) and int(abs(values["lat"])) % 2 == 0:
            values["lat"], values["lon"] = MEDINA_POINT


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case: Any) -> None:
    if _takes_partner_key(case.operation):
        case.headers = {**(case.headers or {}), "X-Api-Key": demo_api_key()}
    _towards_demo(case)
    case.call_and_validate(checks=CHECKS)


# --- known requests, one for each declared status ---------------------------------------------

NUL_QUERY = {"q": "a\x00b"}
REPORT: dict[str, Any] = {
    "category": "drugs",
    "description": "Des jeunes vendent du haschich devant l'école tous les jours",
    "lat": MEDINA_POINT[0],
    "lon": MEDINA_POINT[1],
}
KEY = {"X-Api-Key": "<demo>"}


def _known() -> list[tuple[str, str, int, dict[str, Any]]]:
    """(method, path, status, request): every status of every operation, as documented."""
    area = {"area_id": "<medina>"}
    known: list[tuple[str, str, int, dict[str, Any]]] = [
        (
            "GET",
            "/api/v1/areas/locate",
            200,
            {"query": {"lat": MEDINA_POINT[0], "lon": MEDINA_POINT[1]}},
        ),
        ("GET", "/api/v1/areas/locate", 400, {"query": {"lat": 34, "lon": -5, **NUL_QUERY}}),
        ("GET", "/api/v1/areas/locate", 422, {"query": {"lat": "north", "lon": -5}}),
        ("GET", "/api/v1/reports/challenge", 200, {}),
        ("GET", "/api/v1/reports/challenge", 400, {"query": NUL_QUERY}),
        ("GET", "/api/v1/reports", 200, {"headers": KEY}),
        ("GET", "/api/v1/reports", 400, {"headers": KEY, "query": NUL_QUERY}),
        ("GET", "/api/v1/reports", 401, {}),
        ("GET", "/api/v1/reports", 422, {"headers": KEY, "query": {"limit": 0}}),
        ("GET", "/api/v1/reports/{tracking_code}", 200, {"path": {"tracking_code": "<demo>"}}),
        (
            "GET",
            "/api/v1/reports/{tracking_code}",
            400,
            {"path": {"tracking_code": "<demo>"}, "query": NUL_QUERY},
        ),
        ("GET", "/api/v1/reports/{tracking_code}", 404, {"path": {"tracking_code": "NONE-0000"}}),
        ("POST", "/api/v1/reports", 201, {"headers": KEY, "body": REPORT}),
        (
            "POST",
            "/api/v1/reports",
            200,
            {"headers": {**KEY, "Idempotency-Key": "again"}, "body": REPORT, "twice": True},
        ),
        ("POST", "/api/v1/reports", 400, {"headers": KEY, "body": REPORT | {"lat": 0, "lon": 0}}),
        ("POST", "/api/v1/reports", 401, {"headers": {"X-Api-Key": "qurb_nope"}, "body": REPORT}),
        ("POST", "/api/v1/reports", 413, {"headers": KEY, "body": REPORT, "oversized": True}),
        ("POST", "/api/v1/reports", 422, {"headers": KEY, "body": REPORT | {"description": "vol"}}),
        ("POST", "/api/v1/reports", 429, {"headers": KEY, "body": REPORT, "limited": True}),
    ]
    for tail in ("", "/boundary", "/people", "/events", "/priorities"):
        path = "/api/v1/neighbourhoods/{area_id}" + tail
        known += [
            ("GET", path, 200, {"path": area}),
            ("GET", path, 400, {"path": area, "query": NUL_QUERY}),
            ("GET", path, 404, {"path": {"area_id": 2**62}}),
            ("GET", path, 422, {"path": {"area_id": "one"}}),
        ]
    return known


def _declared() -> set[tuple[str, str, int]]:
    document = json.loads(WsgiClient(application).get("/api/v1/openapi.json").get_data())
    return {
        (method.upper(), path, int(status))
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        for status in operation["responses"]
    }


def test_every_declared_status_is_answered_and_only_those() -> None:
    assert {(m, p, s) for m, p, s, _r in _known()} == _declared()


def _demo_values(request: dict[str, Any], path: str) -> dict[str, Any]:
    """The request's placeholders replaced with the demo's ids, tracking code and key."""
    medina = Area.objects.get(code=MEDINA)
    area_id = medina.pk
    if path.endswith("/priorities"):  # an area that has some
        area_id = Priority.objects.order_by("pk").values_list("area_id", flat=True)[0]
    elif path.endswith("/events"):
        area_id = Meeting.objects.order_by("pk").values_list("area_id", flat=True)[0]
    code = Report.objects.filter(district=medina).order_by("pk")[0].tracking_code
    demo: dict[Any, Any] = {"<medina>": area_id, "<demo>": code}
    key: dict[Any, Any] = {"<demo>": demo_api_key()}
    return {
        "path": {k: demo.get(v, v) for k, v in (request.get("path") or {}).items()},
        "headers": {k: key.get(v, v) for k, v in (request.get("headers") or {}).items()},
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "status", "request_"),
    _known(),
    ids=[f"{m} {p} {s}" for m, p, s, _r in _known()],
)
def test_each_documented_status(
    method: str, path: str, status: int, request_: dict[str, Any], settings: Any
) -> None:
    if request_.get("limited"):
        settings.REPORT_LIMIT_PER_KEY = Limit(0, 10**9)
    values = _demo_values(request_, path)
    kwargs: dict[str, Any] = {
        "path_parameters": values["path"],
        "headers": values["headers"],
        "query": request_.get("query"),
    }
    if "body" in request_:
        kwargs["body"] = request_["body"]
        kwargs["media_type"] = "application/json"
    case = schema[path][method].Case(**kwargs)
    if request_.get("twice"):
        case.call()
    if request_.get("oversized"):
        # A body announced larger than the limit is refused before anything reads it.
        oversized = WsgiClient(application).open(
            case.formatted_path,
            method=method,
            data=json.dumps(request_["body"]),
            content_type="application/json",
            headers=values["headers"],
            environ_overrides={"CONTENT_LENGTH": str(10**9)},
        )
        assert oversized.status_code == status
        case.validate_response(oversized, checks=CHECKS)
        return
    response = case.call_and_validate(checks=CHECKS)
    assert response.status_code == status, response.text[:300]


@pytest.mark.django_db
def test_the_description_is_refused_below_what_the_document_says() -> None:
    """The document's ``minLength`` is the service's: 9 characters are refused (422, said
    in the caller's language), 10 are stored."""
    operation = schema["/api/v1/reports"]["POST"]
    document = json.loads(WsgiClient(application).get("/api/v1/openapi.json").get_data())
    body = document["components"]["schemas"]["ReportIn"]["properties"]["description"]
    assert body["minLength"] == 10
    headers = {"X-Api-Key": demo_api_key(), "Accept-Language": "fr"}
    short = operation.Case(headers=headers, body=REPORT | {"description": "x" * 9})
    refused = short.call_and_validate(checks=CHECKS)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "description"
    assert "au moins 10 caractères" in refused.json()["errors"][0]["message"]
    enough = operation.Case(headers=headers, body=REPORT | {"description": "Vol de sac"})
    assert enough.call_and_validate(checks=CHECKS).status_code == 201


@pytest.mark.django_db
def test_the_guards_answer_the_api_in_its_error_shape_and_the_callers_language() -> None:
    """A path id past the 64-bit range (404 from the guard, before any view), a NUL character
    (400), an over-large body (413): JSON ``{detail, code, errors}``, in French here."""
    wsgi = WsgiClient(application)
    french = {"Accept-Language": "fr"}
    answers = {
        404: wsgi.get(f"/api/v1/neighbourhoods/{10**30}", headers=french),
        400: wsgi.get("/api/v1/reports/challenge?q=%00", headers=french),
        413: wsgi.post(
            "/api/v1/reports",
            headers=french,
            environ_overrides={"CONTENT_LENGTH": str(10**9)},
        ),
    }
    details = {404: "Introuvable.", 400: "caractère", 413: "trop volumineuse"}
    for status, response in answers.items():
        assert response.status_code == status
        assert response.headers["Content-Type"].startswith("application/json")
        body = json.loads(response.get_data())
        assert set(body) == {"detail", "code", "errors"}, body
        assert details[status] in body["detail"], body
