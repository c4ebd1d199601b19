"""The insights dashboard speaks the page's language: its period menu (once translated at
import, in whatever language was active then) and the names of its districts."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from qurb.areas.models import Area
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def _options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None, name
    return [unescape(o).strip() for o in re.findall(r"<option[^>]*>(.*?)</option>", select[1])]


@pytest.mark.parametrize("language", ["fr", "ar", "en"])
def test_the_period_menu_is_in_the_pages_language(language: str) -> None:
    page = signed_in("analyst").get(reverse("insights:dashboard"), HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200
    with translation.override(language):
        expected = [gettext("last %(days)d days") % {"days": d} for d in (30, 90, 180, 365, 730)]
    assert _options(page.content.decode(), "days") == expected
    if language == "fr":
        assert expected[1] != "last 90 days"  # the French catalogue has it


def test_district_names_follow_the_page() -> None:
    client = signed_in("analyst")
    medina = Area.objects.get(code="032310107")
    arabic = client.get(reverse("insights:dashboard"), HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    french = client.get(reverse("insights:dashboard"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert medina.name_ar in _options(arabic, "area")
    assert medina.name_fr not in _options(arabic, "area")
    assert medina.name_fr in _options(french, "area")
