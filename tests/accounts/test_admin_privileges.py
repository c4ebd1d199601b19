"""The Django admin cannot change privileges by hand: only the audited services do."""

import pytest
from django.urls import reverse

from qurb.accounts.models import User
from qurb.audit.models import AuditEvent
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def _change_form_data(user: User, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "display_name": user.display_name,
        "preferred_language": user.preferred_language,
        "roles-TOTAL_FORMS": "0",
        "roles-INITIAL_FORMS": "0",
        "roles-MIN_NUM_FORMS": "0",
        "roles-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_admin_cannot_make_someone_superuser_or_staff_by_hand() -> None:
    resident = User.objects.get(username="resident")
    client = signed_in("admin")
    url = reverse("admin:accounts_user_change", args=[resident.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="is_superuser"' not in page.content
    assert b'name="is_staff"' not in page.content
    assert b'name="groups"' not in page.content
    before = AuditEvent.objects.count()
    response = client.post(
        url,
        _change_form_data(
            resident,
            is_superuser="on",
            is_staff="on",
            is_active="",
            email="new.address@example.org",
        ),
    )
    assert response.status_code == 302, response.content[:2000]
    resident.refresh_from_db()
    assert (resident.is_superuser, resident.is_staff, resident.is_active) == (False, False, True)
    assert resident.email == "new.address@example.org"
    events = list(AuditEvent.objects.order_by("id")[before:])
    assert [e.action for e in events] == ["accounts.update_user"]
    assert events[0].actor_label == "admin"
    assert set(events[0].details["changes"]) == {"email"}
    assert events[0].details["changes"]["email"]["new"] == "new.address@example.org"


def test_admin_disables_an_account_through_the_audited_service() -> None:
    client = signed_in("admin")
    target = User.objects.get(username="officer.agdal")
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "disable", "_selected_action": [str(target.pk)]},
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert not target.is_active
    event = AuditEvent.objects.filter(action="accounts.disable_user").latest("id")
    assert (event.actor_label, event.object_id) == ("admin", str(target.pk))


def test_groups_are_not_offered_in_the_admin() -> None:
    client = signed_in("admin")
    assert client.get("/admin/auth/group/").status_code == 404
