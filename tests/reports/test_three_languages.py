"""The triage screens in the page's language: response templates are titled in Arabic, French
and English (the text sent stays in the reporter's language), flags read as words, never as
codes, and area names follow the page."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.contrib.admin.sites import site
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from qurb.areas.models import Area
from qurb.reports.models import Flag, ResponseTemplate, flag_labels
from qurb.web.admin.reports import ResponseTemplateForm
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_the_starting_templates_have_three_titles() -> None:
    """0007 gave the templates seeded in English (0002) their Arabic and French titles."""
    received = ResponseTemplate.objects.get(title_en="Received and read")
    assert received.titles() == {
        "ar": "توصلنا بالبلاغ وقرأناه",
        "fr": "Reçu et lu",
        "en": "Received and read",
    }
    for template in ResponseTemplate.objects.all():
        assert all(template.titles().values()), template.pk
        assert all(template.translations("text").values()), template.pk


@pytest.mark.parametrize(
    ("language", "title"),
    [("ar", "المخدرات: دوريات ومراقبة"), ("fr", "Drogues : patrouilles et contrôles")],
)
def test_the_report_page_shows_templates_and_flags_in_its_language(
    make_report: Any, language: str, title: str
) -> None:
    report = make_report(flags=["near_school", "minor_involved"], language="fr")
    page = signed_in("chief.medina").get(
        reverse("reports:detail", args=[report.pk]), HTTP_ACCEPT_LANGUAGE=language
    )
    html = page.content.decode()
    assert f">{title}" in html
    assert "Drugs: patrols and checks" not in html
    # The flags the reporter chose read as words of the page's language, never as codes.
    text = unescape(re.sub(r"<[^>]+>", " ", html))
    assert "near_school" not in text
    assert "minor_involved" not in text
    with translation.override(language):
        start, end = gettext("Chosen by the reporter"), gettext("Suggested from the text")
        chosen = text.split(start, 1)[1].split(end, 1)[0]
        assert str(Flag.NEAR_SCHOOL.label) in chosen
        assert str(Flag.MINOR_INVOLVED.label) in chosen
    # The text put in the public note is the reporter's language (French), whatever the page.
    texts = page.context["templates_json"]
    template = ResponseTemplate.objects.get(category="drugs", status="investigating")
    assert texts[str(template.pk)]["text"] == template.text_fr


def test_flag_labels_skip_what_is_not_a_flag() -> None:
    with translation.override("fr"):
        assert flag_labels(["weapon", "gone", 3]) == [str(Flag.WEAPON.label)]
    assert flag_labels(None) == []


def test_the_queue_shows_area_names_in_the_pages_language(make_report: Any) -> None:
    report = make_report()
    client = signed_in("chief.medina")
    area = Area.objects.get(pk=report.area_id)
    assert area.name_ar
    assert area.name_fr
    assert area.name_ar != area.name_fr
    arabic = client.get(reverse("reports:queue"), HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert area.name_ar in arabic
    assert area.name_fr not in arabic
    french = client.get(reverse("reports:queue"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert area.name_fr in french
    assert area.name_ar not in french


def test_the_template_form_needs_a_title_and_a_text_in_one_language() -> None:
    data = {"status": "acknowledged", "category": ""}
    with translation.override("fr"):
        form = ResponseTemplateForm(data)
        assert not form.is_valid()
        assert form.errors["title_fr"] == ["Donnez un titre dans au moins une langue."]
        assert form.errors["text_fr"] == ["Donnez le texte dans au moins une langue."]
    with translation.override("ar"):
        form = ResponseTemplateForm(data | {"title_en": "Seen"})
        assert not form.is_valid()
        assert "title_ar" not in form.errors
        assert form.errors["text_ar"] == ["أدخل النص بلغة واحدة على الأقل."]
    assert ResponseTemplateForm(data | {"title_ar": "اطلعنا", "text_fr": "Vu."}).is_valid()
    assert site.is_registered(ResponseTemplate)
