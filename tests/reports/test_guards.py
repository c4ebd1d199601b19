"""Intake guards and privacy rules that are not a journey of their own."""

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from qurb.reports.apikeys import api_key_authenticate
from qurb.reports.models import ApiKey, Report
from qurb.reports.services import ReportInput, api_key_create, report_submit
from qurb.web.api import api
from tests.conftest import signed_in
from tests.reports.conftest import point_in

pytestmark = pytest.mark.django_db


def test_oversized_request_is_refused_before_reading(settings: Any) -> None:
    settings.REQUEST_MAX_BYTES = 1000
    with translation.override("fr"):
        response = Client().post(
            reverse("reports:new"), {"description": "x" * 5000}, HTTP_ACCEPT_LANGUAGE="fr"
        )
    assert response.status_code == 413
    assert "trop" in response.content.decode().lower()


def test_apikey_command_prints_the_key_alone_on_its_last_line() -> None:
    out = StringIO()
    call_command("apikey", "create", "Association Amal", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    record = api_key_authenticate(key)
    assert record is not None
    assert record.name == "Association Amal"
    assert key not in {k.key_hash for k in ApiKey.objects.all()}  # only a hash is kept
    call_command("apikey", "revoke", record.prefix, stdout=StringIO())
    assert api_key_authenticate(key) is None


def test_photo_is_served_to_staff_with_nosniff(make_report: Any) -> None:
    from tests.reports.test_permissions import _png

    lat, lon = point_in("032310107")
    report, _ = report_submit(
        data=ReportInput(
            category="vandalism",
            description="Poubelles brûlées chaque samedi soir",
            lat=lat,
            lon=lon,
            channel="web",
            photos=[_png()],
        )
    )
    photo = report.photos.get()
    response = signed_in("chief.medina").get(reverse("reports:photo", args=[report.pk, photo.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


def test_reporter_identity_never_public() -> None:
    lat, lon = point_in("032310107")
    report, _ = report_submit(
        data=ReportInput(
            category="harassment",
            description="Un homme suit les collégiennes chaque soir",
            lat=lat,
            lon=lon,
            channel="web",
            anonymous=False,
            contact_name="Khadija Identifiable",
            contact_phone="+212677777777",
            contact_email="khadija@example.org",
            updates_email="khadija.updates@example.org",
        )
    )
    client = Client()
    public = [
        client.get(reverse("reports:track", args=[report.tracking_code])),
        client.get(f"/api/v1/reports/{report.tracking_code}"),
        client.get(f"/open311/v2/requests/{report.tracking_code}.json"),
        client.get(f"/open311/v2/requests/{report.tracking_code}.xml"),
        client.get("/"),
    ]
    for response in public:
        body = response.content.decode()
        assert response.status_code == 200
        for secret in ("Identifiable", "677777777", "khadija"):
            assert secret not in body


def test_every_api_operation_is_classified() -> None:
    """A new API operation must be placed here: public by design, or scoped to a partner key."""
    schema = api.get_openapi_schema()
    operations = {
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    public_reads = {
        "GET /api/v1/areas/locate",
        "GET /api/v1/neighbourhoods/{area_id}",
        "GET /api/v1/neighbourhoods/{area_id}/boundary",
        "GET /api/v1/neighbourhoods/{area_id}/people",
        "GET /api/v1/neighbourhoods/{area_id}/events",
        "GET /api/v1/neighbourhoods/{area_id}/priorities",
        "GET /api/v1/reports/challenge",
        "GET /api/v1/reports/{tracking_code}",  # the bearer of the code only
    }
    guarded = {"POST /api/v1/reports", "GET /api/v1/reports"}
    assert operations == public_reads | guarded, operations ^ (public_reads | guarded)


def test_partner_sees_only_its_own_reports() -> None:
    _a, key_a = api_key_create(name="A")
    _b, key_b = api_key_create(name="B")
    lat, lon = point_in("032310101")
    body = {
        "category": "road",
        "description": "Motos à grande vitesse devant le lycée",
        "lat": lat,
        "lon": lon,
    }
    client = Client()
    made = client.post(
        "/api/v1/reports", json.dumps(body), content_type="application/json", HTTP_X_API_KEY=key_a
    )
    assert made.status_code == 201
    code = made.json()["tracking_code"]
    assert [
        r["tracking_code"] for r in client.get("/api/v1/reports", HTTP_X_API_KEY=key_a).json()
    ] == [code]
    assert client.get("/api/v1/reports", HTTP_X_API_KEY=key_b).json() == []
    listed_b = client.get("/open311/v2/requests.json", {"api_key": key_b}).json()
    assert code not in json.dumps(listed_b)
    assert Report.objects.get(tracking_code=code).api_key is not None
