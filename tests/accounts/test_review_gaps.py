"""Gaps an adversarial review found in the admin and in association verification: every
change an administrator makes goes through an audited service, second-factor secrets and
login-throttling records cannot be edited or deleted by hand, and verifying an association
never hands a staff account (or another association's member) to it."""

from __future__ import annotations

import io

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.db.models import Max
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from qurb.accounts.models import Association, AssociationStatus, User
from qurb.accounts.services import association_register, association_verify
from qurb.areas.models import Area
from qurb.audit.models import AuditEvent
from qurb.reports.models import ResponseTemplate
from tests.conftest import signed_in

MEDINA = "032310107"
# A one-page PDF (pikepdf refuses a catalog without a page tree).
PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
    b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


def _last_event() -> int:
    return int(AuditEvent.objects.aggregate(n=Max("pk"))["n"] or 0)


# --- 1. the admin ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_admin_password_change_of_another_account_is_audited_without_the_password(
    committed: None,
) -> None:
    resident = User.objects.get(username="resident")
    client = signed_in("admin")
    url = reverse("admin:auth_user_password_change", args=[resident.pk])
    assert client.get(url).status_code == 200
    last = _last_event()
    secret = "Tr3s-longue phrase de passe"

    response = client.post(
        url, {"password1": secret, "password2": secret, "usable_password": "true"}
    )

    assert response.status_code == 302, response.content[:2000]
    resident.refresh_from_db()
    assert resident.check_password(secret)
    events = list(AuditEvent.objects.filter(pk__gt=last))
    assert [(e.action, e.actor_label, e.object_id) for e in events] == [
        ("accounts.set_password", "admin", str(resident.pk))
    ]
    assert events[0].details == {"usable": True}
    assert secret not in str(events[0].details)


@pytest.mark.django_db(transaction=True)
def test_admin_disabling_password_sign_in_is_audited(committed: None) -> None:
    resident = User.objects.get(username="resident")
    client = signed_in("admin")
    url = reverse("admin:auth_user_password_change", args=[resident.pk])
    last = _last_event()
    response = client.post(url, {"usable_password": "false", "unset-password": "1"})
    assert response.status_code == 302, response.content[:2000]
    resident.refresh_from_db()
    assert not resident.has_usable_password()
    events = list(AuditEvent.objects.filter(pk__gt=last))
    assert [(e.action, e.details) for e in events] == [("accounts.set_password", {"usable": False})]


