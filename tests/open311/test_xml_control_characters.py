"""Text XML 1.0 cannot carry (C0 controls, U+FFFE/U+FFFF, lone surrogates) never breaks XML."""

import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test import Client

from qurb.reports.models import Report
from qurb.web.open311.formats import xml_body
from tests.open311.conftest import Partner
from tests.open311.helpers import request_form

pytestmark = pytest.mark.django_db

ROOT = "/open311/v2"
# Every C0 control XML 1.0 forbids. NUL only where the database can hold it: PostgreSQL
# refuses it in text (and Qurb refuses it at the door, web/guards/params.py).
FIRST = 0x00 if connection.vendor == "sqlite" else 0x01
BAD = "".join(chr(c) for c in [*range(FIRST, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])


def parse(content: bytes) -> ET.Element:
    return ET.fromstring(content)  # noqa: S314 - our own output


def test_requests_xml_parses_with_control_characters_in_a_report(partner: Partner) -> None:
    response = Client().post(f"{ROOT}/requests.json", request_form(partner.key))
    assert response.status_code == 201, response.content.decode()[:500]
    report = Report.objects.get(tracking_code=response.json()[0]["service_request_id"])
    # As an older import or a direct database write could have left them.
    Report.objects.filter(pk=report.pk).update(
        description=f"Vente{BAD} devant\tl'école\uffff\ufffe\nà midi",
        address=f"Bab{BAD[0]} Boujloud\x1b",
    )

    listed = Client().get(f"{ROOT}/requests.xml", {"api_key": partner.key})
    assert listed.status_code == 200
    root = parse(listed.content)  # raises on any character XML 1.0 forbids
    (request,) = [r for r in root if r.findtext("service_request_id") == report.tracking_code]
    assert request.findtext("description") == "Vente devant\tl'école\nà midi"
    assert request.findtext("address") == "Bab Boujloud"

    one = Client().get(f"{ROOT}/requests/{report.tracking_code}.xml", {"api_key": partner.key})
    assert parse(one.content).findtext("request/description") == ("Vente devant\tl'école\nà midi")


def test_lone_surrogates_are_dropped() -> None:
    body = xml_body("errors", [{"code": 400, "description": "bad\ud800 text\udfff ok"}])
    assert parse(body).findtext("error/description") == "bad text ok"
