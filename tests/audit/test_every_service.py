import time
import pytest
from qurb.accounts.models import User
from qurb.audit.models import AuditEvent


@pytest.mark.django_db(transaction=True)
def test_a() -> None:
    assert User.objects.filter(username="admin").exists()


@pytest.mark.django_db
def test_b() -> None:
    assert User.objects.filter(username="admin").exists(), AuditEvent.objects.count()
