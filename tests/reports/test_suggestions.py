"""The automatic reading in the product: suggestion at intake, staff confirmation, queue."""

from typing import Any

import pytest
from django.urls import reverse

from qurb.accounts.models import User
from qurb.reports.models import ReportLabel
from qurb.reports.selectors import QueueFilters, duplicate_candidates, triage_queue
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_every_new_report_gets_a_suggestion(make_report: Any) -> None:
    report = make_report(
        category="other",
        description="واحد هاز جنوي كبير وكيهدد الدراري الصغار قدام المدرسة",
    )
    assert report.reported_category == "other"
    assert report.suggested_category == "weapons"
    assert 0 < report.suggestion_confidence <= 1
    assert {"weapon", "minor_involved", "near_school"} <= set(report.suggested_flags)
    # The suggested flags raise it in the queue at once, before anyone confirms.
    assert report.flag_weapon
    assert report.flag_minor
    assert report.reported_flags == []


def test_suggested_weapon_raises_the_report(make_report: Any) -> None:
    calm = make_report(description="Des jeunes font du bruit le soir devant l'immeuble")
    armed = make_report(category="other", description="kayn wa7ed m3ah sabre kaykhle3 nass")
    queue = list(triage_queue(User.objects.get(username="chief.medina"), QueueFilters()))
    assert queue.index(armed) < queue.index(calm)


def test_staff_confirm_or_correct_and_labels_are_kept(make_report: Any) -> None:
    report = make_report(
        category="other", description="Motos qui roulent très vite devant le lycée"
    )
    client = signed_in("officer.medina")
    page = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert 'id="suggestion"' in page
    response = client.post(
        reverse("reports:classify", args=[report.pk]),
        {"category": "road", "flags": ["near_school"]},
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.category == "road"
    assert report.reported_category == "other"
    assert report.flags == ["near_school"]
    assert report.triage_confirmed_by is not None
    label = ReportLabel.objects.get(report=report)
    assert label.category == "road"
    assert label.text == report.description
    assert label.corrected is (
        report.suggested_category != "road" or report.suggested_flags != ["near_school"]
    )


def test_duplicates_meet_across_scripts(make_report: Any) -> None:
    first = make_report(
        category="drugs", description="kayn wa7ed kaybi3 l7chich 9dam lmdrasa kol nhar"
    )
    second = make_report(
        category="other", description="كاين واحد كيبيع الحشيش قدام المدرسة كل نهار"
    )
    chief = User.objects.get(username="chief.medina")
    found = {other.pk: text for other, _m, text in duplicate_candidates(second, reader=chief)}
    assert first.pk in found
    assert found[first.pk] > 0.8


def test_corrections_are_exported_as_labelled_data(make_report: Any) -> None:
    import json
    from io import StringIO

    from django.core.management import call_command

    report = make_report(category="other", description="Des jeunes cassent les vitres des voitures")
    signed_in("chief.medina").post(
        reverse("reports:classify", args=[report.pk]), {"category": "vandalism", "flags": []}
    )
    out = StringIO()
    call_command("triage_labels", stdout=out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert {"text": report.description, "category": "vandalism", "flags": []}.items() <= rows[
        -1
    ].items()
