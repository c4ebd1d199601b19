from typing import Any

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.test import Client
from django.urls import reverse

from qurb.accounts.access import Capability, grant
from qurb.accounts.models import Role, User
from qurb.accounts.selectors import access_area
from qurb.accounts.services import user_disable
from qurb.areas.models import Area
from qurb.demo.services import DEMO_PASSWORD
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

MEDINA, AGDAL, MECHOUAR, MEKNES = "032310107", "032310101", "032310103", "030610101"


def staff_page(code: str) -> str:
    return reverse("neighbourhoods:staff_area", args=[Area.objects.get(code=code).pk])


def test_district_chief_gets_404_for_another_districts_staff_page() -> None:
    client = signed_in("chief.medina")
    assert client.get(staff_page(MEDINA)).status_code == 200
    assert client.get(staff_page(AGDAL)).status_code == 404
    assert client.get(staff_page(MEKNES)).status_code == 404
    # …and the same 404 as for an area that does not exist at all.
    assert client.get(reverse("neighbourhoods:staff_area", args=[999_999])).status_code == 404


# Who may open which district's staff page: the permission matrix for every staff role.
MATRIX = [
    ("chief.medina", {MEDINA: 200, AGDAL: 404, MECHOUAR: 404, MEKNES: 404}),
    ("chief.agdal", {MEDINA: 404, AGDAL: 200, MECHOUAR: 404, MEKNES: 404}),
    ("chief.meknes", {MEDINA: 404, AGDAL: 404, MECHOUAR: 404, MEKNES: 200}),
    ("officer.medina", {MEDINA: 404, AGDAL: 404, MECHOUAR: 404, MEKNES: 404}),
    ("cell.fes", {MEDINA: 200, AGDAL: 200, MECHOUAR: 200, MEKNES: 404}),
    ("cell.meknes", {MEDINA: 404, AGDAL: 404, MECHOUAR: 404, MEKNES: 200}),
    ("analyst", {MEDINA: 200, AGDAL: 200, MECHOUAR: 200, MEKNES: 200}),
    ("admin", {MEDINA: 200, AGDAL: 200, MECHOUAR: 200, MEKNES: 200}),
    ("inspector", {MEDINA: 404, AGDAL: 404, MECHOUAR: 404, MEKNES: 404}),
    ("association", {MEDINA: 404, AGDAL: 404, MECHOUAR: 404, MEKNES: 404}),
    ("resident", {MEDINA: 404, AGDAL: 404, MECHOUAR: 404, MEKNES: 404}),
]


@pytest.mark.parametrize(("username", "expected"), MATRIX)
def test_staff_page_permission_matrix(username: str, expected: dict[str, int]) -> None:
    client = signed_in(username)
    assert {code: client.get(staff_page(code)).status_code for code in expected} == expected


def test_neighbourhood_officer_sees_own_neighbourhood_only() -> None:
    client = signed_in("officer.medina")
    assert client.get(staff_page(f"{MEDINA}-S1")).status_code == 200
    assert client.get(staff_page(f"{MEDINA}-S2")).status_code == 404


def test_anonymous_visitor_is_sent_to_sign_in() -> None:
    response = Client().get(staff_page(MEDINA))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_access_area_scope_follows_the_hierarchy() -> None:
    chief = User.objects.get(username="cell.fes")
    g = grant(chief, Capability.AREA_OVERVIEW)
    assert not g.everywhere
    fes_codes = set(Area.objects.filter(pk__in=g.area_ids).values_list("code", flat=True))
    assert {"03.231", MEDINA, f"{MEDINA}-S1", MECHOUAR} <= fes_codes
    assert MEKNES not in fes_codes
    medina = Area.objects.get(code=MEDINA).pk
    assert access_area(chief, medina, Capability.AREA_OVERVIEW).code == MEDINA


@pytest.mark.parametrize(
    "username", ["chief.medina", "officer.agdal", "cell.fes", "analyst", "inspector", "admin"]
)
def test_every_staff_role_must_pass_the_second_factor(username: str) -> None:
    client = signed_in(username, verified=False)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:mfa"))


@pytest.mark.parametrize("username", ["resident", "association"])
def test_residents_and_associations_need_no_second_factor(username: str) -> None:
    assert signed_in(username, verified=False).get("/").status_code == 200


def test_backup_code_passes_the_second_factor_once() -> None:
    from qurb.demo.services import _backup_code

    client = signed_in("chief.medina", verified=False)
    code = _backup_code("chief.medina")
    response = client.post(reverse("accounts:mfa"), {"token": code, "next": staff_page(MEDINA)})
    assert response.status_code == 302
    assert client.get(staff_page(MEDINA)).status_code == 200
    again = signed_in("chief.medina", verified=False)
    response = again.post(reverse("accounts:mfa"), {"token": code})
    assert response.status_code == 200
    assert "not valid" in response.content.decode() or "غير صالح" in response.content.decode()


def test_totp_code_from_the_device_passes(settings: Any) -> None:
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = User.objects.get(username="chief.agdal")
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    client = signed_in("chief.agdal", verified=False)
    response = client.post(reverse("accounts:mfa"), {"token": f"{totp.token():06d}"})
    assert response.status_code == 302
    assert client.get(staff_page(AGDAL)).status_code == 200


def test_new_staff_member_enrols_a_totp_device() -> None:
    from qurb.accounts.services import role_grant, user_create

    user = user_create(username="new.chief", password="a-long-pass-phrase-2026")
    role_grant(user=user, role=Role.DISTRICT_CHIEF, area=Area.objects.get(code=AGDAL))
    client = Client()
    response = client.post(
        reverse("accounts:login"), {"username": "new.chief", "password": "a-long-pass-phrase-2026"}
    )
    assert response.status_code == 302
    page = client.get(reverse("accounts:mfa"))
    assert page.status_code == 200
    assert b"<svg" in page.content  # the QR code to scan
    assert client.get(staff_page(AGDAL)).status_code == 302


def test_passwords_are_hashed_with_argon2() -> None:
    user = User.objects.get(username="resident")
    assert identify_hasher(user.password).algorithm == "argon2"


def test_login_is_throttled_after_repeated_failures(settings: Any) -> None:
    client = Client(REMOTE_ADDR="10.1.2.3")
    url = reverse("accounts:login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": "resident", "password": "wrong"})
    locked = client.post(url, {"username": "resident", "password": DEMO_PASSWORD})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_session_is_rotated_on_login() -> None:
    client = Client()
    client.get(reverse("accounts:login"))
    session = client.session
    session["marker"] = "x"
    session.save()
    before = session.session_key
    client.post(reverse("accounts:login"), {"username": "resident", "password": DEMO_PASSWORD})
    assert client.session.session_key != before


def test_disabling_an_account_ends_its_sessions() -> None:
    client = signed_in("chief.medina")
    assert client.get(staff_page(MEDINA)).status_code == 200
    user_disable(user=User.objects.get(username="chief.medina"))
    response = client.get(staff_page(MEDINA))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
