"""The permission matrix: every staff URL, every role, inside and outside its area.

Outside their scope, staff get 404 (not 403), so that a report's existence does not leak.
"""

import io
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from PIL import Image

from qurb.accounts.models import User
from qurb.reports.models import Report, Status
from qurb.reports.services import ReportInput, report_submit
from tests.conftest import signed_in
from tests.reports.conftest import point_in

pytestmark = pytest.mark.django_db

READ = ["reports:queue", "reports:detail", "reports:photo", "reports:contact"]
WRITE = ["reports:status", "reports:assign", "reports:note", "reports:merge", "reports:classify"]
STAFF_AREA = "neighbourhoods:staff_area"
INSIGHTS = ["insights:dashboard", "insights:patrol"]  # their matrix: tests/insights
MEETINGS = [  # their matrix: tests/engagement/test_meeting_pages.py
    "neighbourhoods:meeting_new",
    "neighbourhoods:meeting_manage",
    "neighbourhoods:meeting_hold",
    "neighbourhoods:meeting_proposal",
    "neighbourhoods:meeting_answer",
    "neighbourhoods:meeting_action",
    "neighbourhoods:meeting_action_done",
    "neighbourhoods:priority_new",
    "neighbourhoods:priority_action",
    "neighbourhoods:priority_evidence",  # tests/engagement/test_association_space.py
    "neighbourhoods:proposal_answer",  # tests/engagement/test_association_space.py
    "neighbourhoods:survey_open",
    "neighbourhoods:association_queue",
    "neighbourhoods:association_decide",
    "neighbourhoods:association_document",  # tests/engagement/test_association_space.py
]
ALERTS = [  # their matrix: tests/alerts/test_cases.py and test_alert_pages.py
    "alerts:staff_list",
    "alerts:staff_new",
    "alerts:staff_case",
    "alerts:staff_photo",
    "alerts:staff_validate",
    "alerts:staff_update",
    "alerts:staff_close",
]

STAFF_HOME = "staff_home"  # its matrix: tests/web/test_staff_home.py
COMMUNICATION = [  # their matrix: tests/communication/test_staff_pages.py
    "communication:staff_events",
    "communication:staff_event",
    "communication:staff_event_edit",
    "communication:gate",
    "communication:live",
    "communication:staff_sessions",
    "communication:staff_news",
    "communication:staff_article_move",
    "communication:staff_newsletter",
    "communication:staff_edition",  # tests/communication/test_area_newsletters.py
    "communication:yearly_publish",  # tests/messaging/test_automatic_news.py
]

MESSAGING = [  # their matrix: tests/messaging/test_pages.py
    "messaging:staff_list",
    "messaging:staff_new",
    "messaging:staff_message",
    "messaging:staff_action",
]

# What each account may do with a report in the Fès Médina district (inside its first sector).
READERS = {"chief.medina", "officer.medina", "analyst", "admin"}
CONTACT_READERS = {"chief.medina", "officer.medina"}
WRITERS = {"chief.medina", "officer.medina"}
ASSIGNERS = {"chief.medina"}
TRIAGE_ELSEWHERE = {"chief.agdal", "officer.agdal", "chief.meknes"}
ACCOUNTS = [
    "chief.medina",
    "officer.medina",
    "chief.agdal",
    "officer.agdal",
    "chief.meknes",
    "cell.fes",
    "analyst",
    "admin",
    "inspector",
    "association",
    "resident",
]


def staff_route_names() -> set[str]:
    """Every named URL whose path starts with staff/ (a new one must join this matrix)."""
    found: set[str] = set()

    def walk(patterns: list[Any], prefix: str, namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern) and (prefix + str(p.pattern)).startswith("staff/"):
                found.add(f"{namespace}{p.name}")

    walk(get_resolver().url_patterns, "", "")
    return found


def test_matrix_covers_every_staff_url() -> None:
    assert staff_route_names() == {
        *READ,
        *WRITE,
        STAFF_AREA,
        *INSIGHTS,
        *MEETINGS,
        *ALERTS,
        *COMMUNICATION,
        *MESSAGING,
        STAFF_HOME,
    }


def _png() -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), (0, 90, 60)).save(out, format="PNG")
    out.seek(0)
    return out


@pytest.fixture
def medina_report() -> tuple[Report, Report]:
    lat, lon = point_in("032310107")
    base: dict[str, Any] = {"lat": lat, "lon": lon, "channel": "web", "category": "drugs"}
    report, _ = report_submit(
        data=ReportInput(
            **base,
            description="Vente de drogue devant le collège",
            anonymous=False,
            contact_phone="+212611111111",
            photos=[_png()],
        )
    )
    other, _ = report_submit(data=ReportInput(**base, description="Même dealer, même endroit"))
    return report, other


def _url(name: str, report: Report, other: Report) -> str:
    if name == "reports:queue":
        return reverse(name) + f"?status=all&category={report.category}"
    if name == "reports:photo":
        return reverse(name, args=[report.pk, report.photos.get().pk])
    return reverse(name, args=[report.pk])


def _post_data(name: str, other: Report) -> dict[str, Any]:
    officer = User.objects.get(username="officer.medina")
    data: dict[str, dict[str, Any]] = {
        "reports:status": {"to_status": "acknowledged", "public_note": "Reçu"},
        "reports:assign": {"officer": officer.pk},
        "reports:note": {"text": "note privée"},
        "reports:merge": {"into": other.pk},
        "reports:classify": {"category": "weapons", "flags": ["weapon"]},
    }
    return data[name]


@pytest.mark.parametrize("username", ACCOUNTS)
@pytest.mark.parametrize("name", READ)
def test_reads(username: str, name: str, medina_report: tuple[Report, Report]) -> None:
    report, other = medina_report
    response = signed_in(username).get(_url(name, report, other))
    allowed = CONTACT_READERS if name == "reports:contact" else READERS
    if name == "reports:queue":
        body = response.content.decode()
        listed = f'data-report="{report.pk}"' in body
        # Every triage role has a queue of its own; the report shows only in scope.
        expected_status = 200 if username in READERS | TRIAGE_ELSEWHERE else 404
        assert response.status_code == expected_status, username
        assert listed == (username in READERS), username
        return
    assert response.status_code == (200 if username in allowed else 404), (username, name)


@pytest.mark.parametrize("username", ACCOUNTS)
@pytest.mark.parametrize("name", WRITE)
def test_writes(username: str, name: str, medina_report: tuple[Report, Report]) -> None:
    report, other = medina_report
    before = (report.status, report.assigned_to_id, report.notes.count(), report.category)
    response = signed_in(username).post(_url(name, report, other), _post_data(name, other))
    allowed = ASSIGNERS if name == "reports:assign" else WRITERS
    report.refresh_from_db()
    after = (report.status, report.assigned_to_id, report.notes.count(), report.category)
    if username in allowed:
        assert response.status_code == 302, (username, name)
        assert after != before, (username, name)
    else:
        assert response.status_code == 404, (username, name)
        assert after == before, (username, name)


@pytest.mark.parametrize("name", READ + WRITE)
def test_signed_out_is_sent_to_sign_in(name: str, medina_report: tuple[Report, Report]) -> None:
    report, other = medina_report
    url = _url(name, report, other)
    response = Client().post(url) if name in WRITE else Client().get(url)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_staff_without_second_factor_see_nothing(medina_report: tuple[Report, Report]) -> None:
    report, other = medina_report
    response = signed_in("chief.medina", verified=False).get(_url("reports:detail", report, other))
    assert response.status_code == 302
    assert "mfa" in response["Location"]
    assert report.status == Status.RECEIVED
