"""/places/search/ (JSON for the search boxes) and the home page's search without JavaScript."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from shapely.geometry import Point, shape

from qurb.areas.models import Area, Boundary
from qurb.areas.selectors import forget_place_index
from qurb.reports.limits import Limit

pytestmark = pytest.mark.django_db

URL = "/places/search/"


@pytest.fixture(autouse=True)
def _fresh_index() -> Iterator[None]:
    forget_place_index()
    yield
    forget_place_index()


def search(q: str, language: str = "ar", **extra: Any) -> Any:
    return Client().get(URL, {"q": q}, HTTP_ACCEPT_LANGUAGE=language, **extra)


def test_url_name() -> None:
    assert reverse("neighbourhoods:place_search") == URL


def test_answer_shape_in_arabic() -> None:
    medina = Area.objects.get(code="032310107")
    response = search("lmdina")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "Accept-Language" in response["Vary"]
    body = response.json()
    assert set(body) == {"query", "language", "count", "message", "results"}
    assert (body["query"], body["language"]) == ("lmdina", "ar")
    assert body["count"] == len(body["results"]) > 0
    assert body["message"] == f"عُثر على {body['count']} أماكن."
    first = body["results"][0]
    assert set(first) == {
        "id",
        "name",
        "kind",
        "kind_label",
        "context",
        "area",
        "lat",
        "lon",
        "demo",
        "matched",
        "url",
    }
    assert first["id"] == f"area:{medina.pk}"
    assert (first["name"], first["kind"], first["kind_label"]) == (
        "فاس المدينة",
        "district",
        "الدائرة الأمنية",
    )
    assert first["context"] == "ولاية أمن فاس"
    assert first["area"] == medina.pk
    assert first["url"] == f"/neighbourhoods/{medina.pk}/"
    assert first["demo"] is False
    boundary = Boundary.objects.get(area=medina, generation__active=True)
    assert shape(boundary.geometry).contains(Point(first["lon"], first["lat"]))
    # The sectors of the district come next, labelled as demo data.
    assert all(r["demo"] for r in body["results"][1:] if r["kind"] == "neighbourhood")


def test_names_and_messages_in_the_requests_language() -> None:
    fr = search("المدينة", "fr").json()
    assert fr["language"] == "fr"
    assert fr["results"][0]["name"] == "Fès-Médina"
    assert fr["results"][0]["kind_label"] == "Arrondissement de police"
    assert fr["message"].endswith("lieux trouvés.")
    en = search("bab bjloud", "en").json()
    assert en["results"][0]["name"] == "Bab Boujloud (the Blue Gate)"
    assert en["results"][0]["kind"] == "other"
    assert en["message"] == "1 place found."
    # The language chosen on the site (its cookie) wins over the browser's.
    client = Client()
    client.cookies["qurb_language"] = "fr"
    answer = client.get(URL, {"q": "agdal"}, HTTP_ACCEPT_LANGUAGE="ar").json()
    assert answer["results"][0]["name"] == "Agdal"


def test_nothing_found_says_what_to_do() -> None:
    body = search("tyrannosaure").json()
    assert body["results"] == []
    assert body["message"].startswith("لم يُعثر على أي مكان")
    assert "القائمة" in body["message"]


@pytest.mark.parametrize(
    "q", ["", "   ", "\x07\x1b", "'; DROP TABLE areas_area; --", "%", "<script>"]
)
def test_empty_and_odd_queries_answer_200(q: str) -> None:
    response = search(q)
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_a_query_over_100_characters_is_refused_in_the_readers_language() -> None:
    assert search("ا" * 100).status_code == 200
    for language, words in [("ar", "100 حرفًا"), ("fr", "100 caractères"), ("en", "100 characters")]:
        response = search("a" * 101, language)
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "query_too_long"
        assert words in body["error"], body
    assert search("x" * 10_000).status_code == 400


def test_too_many_searches_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("qurb.web.neighbourhoods.views.PLACE_SEARCH_LIMIT", Limit(3, 60))
    client = Client()
    answers = [client.get(URL, {"q": "agdal"}, HTTP_ACCEPT_LANGUAGE="fr") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1].json()["code"] == "rate_limited"
    assert "Trop de recherches" in answers[-1].json()["error"]


def test_only_get() -> None:
    assert Client().post(URL, {"q": "agdal"}).status_code == 405


def test_home_searches_without_javascript() -> None:
    agdal = Area.objects.get(code="032310101")
    page = Client().get("/", {"q": "أكدال"}, HTTP_ACCEPT_LANGUAGE="ar")
    assert page.status_code == 200
    html = page.content.decode()
    found = html.split('id="place-search-found"', 1)[1].split("</div>", 1)[0]
    assert f'href="/neighbourhoods/{agdal.pk}/"' in found.split("</li>", 1)[0]
    assert 'value="أكدال"' in html  # the box keeps what was typed
    assert 'role="combobox"' in html
    assert 'aria-controls="place-search-results"' in html


def test_home_refuses_a_long_search_with_a_message() -> None:
    page = Client().get("/", {"q": "b" * 101}, HTTP_ACCEPT_LANGUAGE="fr")
    assert page.status_code == 400
    assert "100 caractères" in page.content.decode()
    # The rest of the page still works: the list of neighbourhoods is there.
    assert 'name="area"' in page.content.decode()