@pytest.mark.django_db
def test_totp_devices_are_read_only_and_their_secrets_hidden() -> None:
    device = TOTPDevice.objects.filter(user__username="chief.medina", confirmed=True).first()
    assert device is not None
    client = signed_in("admin")
    change = reverse("admin:otp_totp_totpdevice_change", args=[device.pk])
    page = client.get(change)
    assert page.status_code == 200
    body = page.content.decode()
    assert device.key not in body
    assert 'name="key"' not in body
    assert 'name="_save"' not in body  # read-only: no save button
    # Nothing can be changed, added or deleted, and the QR code (the secret) is not served.
    before = (device.key, device.confirmed, device.user_id)
    response = client.post(change, {"user": device.user_id, "name": "x", "key": "00" * 20})
    assert response.status_code == 403
    device.refresh_from_db()
    assert (device.key, device.confirmed, device.user_id) == before
    assert client.get(reverse("admin:otp_totp_totpdevice_add")).status_code == 403
    delete = reverse("admin:otp_totp_totpdevice_delete", args=[device.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    for name in ("admin:otp_totp_totpdevice_config", "admin:otp_totp_totpdevice_qrcode"):
        assert client.get(reverse(name, kwargs={"pk": device.pk})).status_code == 403


@pytest.mark.django_db
def test_backup_codes_are_read_only_and_hidden() -> None:
    user = User.objects.get(username="chief.medina")
    static, _created = StaticDevice.objects.get_or_create(
        user=user, name="backup", defaults={"confirmed": True}
    )
    StaticToken.objects.create(device=static, token="zz11yy22")
    client = signed_in("admin")
    change = reverse("admin:otp_static_staticdevice_change", args=[static.pk])
    page = client.get(change)
    assert page.status_code == 200
    assert "zz11yy22" not in page.content.decode()
    assert client.post(change, {"user": user.pk, "name": "x"}).status_code == 403
    delete = reverse("admin:otp_static_staticdevice_delete", args=[static.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert StaticToken.objects.filter(device=static, token="zz11yy22").exists()


@pytest.mark.django_db
def test_login_throttling_records_cannot_be_deleted_from_the_admin() -> None:
    attempt = AccessAttempt.objects.create(
        username="chief.medina",
        ip_address="203.0.113.9",
        user_agent="test",
        path_info="/accounts/login/",
        failures_since_start=5,
        get_data="",
        post_data="",
        http_accept="*/*",
    )
    failure = AccessFailureLog.objects.create(
        username="chief.medina",
        ip_address="203.0.113.9",
        user_agent="test",
        path_info="/accounts/login/",
        http_accept="*/*",
        locked_out=True,
    )
    client = signed_in("admin")
    for model, row in [("accessattempt", attempt), ("accessfailurelog", failure)]:
        listing = client.get(reverse(f"admin:axes_{model}_changelist"))
        assert listing.status_code == 200
        assert "delete_selected" not in listing.content.decode()
        client.post(
            reverse(f"admin:axes_{model}_changelist"),
            {"action": "delete_selected", "_selected_action": [str(row.pk)], "post": "yes"},
        )
        delete = reverse(f"admin:axes_{model}_delete", args=[row.pk])
        assert client.post(delete, {"post": "yes"}).status_code == 403
        change = reverse(f"admin:axes_{model}_change", args=[row.pk])
        assert client.post(change, {"username": "someone"}).status_code == 403
    client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "cleanup_expired_attempts", "_selected_action": [str(attempt.pk)]},
    )
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()
    assert AccessFailureLog.objects.filter(pk=failure.pk).exists()


def _template_data(**overrides: str) -> dict[str, str]:
    data = {
        "status": "resolved",
        "category": "",
        "title_ar": "",
        "title_fr": "Patrouille renforcée",
        "title_en": "",
        "text_ar": "",
        "text_fr": "Une patrouille passe désormais chaque soir.",
        "text_en": "",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db(transaction=True)
def test_response_template_changes_in_the_admin_are_audited(committed: None) -> None:
    client = signed_in("admin")
    last = _last_event()
    response = client.post(reverse("admin:reports_responsetemplate_add"), _template_data())
    assert response.status_code == 302, response.content[:3000]
    template = ResponseTemplate.objects.get(title_fr="Patrouille renforcée")
    response = client.post(
        reverse("admin:reports_responsetemplate_change", args=[template.pk]),
        _template_data(text_fr="Une patrouille passe chaque soir à 21 h."),
    )
    assert response.status_code == 302, response.content[:3000]
    events = list(AuditEvent.objects.filter(pk__gt=last).order_by("pk"))
    assert [(e.action, e.actor_label, e.object_id) for e in events] == [
        ("reports.save_response_template", "admin", str(template.pk)),
        ("reports.save_response_template", "admin", str(template.pk)),
    ]
    assert events[0].details["created"] is True
    assert events[1].details == {
        "created": False,
        "changes": {
            "text_fr": {
                "old": "Une patrouille passe désormais chaque soir.",
                "new": "Une patrouille passe chaque soir à 21 h.",
            }
        },
    }
    delete = reverse("admin:reports_responsetemplate_delete", args=[template.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert ResponseTemplate.objects.filter(pk=template.pk).exists()


# --- 4. association verification ----------------------------------------------------------------


def _application(email: str, number: str) -> Association:
    return association_register(
        names={"fr": "Association Derb Sidi Moussa"},
        registration_number=number,
        area=Area.objects.get(code=MEDINA),
        contact_email=email,
        contact_person="Khadija",
        documents=[io.BytesIO(PDF)],
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "owner", ["chief.medina", "admin", "cell.fes", "association"], ids=lambda o: o
)
def test_verifying_never_hands_a_staff_or_another_associations_account(owner: str) -> None:
    """The contact e-mail of an application is the e-mail of a staff account (or of another
    association's member): the association is verified, no account is attached to it, and
    the account keeps what it was."""
    account = User.objects.get(username=owner)
    before = (account.association_id, account.association_lead, set(account.roles.all()))
    application = _application(account.email.upper(), f"GAP-{owner}")

    verified = association_verify(
        association=application, actor=User.objects.get(username="cell.fes")
    )

    assert verified.status == AssociationStatus.VERIFIED
    assert not verified.members.exists()
    account.refresh_from_db()
    assert (account.association_id, account.association_lead, set(account.roles.all())) == before
    event = AuditEvent.objects.filter(action="accounts.verify_association").latest("pk")
    assert event.details["lead"] is None


@pytest.mark.django_db
def test_the_verifier_is_told_that_no_account_was_opened() -> None:
    application = _application("chief.medina@demo.qurb.invalid", "GAP-PAGE")
    client = signed_in("cell.fes")
    response = client.post(
        reverse("neighbourhoods:association_decide", args=[application.pk]),
        {"decision": "verify"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "Aucun compte n’a été ouvert" in text, text[:3000]


@pytest.mark.django_db
def test_a_residents_account_still_becomes_the_lead() -> None:
    User.objects.filter(username="resident").update(email="omar@example.org")
    resident = User.objects.get(username="resident")
    application = _application("Omar@Example.org", "GAP-RESIDENT")
    association_verify(association=application, actor=User.objects.get(username="cell.fes"))
    resident.refresh_from_db()
    assert (resident.association_id, resident.association_lead) == (application.pk, True)
