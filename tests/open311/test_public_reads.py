"""Open311 reads without a key: the public subset of each request, and nothing more.

What anyone may read (qurb.reports.policy): a public reference, the category, the status and
latest public note, the agency, the neighbourhood (its name and a point of its outline) and the
day a request came and last changed. Never the text, photos, address, exact point or reporter;
never a request of a withheld category or a synthetic one; never the time of day, however the
search is narrowed.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from qurb.areas.selectors import area_point
from qurb.reports.models import Report, Status, StatusChange
from qurb.reports.policy import PUBLIC_WITHHELD_CATEGORIES
from qurb.reports.services import ReportInput, report_submit
from qurb.web.open311.schema import keywords
from tests.open311.conftest import Partner
from tests.open311.helpers import (
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
PUBLIC_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "address",
    "lat",
    "long",
}
AGDAL = "032310101"


def jpeg() -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 30, 30)).save(out, format="JPEG")
    out.seek(0)
    out.name = "IMG_7731.jpg"
    return out


def submit(partner: Partner, **extra: Any) -> Report:
    """A partner's request at a point of the Médina that is not its neighbourhood's."""
    lat, lon = off_centre(MEDINA)
    form = request_form(partner.key, **{"lat": lat, "long": lon, **extra})
    response = Client().post(f"{ROOT}/requests.json", form)
    assert response.status_code == 201, response.content.decode()[:1000]
    return Report.objects.select_related("area").get(
        tracking_code=response.json()[0]["service_request_id"]
    )


def web_report(code: str = MEDINA, **fields: Any) -> Report:
    lat, lon = off_centre(code)
    data: dict[str, Any] = {
        "category": "drugs",
        "description": "كاين واحد كيبيع الحشيش قدام المدرسة كل نهار",
        "lat": lat,
        "lon": lon,
        "channel": "web",
    }
    data.update(fields)
    report, _created = report_submit(data=ReportInput(**data))
    return report


def public_list(fmt: str = "json", **params: Any) -> list[dict[str, Any]]:
    response = Client().get(f"{ROOT}/requests.{fmt}", params)
    assert response.status_code == 200, response.content.decode()[:1000]
    return list(body(response, fmt, "service_requests"))


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return [r["service_request_id"] for r in rows]


def at(report: Report, moment: datetime) -> None:
    Report.objects.filter(pk=report.pk).update(created_at=moment, updated_at=moment)


def local(days_ago: int, hour: int, minute: int = 0) -> datetime:
    day = timezone.localdate() - timedelta(days=days_ago)
    return datetime(
        day.year, day.month, day.day, hour, minute, tzinfo=timezone.get_current_timezone()
    )


# --- what the public list holds --------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_anyone_lists_the_public_subset_of_every_request(fmt: str, partner: Partner) -> None:
    mine = submit(
        partner,
        first_name="Khadija",
        phone="+212612345678",
        email="khadija@example.org",
    )
    resident = web_report()
    rows = public_list(fmt)
    by_id = {r["service_request_id"]: r for r in rows}
    assert {mine.public_id, resident.public_id} <= set(by_id)
    assert all(r["service_request_id"].startswith("R-") for r in rows)
    assert all(set(r) == PUBLIC_FIELDS for r in rows)
    # Never the tracking code, which lets its holder answer for the reporter.
    assert not {mine.tracking_code, resident.tracking_code} & set(by_id)
    row = by_id[str(mine.public_id)]
    assert row["service_code"] == "drugs"
    assert row["status"] == "open"
    assert row["address"] == mine.area.name


def test_public_reads_never_carry_the_text_photos_place_or_reporter(partner: Partner) -> None:
    lat, lon = off_centre(MEDINA)
    form = request_form(
        partner.key,
        lat=lat,
        long=lon,
        first_name="Khadija",
        last_name="Benali",
        phone="+212612345678",
        email="khadija@example.org",
        media=jpeg(),
    )
    response = Client().post(f"{ROOT}/requests.json", form)
    assert response.status_code == 201
    report = Report.objects.get(tracking_code=response.json()[0]["service_request_id"])
    assert report.photos.count() == 1
    for fmt in FORMATS:
        for answer in (
            Client().get(f"{ROOT}/requests.{fmt}"),
            Client().get(f"{ROOT}/requests/{report.public_id}.{fmt}"),
            Client().get(f"{ROOT}/requests/{report.tracking_code}.{fmt}"),
        ):
            assert answer.status_code == 200
            text = answer.content.decode()
            assert str(report.public_id) in text or report.tracking_code in text
            for secret in (
                DESCRIPTION[:25],
                "Boujloud",
                "Khadija",
                "Benali",
                "612345678",
                "example.org",
                "media_url",
                "photo",
                "device-1",
                "acct-42",
                f"{report.lat:.5f}"[:-1],
                f"{report.lon:.5f}"[:-1],
            ):
                assert secret not in text, (fmt, secret)


def test_the_place_is_the_neighbourhood_never_the_report_point(partner: Partner) -> None:
    report = submit(partner)
    (row,) = public_list(service_request_id=str(report.public_id))
    point = area_point(report.area_id)
    assert point is not None
    assert (float(row["lat"]), float(row["long"])) == pytest.approx(point)
    assert abs(float(row["lat"]) - report.lat) + abs(float(row["long"]) - report.lon) > 0.0004
    assert row["address"] == report.area.name
    # Another point of the same neighbourhood gets the same public place.
    lat, lon = point_in(MEDINA)
    other = submit(partner, lat=lat, long=lon)
    assert other.area_id == report.area_id
    (again,) = public_list(service_request_id=str(other.public_id))
    assert (again["lat"], again["long"]) == (row["lat"], row["long"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_times_are_days_and_searches_cannot_narrow_them(fmt: str) -> None:
    morning, evening = web_report(), web_report(AGDAL)
    at(morning, local(3, 9, 12))
    at(evening, local(3, 17, 45))
    both = {morning.public_id, evening.public_id}
    (row,) = [r for r in public_list(fmt) if r["service_request_id"] == morning.public_id]
    day = local(3, 0).isoformat(timespec="seconds")
    assert (row["requested_datetime"], row["updated_datetime"]) == (day, day)
    # Searching from noon, or up to noon, of that day still finds both: the day is the unit.
    noon = local(3, 12).isoformat(timespec="seconds")
    assert both <= set(ids(public_list(fmt, start_date=noon)))
    assert both <= set(ids(public_list(fmt, end_date=noon)))
    assert both <= set(ids(public_list(fmt, start_date=noon, end_date=noon)))
    next_day = local(2, 0).isoformat(timespec="seconds")
    assert not both & set(ids(public_list(fmt, start_date=next_day)))
    day_before = local(4, 23, 59).isoformat(timespec="seconds")
    assert not both & set(ids(public_list(fmt, end_date=day_before)))


def test_within_a_day_the_order_says_nothing_of_arrival() -> None:
    reports = [web_report() for _ in range(4)]
    for n, report in enumerate(reports):
        at(report, local(1, 8 + n))
    listed = [i for i in ids(public_list()) if i in {r.public_id for r in reports}]
    assert listed == sorted(str(r.public_id) for r in reports)


def test_newest_day_first_and_the_filters_apply() -> None:
    old, recent = web_report(category="theft"), web_report(category="road")
    at(old, local(10, 9))
    at(recent, local(1, 9))
    Report.objects.filter(pk=recent.pk).update(status=Status.RESOLVED)
    listed = ids(public_list())
    assert listed.index(str(recent.public_id)) < listed.index(str(old.public_id))
    assert str(old.public_id) in ids(public_list(service_code="theft"))
    assert str(old.public_id) not in ids(public_list(service_code="road"))
    closed = public_list(status="closed")
    assert str(recent.public_id) in ids(closed)
    assert {r["status"] for r in closed} == {"closed"}
    assert str(recent.public_id) not in ids(public_list(status="open"))
    assert ids(public_list(service_request_id=f"{old.public_id},{recent.public_id}")) == [
        str(recent.public_id),
        str(old.public_id),
    ]


# --- what the public never reads -------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_withheld_categories_are_read_by_their_code_only(fmt: str) -> None:
    assert "harassment" in PUBLIC_WITHHELD_CATEGORIES
    report = web_report(category="harassment", description="Un homme me suit chaque soir")
    assert report.public_id
    assert str(report.public_id) not in ids(public_list(fmt))
    assert public_list(fmt, service_code="harassment") == []
    assert public_list(fmt, service_request_id=str(report.public_id)) == []
    errors(Client().get(f"{ROOT}/requests/{report.public_id}.{fmt}"), fmt, 404)
    # Whoever holds the tracking code reads it, under that code.
    mine = Client().get(f"{ROOT}/requests/{report.tracking_code}.{fmt}")
    (row,) = body(mine, fmt, "service_requests")
    assert row["service_request_id"] == report.tracking_code
    assert ids(public_list(fmt, service_request_id=report.tracking_code)) == [report.tracking_code]


def test_synthetic_reports_are_never_listed() -> None:
    report = web_report()
    Report.objects.filter(pk=report.pk).update(is_synthetic=True)
    assert str(report.public_id) not in ids(public_list())
    errors(Client().get(f"{ROOT}/requests/{report.public_id}.json"), "json", 404)


def test_status_notes_are_public_notes_only() -> None:
    report = web_report()
    StatusChange.objects.create(
        report=report,
        from_status=Status.RECEIVED,
        to_status=Status.ACKNOWLEDGED,
        public_note="Une patrouille passera cette semaine.",
        staff_note="Le vendeur habite au numéro 12.",
    )
    Report.objects.filter(pk=report.pk).update(status=Status.ACKNOWLEDGED)
    response = Client().get(f"{ROOT}/requests.json", {"service_request_id": str(report.public_id)})
    (row,) = response.json()
    assert row["status_notes"] == "Une patrouille passera cette semaine."
    assert "numéro 12" not in response.content.decode()


# --- one request, and who reads what ---------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_request_by_its_public_reference(
    fmt: str, partner: Partner, other_partner: Partner
) -> None:
    report = submit(partner)
    (listed,) = public_list(fmt, service_request_id=str(report.public_id))
    sloppy = str(report.public_id).lower().replace("-", "")
    for reference in (report.public_id, sloppy):
        (row,) = body(Client().get(f"{ROOT}/requests/{reference}.{fmt}"), fmt, "service_requests")
        assert row == listed
    # Another partner reads what anyone reads; the owner reads it in full, under its code.
    other = Client().get(
        f"{ROOT}/requests/{report.public_id}.{fmt}", {"api_key": other_partner.key}
    )
    assert body(other, fmt, "service_requests") == [listed]
    owner = Client().get(f"{ROOT}/requests/{report.public_id}.{fmt}", {"api_key": partner.key})
    (full,) = body(owner, fmt, "service_requests")
    assert (full["service_request_id"], full["description"]) == (report.tracking_code, DESCRIPTION)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_wrong_key_on_a_read_is_refused_not_ignored(fmt: str, partner: Partner) -> None:
    report = submit(partner)
    for url in (f"{ROOT}/requests.{fmt}", f"{ROOT}/requests/{report.public_id}.{fmt}"):
        (message,) = errors(Client().get(url, {"api_key": "qurb_nope"}), fmt, 403)
        assert "api_key" in message


@pytest.mark.parametrize("fmt", FORMATS)
def test_tokens_answer_without_a_key(fmt: str, partner: Partner) -> None:
    report = submit(partner)
    response = Client().get(f"{ROOT}/tokens/{report.token}.{fmt}")
    (row,) = body(response, fmt, "service_requests")
    assert row == {"token": report.token, "service_request_id": report.tracking_code}


# --- submitting without a text ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_description_is_optional(fmt: str, partner: Partner) -> None:
    response = Client().post(
        f"{ROOT}/requests.{fmt}", request_form(partner.key, description=None, service_code="road")
    )
    assert response.status_code == 201, response.content.decode()[:1000]
    (row,) = body(response, fmt, "service_requests")
    report = Report.objects.get(tracking_code=row["service_request_id"])
    assert (report.description, report.category) == ("", "road")
    # Nothing to read: no suggestion from the model's biases.
    assert (report.suggested_category, report.suggestion_confidence) == ("", None)
    assert report.suggested_flags == []
    assert sorted(report.flags) == ["minor_involved", "near_school"]  # the ones sent


@pytest.mark.parametrize("description", ["", "   \n "])
def test_an_empty_or_blank_description_is_no_description(
    description: str, partner: Partner
) -> None:
    response = Client().post(
        f"{ROOT}/requests.json", request_form(partner.key, description=description)
    )
    assert response.status_code == 201, response.content.decode()[:1000]


def test_a_description_that_is_given_must_say_something(partner: Partner) -> None:
    response = Client().post(
        f"{ROOT}/requests.json", request_form(partner.key, description="drogue", locale="fr")
    )
    (message,) = errors(response, "json", 400)
    assert "10" in message


# --- services ------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["ar", "fr", "en"])
def test_keywords_are_separated_by_ascii_commas(language: str) -> None:
    services = Client().get(f"{ROOT}/services.json", {"locale": language}).json()
    for service in services:
        words = service["keywords"]
        assert words
        assert "\u060c" not in words
        assert all(w and w == w.strip() for w in words.split(", "))
    if language == "ar":
        drugs = next(s for s in services if s["service_code"] == "drugs")
        assert drugs["keywords"].split(", ")[0] == "مخدرات"


def test_keywords_split_on_any_comma() -> None:
    assert keywords("مخدرات، ترويج ،حشيش") == "مخدرات, ترويج, حشيش"
    assert keywords(" a ,b,, c ") == "a, b, c"
