"""HEAD wherever GET is answered (RFC 9110 §9.3.2): the same status and headers, no body.

1. Every URL pattern of the project, filled with the demo's ids (as the hostile-input sweep
   fills them), signed out and signed in as an administrator: HEAD answers GET's status and
   headers, without a body.
2. The WSGI application itself (no test client removing the body): a page, a feed, a CSV
   file, a streamed file and the JSON API send no body to HEAD, and the Content-Length of
   the GET.
3. A live server, over a real socket with ``http.client``: the same for a few addresses.
"""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from werkzeug.test import Client as WsgiClient

from qurb.alerts.models import AlertCase
from qurb.areas.models import Area
from qurb.communication.models import Article, Event
from qurb.config.wsgi import application
from qurb.insights.opendata import DATASETS
from qurb.reports.models import Report
from tests.browser.server import QurbServer, ServerError, running_qurb
from tests.conftest import signed_in
from tests.web.test_hostile_input import base_values, real_values, routes

MEDINA = "032310107"
# Headers whose value may differ between two requests for the same thing (a fresh token,
# a length that follows it); their presence is still compared.
VOLATILE = {"content-length", "set-cookie", "content-security-policy", "etag", "expires", "date"}
# Files, feeds and the API: each must answer 200 to GET and HEAD in the sweep.
MUST_ANSWER = [
    "/",
    "/news/feed.atom",
    "/alerts/feed.atom",
    "/sitemap.xml",
    "/figures/data.csv",
    "/figures/data.geojson",
    "/areas.geojson",
    "/events/calendar.ics",
    "/open311/v2/services.json",
    "/open311/v2/requests.json",
    "/api/v1/openapi.json",
    "/api/v1/reports/challenge",
    "/staff/insights/patrol.csv",
    "/staff/insights/patrol.ics",
    "/staff/insights/patrol.geojson",
]
MUST_ANSWER_WITH_IDS = [
    "/neighbourhoods/{area_id}/",
    "/neighbourhoods/{area_id}/boundary.geojson",
    "/neighbourhoods/{area_id}/meetings.ics",
    "/api/v1/neighbourhoods/{area_id}",
    "/api/v1/neighbourhoods/{area_id}/boundary",
]


def _headers(response: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in response.headers.items()}


def _differences(url: str, get: Any, head: Any) -> list[str]:
    problems = []
    if head.status_code != get.status_code:
        problems.append(f"{url}: HEAD {head.status_code}, GET {get.status_code}")
    got, headed = _headers(get), _headers(head)
    if set(got) != set(headed):
        problems.append(f"{url}: headers differ {sorted(set(got) ^ set(headed))}")
    for name in set(got) - VOLATILE:
        if got[name] != headed.get(name):
            problems.append(f"{url}: {name} {headed.get(name)!r}, GET {got[name]!r}")
    if head.content if not head.streaming else b"".join(head.streaming_content):
        problems.append(f"{url}: HEAD sent a body")
    return problems


def _candidates(client: Client) -> dict[str, list[str]]:
    """Real values for the slots that name things by text (several where a slot takes
    several kinds of thing): the demo's slugs, codes and public ids, and every format."""
    report = Report.objects.filter(district__code=MEDINA).order_by("pk")[0]
    alert = AlertCase.objects.filter(status="published").order_by("pk").first()
    forces = client.get("/api/forces").json()
    force = forces[0]["id"] if forces else "x"
    hoods = client.get(f"/api/{force}/neighbourhoods").json() if forces else []
    return {
        "fmt": ["csv", "geojson", "ics", "json", "xml"],
        "slug": [
            *Article.objects.order_by("pk").values_list("slug", flat=True)[:1],
            *Event.objects.order_by("pk").values_list("slug", flat=True)[:1],
            *(d.slug for d in DATASETS),
        ],
        "public_id": [alert.public_id] if alert else ["x"],
        "code": [report.tracking_code],
        "tracking_code": [report.tracking_code],
        "service_request_id": [report.tracking_code, str(report.public_id)],
        "service_code": [report.category],
        "force": [force],
        "neighbourhood": [hoods[0]["id"] if hoods else "x"],
    }


def _urls(real: dict[str, str], candidates: dict[str, list[str]]) -> Iterator[str]:
    """Each URL pattern, filled with the demo's values (each candidate of each slot)."""
    for route in routes():
        base = base_values(route, real)
        variants = [base]
        for name in route.names:
            if name in candidates:
                variants = [v | {name: c} for v in variants for c in candidates[name]]
        yield from dict.fromkeys(route.fill(v) for v in variants)


