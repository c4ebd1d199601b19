"""Open311 dates at the edges of time, naive or not, are refused with a message, never a
crash."""

from __future__ import annotations

import pytest
from django.test import Client

from qurb.reports.models import Report
from tests.open311.conftest import Partner
from tests.open311.helpers import errors, request_form

pytestmark = pytest.mark.django_db

ROOT = "/open311/v2"
EDGES = ["0001-01-01T00:00:00", "0001-01-01", "9999-12-31T23:59:59Z", "9999-12-31"]


@pytest.mark.parametrize("moment", EDGES)
@pytest.mark.parametrize("name", ["start_date", "end_date"])
def test_request_filters_at_the_edges_of_time_are_refused(
    name: str, moment: str, partner: Partner
) -> None:
    client = Client(raise_request_exception=False)
    response = client.get(f"{ROOT}/requests.json", {"api_key": partner.key, name: moment})
    assert response.status_code == 400, response.content[:500]
    assert errors(response, "json", 400)


@pytest.mark.parametrize("moment", [*EDGES, "2026-01-10T10:00:00"])
def test_occurred_at_at_the_edges_of_time_is_refused(moment: str, partner: Partner) -> None:
    client = Client(raise_request_exception=False)
    form = request_form(
        partner.key,
        **{
            "attribute[when]": "moment",
            "attribute[occurred_at]": moment,
            "attribute[recurrence_days]": None,
        },
    )
    response = client.post(f"{ROOT}/requests.json", form)
    if moment.startswith("2026"):  # naive: read in local time
        assert response.status_code == 201, response.content[:500]
    else:
        assert response.status_code == 400, response.content[:500]
        assert not Report.objects.filter(api_key=partner.record).exists()
