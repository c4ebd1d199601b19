import pytest
from django.db import DatabaseError, connection, transaction

from qurb.accounts.models import Role, User
from qurb.accounts.services import role_grant, user_create
from qurb.audit.models import AuditEvent
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_action_and_its_audit_row_commit_or_roll_back_together() -> None:
    before_users, before_events = User.objects.count(), AuditEvent.objects.count()

    def create_then_crash() -> None:
        with transaction.atomic():
            user_create(username="ghost", password=None)
            raise RuntimeError("crash after the write")

    with pytest.raises(RuntimeError):
        create_then_crash()
    assert (User.objects.count(), AuditEvent.objects.count()) == (before_users, before_events)
    user = user_create(username="real", password=None)
    event = AuditEvent.objects.get(action="accounts.create_user", object_id=str(user.pk))
    assert event.object_type == "accounts.user"


def test_audit_records_who_what_which_object_and_area() -> None:
    actor = User.objects.get(username="admin")
    target = user_create(username="someone", password=None)
    from qurb.areas.models import Area

    area = Area.objects.get(code="032310107")
    role_grant(user=target, role=Role.DISTRICT_CHIEF, area=area, actor=actor)
    event = AuditEvent.objects.filter(action="accounts.grant_role").latest("id")
    assert (event.actor, event.actor_label, event.object_id, event.area_id) == (
        actor,
        "admin",
        str(target.pk),
        area.pk,
    )
    assert event.details == {"role": "district_chief"}
    assert event.occurred_at is not None


def test_application_cannot_change_or_delete_audit_events() -> None:
    event = AuditEvent.objects.first()
    assert event is not None
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().update(action="tampered")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()


@pytest.mark.parametrize(
    "sql", ["UPDATE audit_auditevent SET action = 'tampered'", "DELETE FROM audit_auditevent"]
)
def test_database_refuses_changes_to_the_audit_trail(sql: str) -> None:
    assert AuditEvent.objects.exists()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert not AuditEvent.objects.filter(action="tampered").exists()


def test_inspector_reads_the_audit_trail_and_a_district_chief_cannot() -> None:
    url = "/admin/audit/auditevent/"
    assert signed_in("inspector").get(url).status_code == 200
    assert signed_in("chief.medina").get(url).status_code == 302  # not admin staff: sent to log in
    event = AuditEvent.objects.first()
    assert event is not None
    inspector = signed_in("inspector")
    assert inspector.get(f"{url}{event.pk}/change/").status_code == 200  # read-only view
    assert inspector.post(f"{url}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
