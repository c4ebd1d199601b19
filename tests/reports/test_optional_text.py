"""A report may come without a text (Open311 makes the description optional): the category and
the place say what and where. Nothing that reads texts may then read meaning into the blank."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from qurb.accounts.models import User
from qurb.reports.models import ReportLabel
from qurb.reports.selectors import duplicate_candidates, duplicate_groups
from qurb.reports.services import report_triage_confirm
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_a_report_without_text_is_stored_without_a_suggestion(make_report: Any) -> None:
    report = make_report(category="road", description="", channel="open311")
    assert report.description == ""
    assert report.suggested_category == ""
    assert report.suggestion_confidence is None
    assert report.suggested_flags == []
    assert report.flags == []
    assert report.public_id.startswith("R-")


def test_a_text_that_is_given_must_say_something(make_report: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        make_report(description="  drogue  ")
    assert "description" in refused.value.message_dict


def test_blank_texts_are_not_duplicates_of_each_other(make_report: Any) -> None:
    first = make_report(category="road", description="", channel="open311")
    second = make_report(category="vandalism", description="", channel="open311")
    chief = User.objects.get(username="chief.medina")
    # Different categories, no text: nothing says they are the same thing.
    assert first.pk not in {other.pk for other, *_ in duplicate_candidates(second, reader=chief)}
    assert duplicate_groups([first, second]) == {}
    # The same category still brings them together, with no text similarity claimed.
    third = make_report(category="road", description="", channel="open311")
    found = {other.pk: text for other, _m, text in duplicate_candidates(third, reader=chief)}
    assert found[first.pk] == 0.0


def test_confirming_a_report_without_text_teaches_the_model_nothing(make_report: Any) -> None:
    report = make_report(category="other", description="", channel="open311")
    officer = User.objects.get(username="officer.medina")
    report_triage_confirm(report=report, category="road", flags=[], actor=officer)
    report.refresh_from_db()
    assert (report.category, report.triage_confirmed_by) == ("road", officer)
    assert not ReportLabel.objects.filter(report=report).exists()


def test_the_staff_page_says_there_is_no_text(make_report: Any) -> None:
    report = make_report(category="road", description="", channel="open311")
    page = signed_in("officer.medina").get(reverse("reports:detail", args=[report.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="no-text"' in html
    assert 'class="report-text"' not in html
    assert 'id="public-note-help"' in html
