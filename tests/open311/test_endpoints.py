"""Open311 GeoReport v2 through the Django test client, every endpoint in JSON and XML."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client, override_settings
from django.utils import timezone, translation
from PIL import Image

from qurb.reports.limits import Limit
from qurb.reports.models import (
    Category,
    Channel,
    Flag,
    Photo,
    Report,
    ReporterContact,
    Status,
    StatusChange,
    When,
)
from qurb.reports.services import ReportInput, report_submit
from tests.open311.conftest import Partner
from tests.open311.helpers import (
    CONTENT_TYPES,
    DESCRIPTION,
    FORMATS,
    MEDINA,
    body,
    errors,
    off_centre,
    request_form,
)
from tests.reports.conftest import point_in

pytestmark = pytest.mark.django_db

ROOT = "/open311/v2"


def submit(client: Client, fmt: str, data: dict[str, Any], **headers: Any) -> Any:
    return client.post(f"{ROOT}/requests.{fmt}", data, headers=headers)


def submitted(client: Client, fmt: str, partner: Partner, **extra: Any) -> dict[str, str]:
    response = submit(client, fmt, request_form(partner.key, **extra))
    assert response.status_code == 201, response.content.decode()[:1000]
    (row,) = body(response, fmt, "service_requests")
    return dict(row)


def jpeg() -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 120, 200)).save(out, format="JPEG")
    out.seek(0)
    out.name = "IMG_2041.jpg"
    return out


# --- discovery and services -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_points_at_this_endpoint(fmt: str) -> None:
    response = Client().get(f"{ROOT}/discovery.{fmt}")
    assert response.status_code == 200
    doc = body(response, fmt, "discovery")
    assert doc["changeset"]
    assert doc["contact"]
    assert doc["key_service"]
    (endpoint,) = doc["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2/"
    assert endpoint["formats"] == ["text/xml", "application/json"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_one_per_category(fmt: str) -> None:
    response = Client().get(f"{ROOT}/services.{fmt}")
    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPES[fmt]
    services = body(response, fmt, "services")
    assert [s["service_code"] for s in services] == Category.values
    for service in services:
        assert service["metadata"] == "true"
        assert service["type"] == "realtime"
        assert service["service_name"]
        assert service["description"]
        assert service["keywords"]
        assert service["group"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("language", ["fr", "ar", "en"])
def test_service_names_follow_locale_or_accept_language(fmt: str, language: str) -> None:
    with translation.override(language):
        expected = str(Category.DRUGS.label)
    by_param = Client().get(f"{ROOT}/services.{fmt}", {"locale": language})
    by_header = Client().get(f"{ROOT}/services.{fmt}", headers={"accept-language": language})
    for response in (by_param, by_header):
        assert body(response, fmt, "services")[0]["service_name"] == expected
        assert response["Content-Language"] == language
    # A locale the site does not speak falls back to the caller's language.
    fallback = Client().get(
        f"{ROOT}/services.{fmt}", {"locale": "de_DE"}, headers={"accept-language": language}
    )
    assert body(fallback, fmt, "services")[0]["service_name"] == expected


def test_locale_accepts_region_variants() -> None:
    with translation.override("fr"):
        expected = str(Category.THEFT.label)
    response = Client().get(f"{ROOT}/services.json", {"locale": "fr_MA"})
    assert response.json()[2]["service_name"] == expected


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_lists_attributes(fmt: str) -> None:
    response = Client().get(f"{ROOT}/services/drugs.{fmt}")
    assert response.status_code == 200
    definition = body(response, fmt, "service_definition")
    assert definition["service_code"] == "drugs"
    attributes = {a["code"]: a for a in definition["attributes"]}
    flags, when = attributes["flags"], attributes["when"]
    assert flags["datatype"] == "multivaluelist"
    assert when["datatype"] == "singlevaluelist"
    assert [v["key"] for v in flags["values"]] == Flag.values
    assert [v["key"] for v in when["values"]] == When.values
    for attribute in attributes.values():
        assert attribute["variable"] == "true"
        assert attribute["required"] == "false"
        assert attribute["description"]
        assert "datatype_description" in attribute
    assert [a["order"] for a in definition["attributes"]] == ["1", "2", "3", "4"]
    assert all(v["name"] for v in flags["values"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_service_definition_is_404(fmt: str) -> None:
    response = Client().get(f"{ROOT}/services/parking.{fmt}")
    assert "parking" in errors(response, fmt, 404)[0]


# --- submitting ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_partner_submits_and_reads_back(fmt: str, partner: Partner) -> None:
    client = Client(enforce_csrf_checks=True)  # an API with keys: no CSRF token
    row = submitted(client, fmt, partner)
    assert row["account_id"] == "acct-42"
    assert row["service_notice"]
    report = Report.objects.get(tracking_code=row["service_request_id"])
    assert row["token"] == report.token
    assert report.channel == Channel.OPEN311
    assert report.api_key == partner.record
    assert report.anonymous
    assert report.district.code == MEDINA
    assert report.description == DESCRIPTION
    assert report.address == "Bab Boujloud, près de l'école"
    assert set(report.flags) == {"near_school", "minor_involved"}
    assert report.when == When.RECURRING
    assert report.recurrence_days == "school_days"
    assert not ReporterContact.objects.filter(report=report).exists()

    own = Client().get(f"{ROOT}/requests/{report.tracking_code}.{fmt}", {"api_key": partner.key})
    (detail,) = body(own, fmt, "service_requests")
    assert detail["service_request_id"] == report.tracking_code
    assert detail["status"] == "open"
    assert detail["service_code"] == "drugs"
    assert detail["service_name"] == str(Category.DRUGS.label)
    assert detail["description"] == DESCRIPTION
    assert detail["lat"] == str(report.lat)
    assert detail["long"] == str(report.lon)
    assert detail["address"] == report.address
    assert detail["agency_responsible"] == report.district.name
    assert detail["requested_datetime"].startswith(str(timezone.localdate()))
    assert detail["media_url"] == detail["expected_datetime"] == detail["zipcode"] == ""

    listed = Client().get(f"{ROOT}/requests.{fmt}", {"api_key": partner.key})
    assert listed.status_code == 200
    assert [r["service_request_id"] for r in body(listed, fmt, "service_requests")] == [
        report.tracking_code
    ]

    by_token = Client().get(f"{ROOT}/tokens/{report.token}.{fmt}")
    assert body(by_token, fmt, "service_requests") == [
        {"token": report.token, "service_request_id": report.tracking_code}
    ]


def test_form_encoded_post_is_accepted(partner: Partner) -> None:
    response = Client().post(
        f"{ROOT}/requests.json",
        urlencode(request_form(partner.key), doseq=True),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 201, response.content
    report = Report.objects.get(tracking_code=response.json()[0]["service_request_id"])
    assert set(report.flags) == {"near_school", "minor_involved"}


def test_media_is_stored_as_a_photo_and_media_url_is_ignored(partner: Partner) -> None:
    row = submitted(Client(), "json", partner, media=jpeg())
    report = Report.objects.get(tracking_code=row["service_request_id"])
    photo = Photo.objects.get(report=report)
    assert "IMG_2041" not in photo.file
    assert (photo.width, photo.height) == (32, 24)


def test_when_moment_takes_the_occurred_at_attribute(partner: Partner) -> None:
    moment = (timezone.now() - timedelta(hours=3)).replace(microsecond=0)
    row = submitted(
        Client(),
        "json",
        partner,
        **{
            "attribute[when]": "moment",
            "attribute[occurred_at]": moment.isoformat(),
            "attribute[recurrence_days]": None,
            "attribute[flags][]": None,
        },
    )
    report = Report.objects.get(tracking_code=row["service_request_id"])
    assert report.when == When.MOMENT
    assert report.occurred_at == moment
    assert report.reported_flags == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_in_progress_notice_says_call_the_emergency_number(fmt: str, partner: Partner) -> None:
    row = submitted(Client(), fmt, partner, **{"attribute[when]": "now"})
    assert "19" in row["service_notice"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_identified_reporter_never_shows_in_any_answer(fmt: str, partner: Partner) -> None:
    client = Client()
    extra = {
        "first_name": "Khadija",
        "last_name": "Bennani",
        "phone": "+212612345678",
        "email": "khadija.bennani@example.ma",
    }
    response = submit(client, fmt, request_form(partner.key, **extra))
    assert response.status_code == 201
    (row,) = body(response, fmt, "service_requests")
    report = Report.objects.get(tracking_code=row["service_request_id"])
    assert not report.anonymous
    contact = ReporterContact.objects.get(report=report)
    assert (contact.name, contact.phone, contact.email) == (
        "Khadija Bennani",
        "+212612345678",
        "khadija.bennani@example.ma",
    )
    key = {"api_key": partner.key}
    answers = [
        response,
        client.get(f"{ROOT}/requests.{fmt}", key),
        client.get(f"{ROOT}/requests.{fmt}", {**key, "service_request_id": report.tracking_code}),
        client.get(f"{ROOT}/requests/{report.tracking_code}.{fmt}", key),
        client.get(f"{ROOT}/requests/{report.tracking_code}.{fmt}"),
        client.get(f"{ROOT}/tokens/{report.token}.{fmt}"),
    ]
    for answer in answers:
        assert answer.status_code in {200, 201}
        text = answer.content.decode()
        for secret in ("Khadija", "Bennani", "612345678", "khadija.bennani", "example.ma"):
            assert secret not in text


def test_identified_without_a_way_to_call_back_is_refused(partner: Partner) -> None:
    response = submit(Client(), "json", request_form(partner.key, first_name="Khadija"))
    assert len(errors(response, "json", 400)) == 1
    assert not Report.objects.filter(api_key=partner.record).exists()


# --- refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("key", [None, "", "qurb_nope_0123456789"])
def test_submitting_needs_a_valid_key(fmt: str, key: str | None, partner: Partner) -> None:
    response = submit(Client(), fmt, request_form(partner.key, api_key=key))
    assert "api_key" in errors(response, fmt, 403)[0]
    assert not Report.objects.filter(channel=Channel.OPEN311).exists()


def test_a_revoked_key_is_refused(partner: Partner) -> None:
    partner.record.is_active = False
    partner.record.save()
    errors(submit(Client(), "json", request_form(partner.key)), "json", 403)
    errors(Client().get(f"{ROOT}/requests.json", {"api_key": partner.key}), "json", 403)


def test_xml_error_document_follows_the_spec(partner: Partner) -> None:
    response = submit(Client(), "xml", request_form("wrong"))
    assert response.status_code == 403
    text = response.content.decode()
    assert text.startswith("<?xml")
    assert "<errors><error><code>403</code><description>" in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_service_code_is_400(fmt: str, partner: Partner) -> None:
    response = submit(Client(), fmt, request_form(partner.key, service_code="potholes"))
    assert "potholes" in errors(response, fmt, 400)[0]


@pytest.mark.parametrize("fmt", FORMATS)
def test_outside_every_district_is_400(fmt: str, partner: Partner) -> None:
    response = submit(Client(), fmt, request_form(partner.key, lat=48.8566, long=2.3522))
    (message,) = errors(response, fmt, 400)
    assert "19" in message  # "… Move the marker into a district, or call 19."
    assert not Report.objects.filter(api_key=partner.record).exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_address_alone_is_not_enough(fmt: str, partner: Partner) -> None:
    response = submit(Client(), fmt, request_form(partner.key, lat=None, long=None))
    (message,) = errors(response, fmt, 400)
    assert "lat" in message
    assert "address_string" in message


def test_bad_coordinates_are_400(partner: Partner) -> None:
    for lat, lon in [("north", "5"), ("nan", "inf"), ("34.0", None)]:
        response = submit(Client(), "json", request_form(partner.key, lat=lat, long=lon))
        assert len(errors(response, "json", 400)) == 1
    off_map = submit(Client(), "json", request_form(partner.key, lat=95, long=5))
    assert len(errors(off_map, "json", 400)) == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_problem_is_one_error(fmt: str, partner: Partner) -> None:
    form = request_form(
        partner.key,
        description="vite",
        **{"attribute[flags][]": ["weapon", "ufo"], "attribute[when]": "someday"},
    )
    messages = errors(submit(Client(), fmt, form), fmt, 400)
    assert len(messages) == 3  # unknown flag, too short, unknown "when"
    assert any("ufo" in m for m in messages)


def test_bad_email_and_date_are_reported_together(partner: Partner) -> None:
    form = request_form(
        partner.key, email="not-an-address", **{"attribute[occurred_at]": "yesterday"}
    )
    messages = errors(submit(Client(), "json", form), "json", 400)
    assert len(messages) == 2
    assert any("attribute[occurred_at]" in m for m in messages)


def test_messages_follow_the_locale(partner: Partner) -> None:
    with translation.override("fr"):
        from qurb.reports.services import report_validate

        data = ReportInput(category="drugs", description="vite", lat=34, lon=-5, channel="open311")
        expected = [str(m) for msgs in report_validate(data).values() for m in msgs]
    form = request_form(partner.key, description="vite", locale="fr")
    assert errors(submit(Client(), "json", form), "json", 400) == expected


@pytest.mark.parametrize("fmt", FORMATS)
def test_wrong_jurisdiction_is_404(fmt: str, partner: Partner) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for response in (
        client.get(f"{ROOT}/services.{fmt}", {"jurisdiction_id": "city.example"}),
        client.get(f"{ROOT}/services/drugs.{fmt}", {"jurisdiction_id": "city.example"}),
        submit(client, fmt, request_form(partner.key, jurisdiction_id="city.example")),
    ):
        assert errors(response, fmt, 404) == ["jurisdiction not found"]
    assert not Report.objects.filter(api_key=partner.record).exists()
    right = client.get(f"{ROOT}/services.{fmt}", {"jurisdiction_id": "qurb.ma"})
    assert right.status_code == 200
    row = submitted(client, fmt, partner, jurisdiction_id="qurb.ma")
    assert row["service_request_id"]


def test_other_methods_are_refused() -> None:
    response = Client().delete(f"{ROOT}/requests.json")
    errors(response, "json", 405)
    assert "POST" in response["Allow"]
    errors(Client().post(f"{ROOT}/services.xml"), "xml", 405)


def test_unknown_format_is_not_served() -> None:
    assert Client().get(f"{ROOT}/services.csv").status_code == 404


# --- idempotency and limits -----------------------------------------------------------------------


def test_a_retry_with_the_same_idempotency_key_is_stored_once(
    partner: Partner, other_partner: Partner
) -> None:
    client = Client()
    form = request_form(partner.key)
    first = submit(client, "json", form, idempotency_key="retry-1")
    second = submit(client, "json", form, idempotency_key="retry-1")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json()
    report = Report.objects.get(api_key=partner.record)
    assert report.idempotency_key == f"o{partner.record.pk}:retry-1"
    # Another partner's key is its own namespace.
    other = submit(client, "json", request_form(other_partner.key), idempotency_key="retry-1")
    assert other.status_code == 201
    assert other.json()[0]["service_request_id"] != first.json()[0]["service_request_id"]
    too_long = submit(client, "json", form, idempotency_key="x" * 65)
    errors(too_long, "json", 400)


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_key_rate_limit_answers_429(fmt: str, partner: Partner) -> None:
    # A window far longer than the test, so that it never straddles two windows.
    with override_settings(REPORT_LIMIT_PER_KEY=Limit(1, 10**9)):
        submitted(Client(), fmt, partner)
        response = submit(Client(), fmt, request_form(partner.key))
        errors(response, fmt, 429)
    assert Report.objects.filter(api_key=partner.record).count() == 1


# --- reading --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_anyone_with_the_id_sees_the_public_subset_not_the_content(
    fmt: str, partner: Partner, other_partner: Partner
) -> None:
    lat, lon = off_centre(MEDINA)
    row = submitted(Client(), fmt, partner, lat=lat, long=lon)
    code = row["service_request_id"]
    report = Report.objects.select_related("area").get(tracking_code=code)
    public_fields = {
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "agency_responsible",
        "requested_datetime",
        "updated_datetime",
        "address",
        "lat",
        "long",
    }
    for params in ({}, {"api_key": other_partner.key}):
        response = Client().get(f"{ROOT}/requests/{code}.{fmt}", params)
        assert response.status_code == 200
        (detail,) = body(response, fmt, "service_requests")
        assert set(detail) == public_fields | {"service_notice"}
        assert detail["service_request_id"] == code  # asked by the code, answered by it
        assert detail["address"] == report.area.name  # the neighbourhood, not the address
        assert abs(float(detail["lat"]) - lat) + abs(float(detail["long"]) - lon) > 0.0004
        text = response.content.decode()
        assert DESCRIPTION[:20] not in text
        assert "Boujloud" not in text
    # The code is read however a resident types it.
    sloppy = code.lower().replace("-", "")
    assert Client().get(f"{ROOT}/requests/{sloppy}.{fmt}").status_code == 200


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_ids_and_tokens_are_404(fmt: str, partner: Partner) -> None:
    client = Client()
    errors(client.get(f"{ROOT}/requests/Q-2222-3333-4444-5555.{fmt}"), fmt, 404)
    errors(client.get(f"{ROOT}/requests/nothing.{fmt}"), fmt, 404)
    errors(client.get(f"{ROOT}/tokens/{'0' * 24}.{fmt}"), fmt, 404)
    row = submitted(client, fmt, partner)
    bad_key = {"api_key": "qurb_nope"}
    errors(client.get(f"{ROOT}/requests/{row['service_request_id']}.{fmt}", bad_key), fmt, 403)


@pytest.mark.parametrize("fmt", FORMATS)
def test_with_a_key_the_list_shows_only_its_requests(
    fmt: str, partner: Partner, other_partner: Partner, web_report: Report
) -> None:
    mine = submitted(Client(), fmt, partner)["service_request_id"]
    theirs = submitted(Client(), fmt, other_partner)["service_request_id"]
    web = web_report.tracking_code
    errors(Client().get(f"{ROOT}/requests.{fmt}", {"api_key": "qurb_nope"}), fmt, 403)
    header = Client().get(f"{ROOT}/requests.{fmt}", headers={"x-api-key": partner.key})
    assert [r["service_request_id"] for r in body(header, fmt, "service_requests")] == [mine]
    asked = ",".join([mine, theirs, web])
    listed = Client().get(
        f"{ROOT}/requests.{fmt}", {"api_key": partner.key, "service_request_id": asked}
    )
    assert [r["service_request_id"] for r in body(listed, fmt, "service_requests")] == [mine]
    # Its own request by the public reference too, still answered under the tracking code.
    public_id = str(Report.objects.get(tracking_code=mine).public_id)
    by_reference = Client().get(
        f"{ROOT}/requests.{fmt}", {"api_key": partner.key, "service_request_id": public_id}
    )
    (row,) = body(by_reference, fmt, "service_requests")
    assert (row["service_request_id"], row["description"]) == (mine, DESCRIPTION)


def _ids(fmt: str, partner: Partner, **params: Any) -> list[str]:
    response = Client().get(f"{ROOT}/requests.{fmt}", {"api_key": partner.key, **params})
    assert response.status_code == 200, response.content.decode()
    return [r["service_request_id"] for r in body(response, fmt, "service_requests")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_list_filters(fmt: str, partner: Partner) -> None:
    drugs = submitted(Client(), fmt, partner)["service_request_id"]
    theft = submitted(Client(), fmt, partner, service_code="theft")["service_request_id"]
    road = submitted(Client(), fmt, partner, service_code="road")["service_request_id"]
    Report.objects.filter(tracking_code=road).update(status=Status.RESOLVED)
    old = submitted(Client(), fmt, partner)["service_request_id"]
    Report.objects.filter(tracking_code=old).update(created_at=timezone.now() - timedelta(days=120))

    assert _ids(fmt, partner) == [road, theft, drugs]  # newest first, last 90 days
    assert _ids(fmt, partner, service_code="theft,road") == [road, theft]
    assert _ids(fmt, partner, status="open") == [theft, drugs]
    assert _ids(fmt, partner, status="closed") == [road]
    assert _ids(fmt, partner, status="open,closed") == [road, theft, drugs]
    start = (timezone.now() - timedelta(days=130)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (timezone.now() - timedelta(days=100)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _ids(fmt, partner, start_date=start, end_date=end) == [old]
    assert _ids(fmt, partner, start_date=start) == [old]  # 90 days from start_date
    assert _ids(fmt, partner, end_date=end) == [old]  # 90 days up to end_date
    # service_request_id overrides every other filter.
    assert _ids(fmt, partner, service_request_id=old, status="closed") == [old]


@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "last tuesday"},
        {"end_date": "2026-13-45"},
        {"status": "pending"},
        {"service_code": "potholes"},
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2025-12-01T00:00:00Z"},
        {"start_date": "2025-01-01T00:00:00Z", "end_date": "2025-06-01T00:00:00Z"},
    ],
)
def test_bad_list_filters_are_400(params: dict[str, str], partner: Partner) -> None:
    response = Client().get(f"{ROOT}/requests.json", {"api_key": partner.key, **params})
    assert len(errors(response, "json", 400)) == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_status_notes_are_the_latest_public_note_never_a_staff_note(
    fmt: str, partner: Partner
) -> None:
    code = submitted(Client(), fmt, partner)["service_request_id"]
    report = Report.objects.get(tracking_code=code)
    StatusChange.objects.create(
        report=report,
        from_status=Status.RECEIVED,
        to_status=Status.ACKNOWLEDGED,
        public_note="Bien reçu, la brigade passera.",
        staff_note="Indicateur connu, ne pas citer.",
    )
    StatusChange.objects.create(
        report=report,
        from_status=Status.ACKNOWLEDGED,
        to_status=Status.INVESTIGATING,
        staff_note="Surveillance jeudi.",
    )
    Report.objects.filter(pk=report.pk).update(status=Status.INVESTIGATING)
    for response in (
        Client().get(f"{ROOT}/requests/{code}.{fmt}"),
        Client().get(f"{ROOT}/requests.{fmt}", {"api_key": partner.key}),
    ):
        (row,) = body(response, fmt, "service_requests")
        assert row["status"] == "open"
        assert row["status_notes"] == "Bien reçu, la brigade passera."
        assert row["service_notice"] == str(Status.INVESTIGATING.label)
        text = response.content.decode()
        assert "Indicateur" not in text
        assert "Surveillance" not in text


def test_a_web_report_is_followed_by_its_code_only(web_report: Report, partner: Partner) -> None:
    report = web_report
    response = Client().get(f"{ROOT}/requests/{report.tracking_code}.json")
    (row,) = response.json()
    assert row["service_code"] == "drugs"
    assert "description" not in row
    owner_view = Client().get(
        f"{ROOT}/requests/{report.tracking_code}.json", {"api_key": partner.key}
    )
    assert "description" not in owner_view.json()[0]


def test_submit_through_services_matches_report_submit(partner: Partner) -> None:
    """The Open311 form lands exactly where the service would put the same input."""
    lat, lon = point_in(MEDINA)
    direct, _created = report_submit(
        data=ReportInput(
            category="drugs", description=DESCRIPTION, lat=lat, lon=lon, channel="open311"
        ),
        api_key=partner.record,
    )
    row = submitted(Client(), "json", partner)
    via = Report.objects.get(tracking_code=row["service_request_id"])
    assert (via.district_id, via.area_id) == (direct.district_id, direct.area_id)


@pytest.mark.parametrize("language", ["fr", "ar", "en"])
def test_agency_and_status_in_the_callers_language(language: str, partner: Partner) -> None:
    code = submitted(Client(), "json", partner)["service_request_id"]
    report = Report.objects.select_related("district").get(tracking_code=code)
    with translation.override(language):
        district, received = report.district.name, str(Status.RECEIVED.label)
    response = Client().get(f"{ROOT}/requests/{code}.json", {"locale": language})
    (row,) = response.json()
    assert (row["agency_responsible"], row["service_notice"]) == (district, received)
    assert response["Content-Language"] == language
