import pytest
from django.test import Client
from django.urls import reverse

from qurb.accounts.models import Role, RoleAssignment, User
from qurb.accounts.services import role_grant, role_revoke, user_create

pytestmark = pytest.mark.django_db


def test_superuser_without_a_role_still_needs_the_second_factor() -> None:
    user = User.objects.create_superuser("root", "root@example.org", "a-long-pass-phrase-2026")
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:mfa"))


def test_admin_flags_follow_the_roles() -> None:
    user = user_create(username="flags", password=None)
    role_grant(user=user, role=Role.INSPECTOR)
    assert (user.is_staff, user.is_superuser) == (True, False)
    role_grant(user=user, role=Role.ADMINISTRATOR)
    assert (user.is_staff, user.is_superuser) == (True, True)
    role_revoke(assignment=RoleAssignment.objects.get(user=user, role=Role.ADMINISTRATOR))
    user.refresh_from_db()
    assert (user.is_staff, user.is_superuser) == (True, False)
    role_revoke(assignment=RoleAssignment.objects.get(user=user, role=Role.INSPECTOR))
    user.refresh_from_db()
    assert (user.is_staff, user.is_superuser) == (False, False)
