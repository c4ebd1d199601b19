"""Area names are shown in the page's language, wherever they appear: the neighbourhood page
and its district, the list of neighbourhoods, the map's areas, a district's staff page and the
school sessions' reach."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from qurb.accounts.models import User
from qurb.areas.models import Area, Place, PlaceKind
from qurb.communication.selectors import school_reach
from qurb.communication.services import school_session_save
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

MEDINA = "032310107"


def _hood() -> Area:
    hood = Area.objects.filter(parent__code=MEDINA).order_by("code").first()
    assert hood is not None
    assert hood.parent is not None
    assert hood.name_ar != hood.name_fr
    assert hood.parent.name_ar != hood.parent.name_fr
    return hood


@pytest.mark.parametrize(("language", "other"), [("ar", "fr"), ("fr", "ar")])
def test_the_neighbourhood_page_names_areas_in_its_language(language: str, other: str) -> None:
    hood = _hood()
    page = Client().get(
        reverse("neighbourhoods:detail", args=[hood.pk]), HTTP_ACCEPT_LANGUAGE=language
    )
    html = page.content.decode()
    assert hood.parent is not None
    for area in (hood, hood.parent):
        assert area.names()[language] in html
        assert area.names()[other] not in html


def test_the_map_and_the_list_name_areas_in_the_pages_language() -> None:
    hood = _hood()
    arabic = Client().get(reverse("neighbourhoods:map_areas"), HTTP_ACCEPT_LANGUAGE="ar").json()
    french = Client().get(reverse("neighbourhoods:map_areas"), HTTP_ACCEPT_LANGUAGE="fr").json()
    names = {
        lang: {f["properties"]["code"]: f["properties"]["name"] for f in data["features"]}
        for lang, data in (("ar", arabic), ("fr", french))
    }
    assert names["ar"][hood.code] == hood.name_ar
    assert names["fr"][hood.code] == hood.name_fr
    home = Client().get(reverse("home"), HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert hood.name_ar in home
    assert hood.name_fr not in home


def test_the_staff_area_page_names_areas_in_its_language() -> None:
    medina = Area.objects.get(code=MEDINA)
    chief = signed_in("chief.medina")
    url = reverse("neighbourhoods:staff_area", args=[medina.pk])
    arabic = chief.get(url, HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert medina.name_ar in arabic
    assert _hood().name_ar in arabic
    assert medina.name_fr not in arabic
    assert _hood().name_fr not in arabic


def test_school_reach_names_districts_in_the_active_language() -> None:
    school = Place.objects.filter(kind=PlaceKind.SCHOOL, area__isnull=False).order_by("pk").first()
    assert school is not None
    assert school.area is not None
    school_session_save(
        actor=User.objects.get(username="cell.fes"),
        school=school,
        topic="road",
        held_on=timezone.localdate(),
        trainer="Brigade",
        pupils=40,
    )
    top = school.area
    while top.parent is not None:
        top = top.parent
    district = school.area
    for language in ("ar", "fr", "en"):
        with translation.override(language):
            labels = {r.area for r in school_reach(top)}
        assert district.names()[language] in labels
