"""Associations apply online; the communication cell of their prefecture verifies or refuses."""

import pytest
from django.test import Client
from django.urls import reverse

from qurb.accounts.models import Association, AssociationStatus
from qurb.areas.models import Area
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def _apply(number: str, area: Area) -> None:
    answer = Client().post(
        reverse("neighbourhoods:association_apply"),
        {
            "name": "جمعية أحياء المدينة",
            "registration_number": number,
            "area": str(area.pk),
            "contact_person": "Fatima Zahra",
            "contact_email": "contact@example.org",
        },
    )
    assert answer.status_code == 302


def test_apply_verify_and_refuse() -> None:
    medina = Area.objects.get(code="032310107")
    _apply("FES-2026-0042", medina)
    _apply("FES-2026-0043", medina)
    first = Association.objects.get(registration_number="FES-2026-0042")
    assert first.status == AssociationStatus.PENDING
    assert first.contact_person == "Fatima Zahra"
    cell = signed_in("cell.fes")
    queue = cell.get(reverse("neighbourhoods:association_queue"))
    assert "FES-2026-0042" in queue.content.decode()
    cell.post(reverse("neighbourhoods:association_decide", args=[first.pk]), {"decision": "verify"})
    first.refresh_from_db()
    assert first.status == AssociationStatus.VERIFIED
    assert first.verified_by is not None
    second = Association.objects.get(registration_number="FES-2026-0043")
    decide = reverse("neighbourhoods:association_decide", args=[second.pk])
    cell.post(decide, {"decision": "reject"})  # no reason: refused
    second.refresh_from_db()
    assert second.status == AssociationStatus.PENDING
    cell.post(decide, {"decision": "reject", "reason": "Récépissé illisible"})
    second.refresh_from_db()
    assert second.status == AssociationStatus.REJECTED
    assert second.rejection_reason == "Récépissé illisible"


def test_bad_application_is_explained_and_others_cannot_decide() -> None:
    medina = Area.objects.get(code="032310107")
    page = Client().post(
        reverse("neighbourhoods:association_apply"),
        {"name": "", "registration_number": "X", "area": str(medina.pk), "contact_email": "nope"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert page.status_code == 200
    assert "This field is required." in page.content.decode()
    _apply("FES-2026-0050", medina)
    pending = Association.objects.get(registration_number="FES-2026-0050")
    for username in ["resident", "chief.medina", "cell.meknes"]:
        client = signed_in(username)
        answer = client.post(
            reverse("neighbourhoods:association_decide", args=[pending.pk]), {"decision": "verify"}
        )
        assert answer.status_code == 404
    pending.refresh_from_db()
    assert pending.status == AssociationStatus.PENDING
