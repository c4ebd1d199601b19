"""A case from the guardian's report to the end of the alert: who sees it, validation by the
prefecture's unit, publication as CAP 1.2, the end (410, 404), and the purge."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from capvalidator.validate import Validator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from qurb.accounts.models import User
from qurb.alerts.models import AlertCase, CaseStatus
from qurb.alerts.services import alerts_purge, case_close, case_update, case_validate
from qurb.audit.models import AuditEvent
from tests.alerts.conftest import ALL_CRITERIA, open_case, publish
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"


def _valid(xml: str) -> ET.Element:
    ok, why = Validator(xml.encode()).schema()
    assert ok, why
    return ET.fromstring(xml.encode())  # noqa: S314 - our own output


def test_bad_cases_are_refused_with_reasons_and_only_area_officers_open_them() -> None:
    with pytest.raises(ValidationError) as error:
        open_case(child_age=18, guardian_checked=False, description=" ", lat=0.0, lon=0.0)
    assert set(error.value.message_dict) >= {"child_age", "guardian_checked", "description", "lat"}
    with pytest.raises(PermissionDenied):
        open_case(actor=User.objects.get(username="chief.agdal"))
    with pytest.raises(PermissionDenied):
        open_case(actor=User.objects.get(username="unit.fes"))


def test_visibility_validation_and_publication() -> None:
    case = open_case()
    staff_url = reverse("alerts:staff_case", args=[case.pk])
    for username, status in {
        "officer.medina": 200,
        "chief.medina": 200,
        "unit.fes": 200,
        "chief.agdal": 404,
        "analyst": 404,
        "admin": 404,
        "cell.fes": 404,
        "inspector": 404,
        "resident": 404,
    }.items():
        assert signed_in(username).get(staff_url).status_code == status, username
    assert Client().get(reverse("alerts:page", args=[case.public_id])).status_code == 404
    unit = User.objects.get(username="unit.fes")
    with translation.override("en"), pytest.raises(ValidationError) as error:
        case_validate(actor=unit, case=case, approve=True, criteria={"criteria_minor": True})
    reason = error.value.message_dict["criteria"][0]
    assert "The disappearance is confirmed." in reason
    assert "is a minor" not in reason
    with pytest.raises(PermissionDenied):  # the opener never validates their own case
        case_validate(
            actor=User.objects.get(username="officer.medina"),
            case=case,
            approve=True,
            criteria=ALL_CRITERIA,
        )
    # Through the page, as the unit.
    answer = signed_in("unit.fes").post(
        reverse("alerts:staff_validate", args=[case.pk]),
        {"decision": "approve", **dict.fromkeys(ALL_CRITERIA, "on")},
    )
    assert answer.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.PUBLISHED
    assert case.expires_at is not None
    assert case.expires_at > timezone.now()
    actions = set(
        AuditEvent.objects.filter(object_id=str(case.pk)).values_list("action", flat=True)
    )
    assert {"alerts.open", "alerts.validate"} <= actions
    message = case.messages.get()
    root = _valid(message.xml)
    assert root.findtext(f"{CAP}status") == "Actual"
    assert root.findtext(f"{CAP}msgType") == "Alert"
    infos = root.findall(f"{CAP}info")
    assert [i.findtext(f"{CAP}language") for i in infos] == ["ar-MA", "fr-MA", "en"]
    english = infos[2]
    assert english.findtext(f"{CAP}category") == "Rescue"
    assert english.findtext(f"{CAP}event") == "Missing Child"
    assert (english.findtext(f"{CAP}urgency"), english.findtext(f"{CAP}severity")) == (
        "Immediate",
        "Severe",
    )
    assert english.findtext(f"{CAP}area/{CAP}circle") == "34.06510,-4.97960 160.0"
    assert "do not intervene" in (english.findtext(f"{CAP}instruction") or "")
    assert "Khadija" not in message.xml
    assert "C123456" not in message.xml
    # The public page, in each language, on any phone.
    page_url = reverse("alerts:page", args=[case.public_id])
    for language, words in {
        "en": "do not intervene",
        "fr": "n’intervenez pas",
        "ar": "لا تتدخل",
    }.items():
        page = Client().get(page_url, HTTP_ACCEPT_LANGUAGE=language)
        assert page.status_code == 200
        html = page.content.decode()
        assert words in html, language
        assert "Khadija" not in html
        assert 'type="application/cap+xml"' in html
    photo = Client().get(reverse("alerts:photo", args=[case.public_id]))
    assert photo.status_code == 200
    assert photo["Content-Type"] == "image/jpeg"
    feed = Client().get(reverse("alerts:feed")).content.decode()
    assert case.public_id in feed
    assert Client().get("/sitemap.xml").content.decode().count(case.public_id) == 1


def test_refusal_needs_a_reason_and_is_audited() -> None:
    case = open_case()
    unit = User.objects.get(username="unit.fes")
    with pytest.raises(ValidationError):
        case_validate(actor=unit, case=case, approve=False, criteria={})
    case_validate(
        actor=unit, case=case, approve=False, criteria={}, reason="Enfant retrouvé entre-temps"
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.REFUSED
    assert AuditEvent.objects.filter(action="alerts.validate", object_id=str(case.pk)).exists()
    assert Client().get(reverse("alerts:page", args=[case.public_id])).status_code == 404


def test_update_then_end_gone_at_once_and_cap_references() -> None:
    case = publish(open_case())
    officer = User.objects.get(username="officer.medina")
    update = case_update(actor=officer, case=case, clothing="Survêtement rouge, casquette noire")
    root = _valid(update.xml)
    first = case.messages.order_by("pk").first()
    assert first is not None
    assert root.findtext(f"{CAP}msgType") == "Update"
    assert first.identifier in (root.findtext(f"{CAP}references") or "")
    with pytest.raises(PermissionDenied):
        case_close(actor=User.objects.get(username="chief.agdal"), case=case, reason="found")
    case_close(actor=officer, case=case, reason="found")
    cancel = case.messages.order_by("-pk").first()
    assert cancel is not None
    cancel_root = _valid(cancel.xml)
    assert cancel_root.findtext(f"{CAP}msgType") == "Cancel"
    references = cancel_root.findtext(f"{CAP}references") or ""
    assert first.identifier in references
    assert update.identifier in references
    assert "Adam" not in cancel.xml  # no personal data in the end message
    page = Client().get(reverse("alerts:page", args=[case.public_id]))
    assert page.status_code == 410
    assert 'name="robots" content="noindex' in page.content.decode()
    assert Client().get(reverse("alerts:photo", args=[case.public_id])).status_code == 404
    served = Client().get(reverse("alerts:cap", args=[case.public_id]))
    assert served["Content-Type"].startswith("application/cap+xml")
    assert b"<msgType>Cancel</msgType>" in served.content
    assert case.public_id not in Client().get(reverse("alerts:feed")).content.decode()
    assert case.public_id not in Client().get("/sitemap.xml").content.decode()
    assert case.public_id not in Client().get(reverse("alerts:index")).content.decode()


def test_expiry_takes_effect_at_once_and_the_job_sends_the_end() -> None:
    case = publish(open_case())
    AlertCase.objects.filter(pk=case.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    # Before any job runs: gone from the public at once.
    assert Client().get(reverse("alerts:page", args=[case.public_id])).status_code == 410
    assert Client().get(reverse("alerts:photo", args=[case.public_id])).status_code == 404
    assert case.public_id not in Client().get(reverse("alerts:feed")).content.decode()
    call_command("alerts", "expire")
    case.refresh_from_db()
    assert (case.status, case.end_reason) == (CaseStatus.ENDED, "expired")
    assert case.messages.order_by("-pk").first().msg_type == "Cancel"  # type: ignore[union-attr]


def test_personal_data_is_purged_after_the_retention_keeping_figures(settings: object) -> None:
    case = publish(open_case())
    case_close(actor=User.objects.get(username="officer.medina"), case=case, reason="found")
    case.refresh_from_db()
    photo = case.photo
    assert default_storage.exists(photo)
    assert alerts_purge(now=timezone.now() + timedelta(days=29)) == 0
    assert alerts_purge(now=timezone.now() + timedelta(days=31)) == 1
    case.refresh_from_db()
    assert case.purged_at is not None
    assert (case.child_first_name, case.description, case.guardian_name, case.guardian_phone) == (
        "",
        "",
        "",
        "",
    )
    assert not default_storage.exists(photo)
    assert all(m.xml == "" for m in case.messages.all())
    assert case.published_at is not None
    assert case.ended_at is not None
    assert (
        signed_in("officer.medina").get(reverse("alerts:staff_case", args=[case.pk])).status_code
        == 200
    )
