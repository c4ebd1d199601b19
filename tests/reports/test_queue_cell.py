"""The triage queue filtered to one hexagon (the links of hotspots and patrol windows): only
the reports inside it, never beyond the reader's grant (a user with two roles included), and
a value that is not a hexagon is explained, never a server error."""

from __future__ import annotations

import re
from typing import Any

import h3
import pytest
from django.conf import settings
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from qurb.accounts.models import Role, User
from qurb.accounts.services import role_grant, user_create
from qurb.areas.models import Area
from qurb.reports import rollup
from qurb.reports.models import Report
from qurb.reports.selectors import QueueFilters, triage_queue
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

MEDINA, AGDAL, MEKNES, FES_PREFECTURE = "032310107", "032310101", "030610101", "03.231"


def _hexagon(report: Report, resolution: int | None = None) -> str:
    assert report.h3_cell is not None
    cell = rollup.parent_of(report.h3_cell, resolution or settings.HOTSPOT_H3_RESOLUTION)
    return str(h3.int_to_str(cell))


def _listed(body: str) -> set[int]:
    return {int(n) for n in re.findall(r'data-report="(\d+)"', body)}


def _inside(report: Report, index: str) -> bool:
    low, high = rollup.cell_range(int(h3.str_to_int(index)))
    return report.h3_cell is not None and low <= report.h3_cell <= high


def _two_roles(name: str, *held: tuple[Role, str]) -> User:
    user = user_create(username=name, password=None)
    for role, code in held:
        role_grant(user=user, role=role, area=Area.objects.get(code=code))
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return User.objects.get(pk=user.pk)


@pytest.fixture
def three(make_report: Any) -> dict[str, Report]:
    return {code: make_report(code, category="road") for code in (MEDINA, AGDAL, MEKNES)}


def test_the_service_keeps_the_reports_of_the_hexagon_within_the_grant(
    three: dict[str, Report],
) -> None:
    chief = User.objects.get(username="chief.medina")
    medina = three[MEDINA]
    cell = rollup.cell_from_text(_hexagon(medina))
    assert cell is not None
    found = list(triage_queue(chief, QueueFilters(cell=cell, status="all")))
    assert medina in found
    assert all(_inside(r, _hexagon(medina)) for r in found)
    agdal_cell = rollup.cell_from_text(_hexagon(three[AGDAL]))
    assert list(triage_queue(chief, QueueFilters(cell=agdal_cell, status="all"))) == []
    # A coarse hexagon around all of Fès: still only what the chief may read.
    wide = rollup.cell_from_text(_hexagon(medina, 4))
    assert {r.district.code for r in triage_queue(chief, QueueFilters(cell=wide))} <= {MEDINA}


def test_a_user_with_two_roles_sees_each_hexagon_only_where_a_role_reads_reports(
    three: dict[str, Report],
) -> None:
    # Chief of Fès-Médina and of a Meknès district: both hexagons open, Agdal's stays closed.
    both = _two_roles("two.chiefs", (Role.DISTRICT_CHIEF, MEDINA), (Role.DISTRICT_CHIEF, MEKNES))
    client = signed_in(both.username)
    queue = reverse("reports:queue")
    for code in (MEDINA, MEKNES):
        page = client.get(queue, {"cell": _hexagon(three[code]), "status": "all"})
        assert page.status_code == 200
        listed = _listed(page.content.decode())
        assert three[code].pk in listed
        assert all(_inside(Report.objects.get(pk=pk), _hexagon(three[code])) for pk in listed)
    closed = client.get(queue, {"cell": _hexagon(three[AGDAL]), "status": "all"})
    assert closed.status_code == 200
    assert _listed(closed.content.decode()) == set()
    # Chief of Fès-Médina and alert validator over the whole Fès prefecture: the validation
    # role covers Agdal, but it reads no reports there, so the hexagon shows nothing.
    mixed = _two_roles(
        "chief.and.validator",
        (Role.DISTRICT_CHIEF, MEDINA),
        (Role.ALERT_VALIDATOR, FES_PREFECTURE),
    )
    client = signed_in(mixed.username)
    agdal = client.get(queue, {"cell": _hexagon(three[AGDAL]), "status": "all"})
    assert agdal.status_code == 200
    assert _listed(agdal.content.decode()) == set()
    assert three[AGDAL].tracking_code not in agdal.content.decode()
    wide = client.get(queue, {"cell": _hexagon(three[MEDINA], 4), "status": "all"})
    shown = Report.objects.filter(pk__in=_listed(wide.content.decode()))
    assert three[MEDINA] in shown
    assert {r.district.code for r in shown} == {MEDINA}


def test_the_page_names_the_hexagon_and_offers_the_whole_queue(three: dict[str, Report]) -> None:
    medina = three[MEDINA]
    page = signed_in("chief.medina").get(
        reverse("reports:queue"),
        {"cell": _hexagon(medina).upper(), "status": "all", "category": "road"},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="queue-cell"' in body
    assert medina.area.name_fr in body.split('id="queue-cell"')[1].split("</p>")[0]
    whole = re.search(r'id="queue-cell">.*?<a href="([^"]+)"', body, re.S)
    assert whole is not None
    assert "cell=" not in whole.group(1)
    assert "category=road" in whole.group(1)


BAD_CELLS = [
    "zzz",
    "not-a-hexagon",
    "0",
    "-1",
    "8",
    "123abc",  # hexadecimal, but no H3 cell
    "8f2830828052d25" + "0" * 17,  # too long
    "9" * 40,
    "' OR 1=1 --",
    "%00",
    "٨٩٣٨٣٦١٤٩٧٧ffff",  # Arabic-Indic digits
    "89383614977ffff/..",
    str(1 << 64),
]


@pytest.mark.parametrize("language", ["ar", "fr", "en"])
def test_a_value_that_is_not_a_hexagon_is_explained_and_lists_nothing(
    three: dict[str, Report], language: str
) -> None:
    client = signed_in("chief.medina")
    for raw in BAD_CELLS:
        page = client.get(
            reverse("reports:queue"), {"cell": raw, "status": "all"}, HTTP_ACCEPT_LANGUAGE=language
        )
        assert page.status_code == 400, raw
        body = page.content.decode()
        assert 'id="queue-errors"' in body, raw
        assert 'role="alert"' in body, raw
        assert _listed(body) == set(), raw
        if language == "en":
            assert "This is not a hexagon of the map" in body, raw
        else:
            assert "This is not a hexagon of the map" not in body, (language, raw)
    # A NUL character is refused by the request guards before the page: a 400 all the same.
    assert client.get(reverse("reports:queue"), {"cell": "8\x00"}).status_code == 400
    assert rollup.cell_from_text("8\x00") is None
    # An empty value is no filter at all.
    assert client.get(reverse("reports:queue"), {"cell": " "}).status_code == 200


def test_cell_from_text_reads_the_index_in_both_forms() -> None:
    index = "89383614977ffff"
    as_int = int(h3.str_to_int(index))
    assert rollup.cell_from_text(index) == as_int
    assert rollup.cell_from_text(f"  {index.upper()} ") == as_int
    assert rollup.cell_from_text(str(as_int)) == as_int
    for raw in BAD_CELLS:
        assert rollup.cell_from_text(raw) is None, raw
