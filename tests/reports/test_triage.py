import re
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from qurb.accounts.models import User
from qurb.audit.models import AuditEvent
from qurb.reports.models import Report, ReporterContact, ResponseTemplate, Status, StatusChange
from qurb.reports.selectors import QueueFilters, triage_queue
from qurb.reports.services import ReportInput, report_submit
from tests.conftest import signed_in
from tests.reports.conftest import point_in

pytestmark = pytest.mark.django_db


def test_urgent_reports_come_first(make_report: Any) -> None:
    calm = make_report(description="Des jeunes font du bruit le soir devant l'immeuble")
    armed = make_report(
        category="weapons",
        flags=["weapon"],
        description="Un homme avec un couteau menace les passants",
    )
    chief = User.objects.get(username="chief.medina")
    queue = list(triage_queue(chief, QueueFilters()))
    assert queue.index(armed) < queue.index(calm)
    assert all(r.district.code == "032310107" for r in queue)


def test_chief_moves_report_with_template_and_reporter_is_told(
    make_report: Any,
    task_queue: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    report = make_report(updates_email="resident@example.org", language="fr")
    template = ResponseTemplate.objects.get(category="drugs", status="investigating")
    client = signed_in("chief.medina")
    page = client.get(reverse("reports:detail", args=[report.pk]))
    assert page.status_code == 200
    assert template.title in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            reverse("reports:status", args=[report.pk]),
            {"to_status": "investigating", "template": template.pk, "staff_note": "voir brigade"},
        )
    assert response.status_code == 302
    assert len(callbacks) == 1  # the task is enqueued only once the change is committed
    report.refresh_from_db()
    assert report.status == Status.INVESTIGATING
    change = StatusChange.objects.filter(report=report).last()
    assert change is not None
    assert change.public_note == template.text_fr
    assert change.staff_note == "voir brigade"
    # The e-mail goes through the database task queue, after commit; the worker sends it once.
    mail.outbox.clear()
    call_command("worker", batch=True)
    assert len(mail.outbox) == 1
    assert report.tracking_code in mail.outbox[0].subject
    assert template.text_fr in mail.outbox[0].body
    assert "voir brigade" not in mail.outbox[0].body
    call_command("worker", batch=True)
    assert len(mail.outbox) == 1
    # The resident's page shows the public note, never the private one.
    track = signed_in("resident").get(reverse("reports:track", args=[report.tracking_code]))
    assert template.text_fr in track.content.decode()
    assert "voir brigade" not in track.content.decode()


def test_invalid_transition_is_explained(make_report: Any) -> None:
    report = make_report()
    client = signed_in("chief.medina")
    with translation.override("en"):
        client.post(
            reverse("reports:status", args=[report.pk]),
            {"to_status": "resolved", "public_note": ""},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    report.refresh_from_db()
    assert report.status == Status.RECEIVED


def test_merge_duplicates_suggested_nearby(make_report: Any) -> None:
    first = make_report()
    second = make_report(description="Dealer devant l'école primaire à midi, tous les jours")
    client = signed_in("officer.medina")
    page = client.get(reverse("reports:detail", args=[second.pk]))
    assert f"#{first.pk}" in page.content.decode()
    client.post(reverse("reports:merge", args=[second.pk]), {"into": first.pk})
    second.refresh_from_db()
    assert second.status == Status.DUPLICATE
    assert second.duplicate_of_id == first.pk


def test_contact_details_only_for_district_staff_and_audited(make_report: Any) -> None:
    lat, lon = point_in("032310107")
    report, _ = report_submit(
        data=ReportInput(
            category="harassment",
            description="Harcèlement à l'arrêt de bus chaque soir",
            lat=lat,
            lon=lon,
            channel="web",
            anonymous=False,
            contact_name="Salma",
            contact_phone="+212600000000",
            updates_email="hidden-updates@example.org",
        )
    )
    chief = signed_in("chief.medina")
    detail = chief.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert "+212600000000" not in detail
    assert "Salma" not in detail
    page = chief.get(reverse("reports:contact", args=[report.pk])).content.decode()
    assert "+212600000000" in page
    assert "hidden-updates" not in page
    assert (
        AuditEvent.objects.filter(action="reports.read_contact", object_id=str(report.pk)).count()
        == 1
    )
    assert signed_in("analyst").get(reverse("reports:contact", args=[report.pk])).status_code == 404
    assert (
        signed_in("chief.agdal").get(reverse("reports:contact", args=[report.pk])).status_code
        == 404
    )
    assert ReporterContact.objects.get(report=report).phone == "+212600000000"


def test_outcome_after_resolution(make_report: Any) -> None:
    report = make_report()
    client = signed_in("chief.medina")
    client.post(
        reverse("reports:status", args=[report.pk]),
        {"to_status": "resolved", "public_note": "Patrouilles quotidiennes"},
    )
    anonymous = signed_in("resident")
    url = reverse("reports:track", args=[report.tracking_code])
    assert anonymous.post(url, {"outcome": "partly"}).status_code == 302
    report.refresh_from_db()
    assert report.outcome == "partly"


def listed(body: str) -> set[int]:
    return {int(n) for n in re.findall(r'data-report="(\d+)"', body)}


def test_queue_filters(make_report: Any) -> None:
    road = make_report(category="road", description="Motos qui roulent trop vite devant le lycée")
    client = signed_in("chief.medina")
    queue = reverse("reports:queue")
    roads = listed(client.get(queue, {"category": "road", "status": "all"}).content.decode())
    assert road.pk in roads
    assert set(Report.objects.filter(pk__in=roads).values_list("category", flat=True)) == {"road"}
    armed = listed(client.get(queue, {"flag": "weapon", "status": "all"}).content.decode())
    assert road.pk not in armed
    assert all(Report.objects.get(pk=pk).flag_weapon for pk in armed)
    in_district = listed(
        client.get(queue, {"area": road.district_id, "status": "all"}).content.decode()
    )
    assert road.pk in in_district
    assert listed(client.get(queue, {"assigned": "me", "status": "all"}).content.decode()) == set()