@pytest.mark.django_db
@pytest.mark.parametrize("who", [None, "admin"])
def test_head_answers_as_get_on_every_url(who: str | None, settings: Any) -> None:
    settings.REPORT_POW_MAX_NUMBER = 300
    real = real_values()
    client = signed_in(who) if who else Client()
    client.raise_request_exception = False
    problems: list[str] = []
    answered: dict[str, int] = {}
    for url in _urls(real, _candidates(client)):
        # HEAD first: if it changed anything, the GET after it would show it.
        head = client.head(url)
        get = client.get(url)
        answered[url] = get.status_code
        problems += _differences(url, get, head)
    assert not problems, "\n".join(problems[:40])
    must = [*MUST_ANSWER, *(u.format(**real) for u in MUST_ANSWER_WITH_IDS)]
    if who is None:
        must = [u for u in must if not u.startswith("/staff/")]
    alert = AlertCase.objects.filter(status="published").order_by("pk")[0]
    must += [f"/alerts/{alert.public_id}/", f"/alerts/{alert.public_id}/cap.xml"]
    assert {u: answered.get(u) for u in must} == dict.fromkeys(must, 200)
    assert sum(1 for s in answered.values() if s == 200) > (100 if who else 50)


def test_a_post_only_address_answers_head_405_as_it_answers_get() -> None:
    client = Client()
    assert (
        client.get("/report/challenge/").status_code
        == client.head("/report/challenge/").status_code
    )
    assert (
        client.head("/accounts/logout/").status_code == client.get("/accounts/logout/").status_code
    )


@pytest.fixture
def _keep_test_connection() -> Iterator[None]:
    """The WSGI application called directly would close the test's database connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@pytest.mark.usefixtures("_keep_test_connection")
def test_the_application_itself_sends_no_body_to_head(settings: Any) -> None:
    """Through the WSGI application, with no test client in between to drop the body."""
    settings.MEDIA_ROOT = settings.QURB_DEMO_MEDIA  # the demo alert's photo
    area = Area.objects.get(code=MEDINA)
    case = AlertCase.objects.filter(status="published").order_by("pk")[0]
    urls = [
        "/",
        "/news/feed.atom",
        "/figures/data.csv",
        f"/neighbourhoods/{area.pk}/meetings.ics",
        f"/api/v1/neighbourhoods/{area.pk}",
        "/open311/v2/services.json",
        f"/alerts/{case.public_id}/cap.xml",
        f"/alerts/{case.public_id}/photo.jpg",  # a streamed file
    ]
    wsgi = WsgiClient(application)
    for url in urls:
        get = wsgi.get(url)
        head = wsgi.head(url)
        assert (head.status_code, get.status_code) == (200, 200), url
        assert head.get_data() == b"", url
        assert head.headers["Content-Type"] == get.headers["Content-Type"], url
        if "Content-Length" in get.headers and url != "/":  # "/" carries a fresh token
            assert head.headers["Content-Length"] == get.headers["Content-Length"], url
            assert int(get.headers["Content-Length"]) == len(get.get_data()), url


# --- a live server -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[QurbServer]:
    try:
        with running_qurb(tmp_path_factory.mktemp("head-data")) as server:
            yield server
    except ServerError as exc:
        pytest.fail(str(exc), pytrace=False)


def _request(server: QurbServer, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(server.url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        connection.request(method, path, headers={"Accept-Language": "ar"})
        response = connection.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        connection.close()


def _raw_head(server: QurbServer, path: str) -> bytes:
    """What the server writes on the socket after a HEAD's headers (must be nothing)."""
    parts = urlsplit(server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(
            f"HEAD {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n".encode()
        )
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _sep, rest = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head[:200]
    return rest


def test_a_live_server_answers_head_as_get(live: QurbServer) -> None:
    located = _request(live, "GET", "/api/v1/areas/locate?lat=34.0618&lon=-4.9751")
    area_id = json.loads(located[2])[-1]["id"]
    paths = [
        "/",
        "/news/feed.atom",
        "/alerts/feed.atom",
        "/sitemap.xml",
        "/figures/data.csv",
        "/figures/data.geojson",
        f"/neighbourhoods/{area_id}/meetings.ics",
        f"/api/v1/neighbourhoods/{area_id}",
        "/api/v1/openapi.json",
        "/open311/v2/services.json",
        "/api/v1/neighbourhoods/999999999",
    ]
    for path in paths:
        get_status, get_headers, get_body = _request(live, "GET", path)
        head_status, head_headers, head_body = _request(live, "HEAD", path)
        assert head_status == get_status, path
        assert head_status in {200, 404}, path
        assert head_headers["content-type"] == get_headers["content-type"], path
        assert head_body == b"", path
        assert get_body, path
        if head_status == 200:
            assert _raw_head(live, path) == b"", path


def test_the_live_head_is_not_refused(live: QurbServer) -> None:
    """The issue's finding, over the wire: HEAD answered 405 where GET answered 200."""
    for path in ("/", "/api/v1/reports/challenge", "/open311/v2/discovery.json"):
        status, headers, _body = _request(live, "HEAD", path)
        assert status == 200, (path, status, headers.get("allow"))
