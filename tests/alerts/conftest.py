from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from PIL import Image

from qurb.accounts.models import User
from qurb.alerts.models import AlertCase, CapMessage
from qurb.alerts.services import case_open, case_validate
from qurb.messaging.models import DistrictMessage
from tests.alerts.pushserver import PushServer

# Inside the Fès Médina district, in the first sector (officer.medina's).
SEEN = (34.0651, -4.9796)
ALL_CRITERIA = {
    "criteria_minor": True,
    "criteria_confirmed": True,
    "criteria_helpful": True,
    "criteria_safe": True,
}


@pytest.fixture(autouse=True)
def _loopback_push_service(settings: Any) -> None:
    """The tests' push endpoint runs on loopback: allow it, as a private push service would
    be allowed in QURB_ALERT_PUSH_HOSTS."""
    settings.ALERT_PUSH_HOSTS = [*settings.ALERT_PUSH_HOSTS, "127.0.0.1"]


@pytest.fixture(autouse=True)
def _demo_alerts_already_sent(request: pytest.FixtureRequest) -> None:
    """The shared demo data holds a published alert and automatic neighbourhood messages:
    their fan-outs ran long ago, so the subscribers a test creates are not on them."""
    if "django_db_setup" not in request.fixturenames and not request.node.get_closest_marker(
        "django_db"
    ):
        return
    request.getfixturevalue("db")
    CapMessage.objects.filter(fanned_out_at__isnull=True).update(
        fanout_started_at=timezone.now(), fanned_out_at=timezone.now()
    )
    DistrictMessage.objects.filter(fanned_out_at__isnull=True).update(
        fanout_started_at=timezone.now(), fanned_out_at=timezone.now()
    )


@pytest.fixture
def push_server() -> Iterator[PushServer]:
    server = PushServer()
    yield server
    server.close()


def jpeg() -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (60, 80), (90, 120, 200)).save(out, "JPEG")
    out.seek(0)
    return out


def open_case(**overrides: Any) -> AlertCase:
    fields: dict[str, Any] = {
        "actor": User.objects.get(username="officer.medina"),
        "child_first_name": "Adam",
        "child_age": 7,
        "description": "Petit garçon, cheveux courts bruns, 1,20 m.",
        "clothing": "Survêtement rouge",
        "places": "Le jardin Jnan Sbil",
        "photo": jpeg(),
        "last_seen_at": timezone.now() - timedelta(hours=1),
        "lat": SEEN[0],
        "lon": SEEN[1],
        "last_seen_place": "Bab Boujloud",
        "guardian_name": "Khadija Alaoui",
        "guardian_relation": "mother",
        "guardian_document": "cnie",
        "guardian_document_number": "C123456",
        "guardian_phone": "+212 600 000 001",
        "guardian_checked": True,
        "language": "fr",
    }
    fields.update(overrides)
    return case_open(**fields)


def publish(case: AlertCase) -> AlertCase:
    return case_validate(
        actor=User.objects.get(username="unit.fes"), case=case, approve=True, criteria=ALL_CRITERIA
    )
