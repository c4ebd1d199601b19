"""Gaps an adversarial review found in reports: duplicate candidates that ignored the
reader's grant, and moments (``occurred_at``) that crashed intake instead of being refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from qurb.accounts.mfa import totp_enrol
from qurb.accounts.models import Role, User
from qurb.accounts.services import role_grant, user_create
from qurb.areas.models import Area
from qurb.reports import rollup
from qurb.reports.models import Report, When
from qurb.reports.selectors import duplicate_candidates
from qurb.reports.services import ReportInput, report_submit
from qurb.web.guards.intake import pow_challenge, pow_solve
from tests.conftest import signed_in
from tests.reports.conftest import point_in

pytestmark = pytest.mark.django_db

MEDINA, MEDINA_S1, MEDINA_S2, AGDAL = "032310107", "032310107-S1", "032310107-S2", "032310101"


def _two_roles() -> User:
    """Chief of Agdal, and officer of the first sector of Fès-Médina only."""
    user = user_create(username="two.roles", password=None)
    role_grant(user=user, role=Role.DISTRICT_CHIEF, area=Area.objects.get(code=AGDAL))
    role_grant(user=user, role=Role.NEIGHBOURHOOD_OFFICER, area=Area.objects.get(code=MEDINA_S1))
    return User.objects.get(pk=user.pk)


def test_duplicate_candidates_are_only_reports_the_reader_may_read(
    make_report: Callable[..., Any],
) -> None:
    first = make_report(MEDINA_S1)
    same_sector = make_report(MEDINA_S1)
    # A report of the neighbouring sector of the same district, seen at the same place (near
    # the border): the sector's officer may not read it.
    other_sector = make_report(MEDINA_S1)
    Report.objects.filter(pk=other_sector.pk).update(area=Area.objects.get(code=MEDINA_S2))
    reader = _two_roles()

    found = {r.pk for r, _m, _t in duplicate_candidates(first, reader=reader)}

    assert same_sector.pk in found
    assert other_sector.pk not in found
    chief = User.objects.get(username="chief.medina")
    assert {same_sector.pk, other_sector.pk} <= {
        r.pk for r, _m, _t in duplicate_candidates(first, reader=chief)
    }
    # The report page offers the same candidates.
    totp_enrol(user=reader)
    page = signed_in("two.roles").get(reverse("reports:detail", args=[first.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert reverse("reports:detail", args=[same_sector.pk]) in text
    assert reverse("reports:detail", args=[other_sector.pk]) not in text


# --- occurred_at -------------------------------------------------------------------------------


def _input(occurred_at: datetime) -> ReportInput:
    lat, lon = point_in(MEDINA)
    return ReportInput(
        category="drugs",
        description="Des jeunes vendent du haschich devant l'école tous les jours",
        lat=lat,
        lon=lon,
        channel="api",
        when=When.MOMENT,
        occurred_at=occurred_at,
    )


def test_a_naive_moment_is_read_in_local_time() -> None:
    moment = (timezone.localtime() - timedelta(hours=2)).replace(tzinfo=None, microsecond=0)
    report, created = report_submit(data=_input(moment))
    assert created
    assert report.occurred_at == timezone.make_aware(moment)


@pytest.mark.parametrize(
    "moment",
    [
        datetime(1, 1, 1),  # noqa: DTZ001 (naive on purpose)
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59),  # noqa: DTZ001
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(1899, 12, 31, 12, tzinfo=UTC),
    ],
    ids=["year-1-naive", "year-1", "year-9999-naive", "year-9999", "1899"],
)
def test_a_moment_out_of_range_is_refused_with_a_message(moment: datetime) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        report_submit(data=_input(moment))
    assert "occurred_at" in refused.value.message_dict


def test_the_daily_counts_survive_a_moment_at_the_edge_of_time() -> None:
    received = timezone.now()
    edges = [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
    ]
    for moment in edges:
        seen = rollup.seen(when="moment", created_at=received, occurred_at=moment)
        assert seen.on == timezone.localtime(received).date()


@pytest.mark.parametrize(
    "occurred_at",
    ["2026-01-10T10:00:00", "0001-01-01T00:00:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59"],
)
def test_the_api_never_crashes_on_a_moment(occurred_at: str, settings: Any) -> None:
    settings.REPORT_POW_MAX_NUMBER = 300
    client = Client(raise_request_exception=False)
    lat, lon = point_in(MEDINA)
    data = {
        "category": "drugs",
        "description": "Des jeunes vendent du haschich devant l'école tous les jours",
        "lat": lat,
        "lon": lon,
        "when": "moment",
        "occurred_at": occurred_at,
        "altcha": pow_solve(pow_challenge()),
    }
    response = client.post(
        "/api/v1/reports",
        json.dumps(data),
        content_type="application/json",
        headers={"accept-language": "fr"},
    )
    if occurred_at.startswith("2026"):
        assert response.status_code == 201, response.content
    else:
        assert response.status_code == 400, response.content
        assert "occurred_at" in {e["field"] for e in response.json()["errors"]}
