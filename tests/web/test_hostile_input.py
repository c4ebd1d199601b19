"""Hostile input never answers 500: every URL pattern of the project, with hostile values in
its path (numbers past the database's range, Unicode digits, very long strings, NUL bytes)
and in every query parameter (and form field) the views read, signed out and signed in as
staff.

The parameters are found in the web edge's own source (``request.GET.get("…")``, the forms
bound to ``request.GET``, ``params.get("…")`` in Open311), so a view that starts reading a
new parameter is swept too. Each request goes through Django's test client with
``raise_request_exception=False``: a crash shows as the 500 it would be in production.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

import qurb.web
from qurb.accounts.models import Association, AssociationDocument, User
from qurb.alerts.models import AlertCase
from qurb.areas.models import Area
from qurb.communication.models import Article, Event
from qurb.engagement.models import ActionItem, Meeting, Priority, Proposal, Survey
from qurb.reports.models import Photo, Report
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

WEB = Path(qurb.web.__file__).parent
NUL = "a\x00b"
HOSTILE = [
    "²",  # str.isdigit() says yes, int() says no
    "١٢",  # Arabic-Indic digits: int() reads 12
    "１２",  # full-width digits
    str(10**30),  # past any 64-bit column
    str(2**63),  # one past the signed 64-bit range
    "-1",
    "abc",
    "x" * 10_000,
    NUL,
    "1e400",
    "0001-01-01T00:00:00",
    "9999-12-31T23:59:59",
]
# Values that an ``<int:…>`` path converter lets through (ASCII digits only).
HOSTILE_PATH_INTS = [str(10**30), str(2**63), "0"]
MEDINA = "032310107"

# --- what to send ----------------------------------------------------------------------------

_GET_NAMES = [
    r"GET\.get\(\s*\"([\w\[\]]+)\"",
    r"GET\[\s*\"([\w\[\]]+)\"\s*\]",
    r"\"([\w\[\]]+)\"\s+in\s+request\.GET",
    r"params\.get\(\s*\"([\w\[\]]+)\"",
    r"_moment\(params,\s*\"(\w+)\"",
]
_POST_NAMES = [
    r"POST\.get(?:list)?\(\s*\"([\w\[\]]+)\"",
    r"POST\[\s*\"([\w\[\]]+)\"\s*\]",
    r"f\"(\w+)_\{lang\}\"",
]


def _sources() -> dict[str, str]:
    return {p.relative_to(WEB).as_posix(): p.read_text(encoding="utf-8") for p in WEB.rglob("*.py")}


@cache
def query_names() -> tuple[str, ...]:
    """Every query parameter the web edge reads, and the fields of the forms it binds to the
    query string."""
    names: set[str] = set()
    for path, source in _sources().items():
        for pattern in _GET_NAMES:
            names |= set(re.findall(pattern, source))
        module = importlib.import_module("qurb.web." + path.removesuffix(".py").replace("/", "."))
        for form_name in re.findall(r"(\w+Form)\(\s*(?:data=)?request\.GET", source):
            form = getattr(module, form_name)
            names |= set(form.base_fields)
        if "request.GET.dict()" in source:  # the insights' filters
            for form_name in re.findall(r"(\w+Form)\(\s*data\b", source):
                names |= set(getattr(module, form_name).base_fields)
    return tuple(sorted(names))


@cache
def post_names() -> tuple[str, ...]:
    names: set[str] = set()
    for source in _sources().values():
        for pattern in _POST_NAMES:
            found = re.findall(pattern, source)
            for name in found:
                if pattern.startswith("f"):
                    names |= {f"{name}_{lang}" for lang in ("ar", "fr", "en")}
                else:
                    names.add(name)
    return tuple(sorted(names))


@dataclass(frozen=True)
class Route:
    route: str  # as written, for the failure message
    parts: tuple[tuple[str, str | None], ...]  # (literal, converter kind of the slot after it)
    names: tuple[str, ...]  # the slots' names
    module: str

    def fill(self, values: dict[str, str]) -> str:
        out = "/"
        for (literal, kind), name in zip(self.parts, (*self.names, None), strict=False):
            out += literal
            if kind is not None and name is not None:
                out += quote(values[name], safe="")
        return out


_SLOT = re.compile(r"<(?:(\w+):)?(\w+)>")
_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def _route(prefix: str, pattern: URLPattern) -> Route | None:
    text = ""
    pieces: list[tuple[str, str | None]] = []
    names: list[str] = []
    for part, kind in [(prefix, "prefix"), (str(pattern.pattern), "own")]:
        del kind
        regex = part.startswith("^") or part.endswith("$")
        if regex:
            part = part.lstrip("^").rstrip("$").replace("\\.", ".")
            slots = list(_GROUP.finditer(part))
            last = 0
            for slot in slots:
                text += part[last : slot.start()]
                pieces.append((text, "regex"))
                names.append(slot.group(1))
                text = ""
                last = slot.end()
            text += part[last:]
        else:
            last = 0
            for slot in _SLOT.finditer(part):
                text += part[last : slot.start()]
                pieces.append((text, slot.group(1) or "str"))
                names.append(slot.group(2))
                text = ""
                last = slot.end()
            text += part[last:]
    pieces.append((text, None))
    callback = pattern.callback
    module = getattr(callback, "__module__", "") or ""
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:
        module = view_class.__module__
    return Route(prefix + str(pattern.pattern), tuple(pieces), tuple(names), module)


def routes() -> Iterator[Route]:
    def walk(patterns: list[Any], prefix: str) -> Iterator[Route]:
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern) and isinstance(p.pattern, RoutePattern | RegexPattern):
                found = _route(prefix, p)
                if found is not None:
                    yield found

    yield from walk(get_resolver().url_patterns, "")


def _kind(route: Route, name: str) -> str:
    for (_literal, kind), slot in zip(route.parts, route.names, strict=False):
        if slot == name:
            return kind or "str"
    return "str"


def real_values() -> dict[str, str]:
    """An existing object for each kind of id in the paths, in Fès-Médina where it can be."""
    medina = Area.objects.get(code=MEDINA)
    meeting = Meeting.objects.filter(area=medina).order_by("pk").first() or Meeting.objects.first()
    values = {
        "area_id": medina.pk,
        "association_id": Association.objects.order_by("pk").values_list("pk", flat=True)[0],
        "document_id": AssociationDocument.objects.values_list("pk", flat=True).first(),
        "survey_id": Survey.objects.values_list("pk", flat=True).first(),
        "meeting_id": meeting.pk if meeting else None,
        "proposal_id": Proposal.objects.values_list("pk", flat=True).first(),
        "item_id": ActionItem.objects.values_list("pk", flat=True).first(),
        "priority_id": Priority.objects.values_list("pk", flat=True).first(),
        "user_id": User.objects.filter(association__isnull=False)
        .values_list("pk", flat=True)
        .first(),
        "report_id": Report.objects.filter(district=medina).values_list("pk", flat=True).first(),
        "photo_id": Photo.objects.values_list("pk", flat=True).first(),
        "case_id": AlertCase.objects.values_list("pk", flat=True).first(),
        "event_id": Event.objects.values_list("pk", flat=True).first(),
        "article_id": Article.objects.values_list("pk", flat=True).first(),
        "year": 2025,
    }
    return {k: str(v if v is not None else 1) for k, v in values.items()}


STR_DEFAULTS = {"fmt": "json", "slug": "x", "code": "x", "token": "x", "public_id": "x"}


def base_values(route: Route, real: dict[str, str]) -> dict[str, str]:
    return {name: real.get(name, STR_DEFAULTS.get(name, "1")) for name in route.names}


# --- the sweep -------------------------------------------------------------------------------

ADMIN = "admin/"
# The staff account each group is swept as (signed in, past the second factor): one whose
# roles reach that group's pages.
STAFF = {"communication": "cell.fes", "accounts": "cell.fes", "admin": "admin"}


def _client(who: str) -> Client:
    if who == "anonymous":
        client = Client(raise_request_exception=False)
    else:
        client = signed_in(who)
        client.raise_request_exception = False
    return client


def _bad(response: Any) -> bool:
    return int(response.status_code) >= 500


def _sweep(clients: dict[str, Client], route: Route, real: dict[str, str]) -> list[str]:
    failures: list[str] = []
    base = base_values(route, real)
    gets, posts = query_names(), post_names()
    module_source = _module_source(route.module)
    for who, client in clients.items():
        # 1. hostile values in each slot of the path
        for name in route.names:
            kind = _kind(route, name)
            candidates = HOSTILE_PATH_INTS if kind == "int" else HOSTILE
            for value in candidates:
                if kind == "slug" and not re.fullmatch(r"[-a-zA-Z0-9_]+", value):
                    continue
                url = route.fill(base | {name: value})
                response = client.get(url)
                if _bad(response):
                    failures.append(f"{who} GET {url[:120]!r} → {response.status_code}")
        # 2. every query parameter at once, then each one the view's module reads alone
        url = route.fill(base)
        mine = [n for n in gets if f'"{n}"' in module_source]
        for value in HOSTILE:
            response = client.get(url + "?" + urlencode(dict.fromkeys(gets, value)))
            if _bad(response):
                failures.append(f"{who} GET {url} ?*={value[:20]!r} → {response.status_code}")
            for name in mine:
                response = client.get(url + "?" + urlencode({name: value}))
                if _bad(response):
                    failures.append(
                        f"{who} GET {url} ?{name}={value[:20]!r} → {response.status_code}"
                    )
        # 3. every form field the web edge reads, posted at once with each value
        if route.route.startswith(ADMIN):
            continue
        for value in HOSTILE:
            response = client.post(url, dict.fromkeys(posts, value))
            if _bad(response):
                failures.append(f"{who} POST {url} *={value[:20]!r} → {response.status_code}")
    return failures


@cache
def _module_source(module: str) -> str:
    try:
        return inspect.getsource(importlib.import_module(module))
    except (ImportError, OSError, TypeError):
        return ""


def _groups() -> list[str]:
    """The routes in a few groups (one test each, so a failure says where)."""
    return [
        *("accounts", "alerts", "communication", "engagement", "insights", "neighbourhoods"),
        *("open311", "reports", "api", "staff", "admin", "other"),
    ]


def _group_of(route: Route) -> str:
    if route.route.startswith(ADMIN):
        return "admin"
    if route.route.startswith("api/"):
        return "api"
    for group in _groups():
        if f"qurb.web.{group}." in route.module + ".":
            return group
    return "other"


@pytest.mark.parametrize("group", _groups())
def test_no_hostile_value_answers_500(group: str, settings: Any) -> None:
    settings.REPORT_POW_MAX_NUMBER = 300
    real = real_values()
    chosen = [r for r in routes() if _group_of(r) == group]
    assert chosen or group == "other", f"no route in {group}: the sweep went blind"
    who = ["anonymous", STAFF.get(group, "chief.medina")]
    clients = {name: _client(name) for name in who}
    failures: list[str] = []
    for route in chosen:
        failures += _sweep(clients, route, real)
    assert not failures, "\n".join(failures[:60])


def test_the_sweep_reads_the_parameters_the_views_read() -> None:
    """The parameter lists are found in the source: they are not empty and hold the names
    the reviewers found crashing."""
    assert {"article", "hood", "district", "q", "lat", "key"} <= set(query_names())
    assert {"start_date", "end_date"} <= set(query_names())
    assert {"into", "score", "back", "area", "session", "subject_ar", "publish_at"} <= set(
        post_names()
    )
    assert sum(1 for _ in routes()) > 100


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "/api/v1/reports",
            '{"category": "drugs", "description": "kayn\\u0000 chi haja", "lat": 34}',
        ),
        ("/api/v1/reports", '{"category": "drugs\x00", "lat": 1e400, "lon": -1e400}'),
        ("/alerts/subscribe/push/", '{"district": "5\\u0000"}'),
        ("/api/v1/areas/locate", '{"lat": 99999999999999999999999999, "lon": "١٢"}'),
    ],
)
def test_json_bodies_with_nul_or_huge_numbers_never_answer_500(path: str, body: str) -> None:
    client = Client(raise_request_exception=False)
    response = client.post(
        path, body, content_type="application/json", headers={"accept-language": "ar"}
    )
    assert 400 <= response.status_code < 500, response.content[:300]


def test_a_nul_byte_is_refused_in_the_users_language() -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/track/", {"code": NUL}, headers={"accept-language": "fr"})
    assert response.status_code == 400
    assert "caractère non autorisé" in response.content.decode()


def test_a_path_id_past_the_database_range_is_404() -> None:
    client = signed_in("chief.medina")
    client.raise_request_exception = False
    for value in (str(10**30), str(2**63)):
        assert client.get(f"/staff/reports/{value}/").status_code == 404
        assert client.get(f"/neighbourhoods/{value}/").status_code == 404


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", 12),
        (" 12 ", 12),
        ("0", None),
        ("²", None),
        ("١٢", None),
        ("１２", None),
        ("-1", None),
        ("+1", None),
        ("1.5", None),
        ("abc", None),
        ("", None),
        (None, None),
        (["12"], None),
        (True, None),
        (str(2**63 - 1), 2**63 - 1),
        (str(2**63), None),
        (str(10**30), None),
        ("0" * 30 + "7", None),
        (7, 7),
        (10**30, None),
    ],
)
def test_id_param_takes_ascii_digits_within_the_database_range(raw: Any, expected: Any) -> None:
    from qurb.core.params import id_param

    assert id_param(raw) == expected


def test_int_and_float_params_refuse_what_is_not_a_plain_number() -> None:
    from qurb.core.params import float_param, id_params, int_param

    assert int_param("-3", minimum=-5) == -3
    assert int_param("6", maximum=5) is None
    assert id_params(["3", "x", "3", str(10**30), "4"]) == [3, 4]
    assert float_param(1.5) == 1.5
    assert float_param("34.06") == 34.06
    for bad in (10**400, float("nan"), float("inf"), "1e400", "nan", "٣٤", True, [1]):
        assert float_param(bad) is None, bad
