"""Only verified associations of a meeting's area can be invited to it: the service refuses
any other, and the planning form offers no other."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from qurb.accounts.models import Association, User
from qurb.accounts.services import association_register, association_verify
from qurb.areas.models import Area
from qurb.core.errors import Invalid
from qurb.engagement.models import Meeting
from qurb.engagement.services import meeting_create
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

MEDINA, AGDAL = "032310107", "032310101"
VERIFIED_MEDINA = "DEMO-FES-0001"
# A one-page PDF (pikepdf refuses a catalog without a page tree).
PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
    b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


def _application(code: str, number: str, *, verified: bool) -> Association:
    association = association_register(
        names={"fr": f"Association {number}"},
        registration_number=number,
        area=Area.objects.get(code=code),
        contact_email=f"{number.lower()}@example.org",
        contact_person="Rachid",
        documents=[io.BytesIO(PDF)],
    )
    if verified:
        association_verify(association=association, actor=User.objects.get(username="cell.fes"))
    return association


def _create(invited: list[Association]) -> Meeting:
    start = timezone.now() + timedelta(days=5)
    return meeting_create(
        area=Area.objects.get(code=MEDINA),
        title="Réunion de quartier",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        location="Dar Chabab Batha",
        is_public=False,
        invited=invited,
        language="fr",
        actor=User.objects.get(username="chief.medina"),
    )


@pytest.mark.parametrize(
    ("code", "verified"), [(MEDINA, False), (AGDAL, True)], ids=["pending", "elsewhere"]
)
def test_meeting_create_refuses_an_association_it_may_not_invite(code: str, verified: bool) -> None:
    outsider = _application(code, f"GAP-{code}", verified=verified)
    before = Meeting.objects.count()
    with translation.override("fr"):
        with pytest.raises(Invalid) as refused:
            _create([Association.objects.get(registration_number=VERIFIED_MEDINA), outsider])
        assert refused.value.stable_code == "association_not_invitable"
        assert "vérifiées" in " ".join(refused.value.messages)
    assert Meeting.objects.count() == before


def test_meeting_create_invites_a_verified_association_of_the_area() -> None:
    association = Association.objects.get(registration_number=VERIFIED_MEDINA)
    meeting = _create([association])
    assert list(meeting.invited.all()) == [association]


def test_the_planning_form_offers_only_verified_associations_of_the_area() -> None:
    pending = _application(MEDINA, "GAP-PENDING", verified=False)
    elsewhere = _application(AGDAL, "GAP-AGDAL", verified=True)
    verified = Association.objects.get(registration_number=VERIFIED_MEDINA)
    medina = Area.objects.get(code=MEDINA)
    client = signed_in("chief.medina")
    url = reverse("neighbourhoods:meeting_new", args=[medina.pk])
    page = client.get(url).content.decode()
    assert f'value="{verified.pk}"' in page
    assert f'value="{pending.pk}"' not in page
    assert f'value="{elsewhere.pk}"' not in page
    start = timezone.localtime() + timedelta(days=5)
    response = client.post(
        url,
        {
            "title_fr": "Réunion de quartier",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "mode": "in_person",
            "location_fr": "Dar Chabab Batha",
            "invited": [str(pending.pk)],
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert not Meeting.objects.filter(invited=pending).exists()
