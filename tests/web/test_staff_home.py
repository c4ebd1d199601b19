"""The staff home (/staff/): the work waiting for each role, each block over the areas where
the role that gives it applies, each figure leading to the tool filtered to match."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from qurb.accounts.models import User
from qurb.engagement.models import Meeting
from qurb.engagement.services import meeting_hold
from qurb.reports.models import OPEN_STATUSES, Report
from tests.alerts.conftest import open_case
from tests.conftest import signed_in
from tests.web.test_staff_nav import two_roles

pytestmark = pytest.mark.django_db

NEXT = "الاجتماع العمومي الشهري مع سكان فاس المدينة (تجريبي)"
UNCLOSED = "لقاء مع تجار سوق العطارين (تجريبي)"


def page(client: Client) -> str:
    response = client.get("/staff/")
    assert response.status_code == 200
    return response.content.decode()


def blocks(html: str) -> set[str]:
    return set(re.findall(r'<section class="card work-block" id="([\w-]+)"', html))


def block(html: str, block_id: str) -> str:
    found = re.search(rf'<section class="card work-block" id="{block_id}".*?</section>', html, re.S)
    assert found, f"no block {block_id}"
    return found.group(0)


def figure(html: str, link_id: str) -> tuple[int, str]:
    """A figure of the reports block and the address it links to."""
    found = re.search(rf'<a href="([^"]+)" id="{link_id}"><span class="figure">(\d+)</span>', html)
    assert found, f"no figure {link_id}"
    return int(found.group(2)), found.group(1).replace("&amp;", "&")


EXPECTED_BLOCKS = {
    "chief.medina": {
        "work-reports",
        "work-alerts",
        "work-meetings",
        "work-priorities",
        "work-events",
        "work-sessions",
        "work-messages",
        "areas",
        "work-insights",
    },
    "officer.medina": {
        "work-reports",
        "work-alerts",
        "work-meetings",
        "work-priorities",
        "work-events",
        "work-sessions",
        "areas",
    },
    "cell.fes": {
        "work-associations",
        "work-meetings",
        "work-events",
        "work-sessions",
        "work-news",
        "work-messages",
        "areas",
    },
    "unit.fes": {"work-validate"},
    "analyst": {"areas", "work-insights"},
    "inspector": {"work-audit"},
    "admin": {
        "work-associations",
        "work-events",
        "work-sessions",
        "work-news",
        "areas",
        "work-insights",
        "work-audit",
    },
}


@pytest.mark.parametrize("username", list(EXPECTED_BLOCKS))
def test_each_role_sees_the_blocks_of_its_capabilities(username: str) -> None:
    assert blocks(page(signed_in(username))) == EXPECTED_BLOCKS[username]


def test_residents_have_no_staff_home_and_signed_out_visitors_sign_in_first() -> None:
    assert signed_in("resident").get("/staff/").status_code == 404
    assert signed_in("association").get("/staff/").status_code == 404
    response = Client().get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("link_id", ["reports-new", "reports-urgent", "reports-mine"])
def test_each_report_figure_opens_the_queue_showing_as_many(link_id: str) -> None:
    chief = User.objects.get(username="chief.medina")
    Report.objects.filter(district__code="032310107", status="received").update(assigned_to=chief)
    client = signed_in("chief.medina")
    count, url = figure(page(client), link_id)
    assert count > 0, "the demo has new, urgent and assigned reports in Fès-Médina"
    queue = client.get(url)
    assert queue.status_code == 200
    assert queue.context["total"] == count


def test_the_report_figures_count_the_districts_open_reports() -> None:
    html = page(signed_in("chief.medina"))
    mine = Report.objects.filter(
        district__code="032310107", is_synthetic=False, status__in=OPEN_STATUSES
    )
    assert figure(html, "reports-new")[0] == mine.filter(status="received").count()
    urgent = mine.filter(flag_weapon=True) | mine.filter(flag_in_progress=True)
    assert figure(html, "reports-urgent")[0] == urgent.count()


def test_a_case_waits_for_the_prefectures_unit_and_the_districts_chief_follows_it() -> None:
    before = block(page(signed_in("unit.fes")), "work-validate")
    case = open_case(child_first_name="Rim")
    validate = block(page(signed_in("unit.fes")), "work-validate")
    assert f"/staff/alerts/{case.pk}/" in validate
    assert "Rim" in validate
    assert f"/staff/alerts/{case.pk}/" not in before
    assert f"/staff/alerts/{case.pk}/" in block(page(signed_in("chief.medina")), "work-alerts")
    assert f"/staff/alerts/{case.pk}/" not in page(signed_in("chief.meknes"))
    # The officer who opened it does not validate it, but follows it.
    assert "work-validate" not in blocks(page(signed_in("officer.medina")))
    assert f"/staff/alerts/{case.pk}/" in block(page(signed_in("officer.medina")), "work-alerts")


def test_the_chief_holds_the_next_meeting_and_closes_the_last_one() -> None:
    html = block(page(signed_in("chief.medina")), "work-meetings")
    coming = Meeting.objects.get(title_ar=NEXT)
    unclosed = Meeting.objects.get(title_ar=UNCLOSED)
    assert f"/staff/meetings/{coming.pk}/" in re.search(
        r'id="meetings-coming".*?</ul>', html, re.S
    ).group(0)  # type: ignore[union-attr]
    assert f"/staff/meetings/{unclosed.pk}/" in re.search(
        r'id="meetings-to-close".*?</ul>', html, re.S
    ).group(0)  # type: ignore[union-attr]
    meeting_hold(
        meeting=unclosed,
        attended=[],
        minutes="Compte rendu.",
        actor=User.objects.get(username="chief.medina"),
    )
    html = block(page(signed_in("chief.medina")), "work-meetings")
    assert 'id="meetings-to-close"' not in html
    # The Meknès chief holds none of the Fès-Médina meetings.
    meknes = page(signed_in("chief.meknes"))
    assert f"/staff/meetings/{coming.pk}/" not in meknes


def test_the_cell_verifies_its_prefectures_associations_only() -> None:
    fes = block(page(signed_in("cell.fes")), "work-associations")
    assert "Zouagha" in fes or "زواغة" in fes
    meknes = block(page(signed_in("cell.meknes")), "work-associations")
    assert "Zouagha" not in meknes
    assert "زواغة" not in meknes


def test_two_roles_each_block_over_the_areas_of_its_own_role() -> None:
    """Alert validator over the Fès prefecture and district chief of Meknès: the reports and
    meetings are Meknès's, the cases to validate are Fès's."""
    user = two_roles()
    case = open_case(child_first_name="Rim")
    client = signed_in(user.username)
    html = page(client)
    assert blocks(html) == EXPECTED_BLOCKS["chief.medina"] | {"work-validate"}
    reports = block(html, "work-reports")
    assert "مكناس" in reports
    assert "فاس" not in reports
    meknes_chief = page(signed_in("chief.meknes"))
    for link_id in ("reports-new", "reports-urgent"):
        assert figure(html, link_id)[0] == figure(meknes_chief, link_id)[0]
    validate = block(html, "work-validate")
    assert f"/staff/alerts/{case.pk}/" in validate
    assert "فاس" in validate
    # The Fès case is to validate, not to follow: the chief's role is in Meknès.
    assert f"/staff/alerts/{case.pk}/" not in block(html, "work-alerts")
    for meeting in Meeting.objects.filter(area__code="032310107"):
        assert f"/staff/meetings/{meeting.pk}/" not in html
    areas = block(html, "areas")
    assert areas.count("/staff/areas/") == 1
    assert "مكناس" in areas


def test_staff_land_on_their_home_after_signing_in_and_residents_where_they_were() -> None:
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": "chief.medina", "password": "qurb-demo-2026"}
    )
    assert response["Location"] == "/staff/"
    # The second factor comes first, then the home.
    assert client.get("/staff/")["Location"] == "/accounts/mfa/?next=%2Fstaff%2F"
    response = Client().post(
        "/accounts/login/",
        {"username": "chief.medina", "password": "qurb-demo-2026", "next": "/news/"},
    )
    assert response["Location"] == "/news/"
    response = Client().post(
        "/accounts/login/", {"username": "resident", "password": "qurb-demo-2026"}
    )
    assert response["Location"] == "/"
    response = Client().post(
        "/accounts/login/",
        {"username": "resident", "password": "qurb-demo-2026", "next": "/track/"},
    )
    assert response["Location"] == "/track/"


def test_the_staff_home_counts_nothing_outside_the_grant() -> None:
    """A report in Meknès does not count for the Fès-Médina chief, and the reverse."""
    medina = figure(page(signed_in("chief.medina")), "reports-new")[0]
    meknes = figure(page(signed_in("chief.meknes")), "reports-new")[0]
    report = (
        Report.objects.filter(district__code="030610101", is_synthetic=False)
        .exclude(status="received")
        .first()
    )
    assert report is not None
    Report.objects.filter(pk=report.pk).update(status="received", created_at=timezone.now())
    assert figure(page(signed_in("chief.medina")), "reports-new")[0] == medina
    assert figure(page(signed_in("chief.meknes")), "reports-new")[0] == meknes + 1
