"""Dates, times and numbers as Morocco writes them in each language (src/qurb/config/formats/),
and names and numbers of another script kept in their place (<bdi>, Unicode isolates)."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.mail import EmailMessage
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format, get_format, number_format, time_format

from qurb.accounts.models import User
from qurb.alerts.delivery import notices
from qurb.alerts.models import AlertCase, CaseStatus
from qurb.areas.models import Area
from qurb.communication.models import CheckIn, Event
from qurb.communication.services import event_create, event_publish
from qurb.engagement.models import Meeting, Registration
from qurb.engagement.services import meeting_create
from qurb.engagement.tasks import send_reminder
from tests.alerts.conftest import open_case, publish
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

MEDINA = "032310107"
FES = "03.231"
FSI, PDI = "\u2068", "\u2069"
# The month names of Moroccan Arabic, written out here rather than read from Qurb.
MOROCCAN_MONTHS = [
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "ماي",
    "يونيو",
    "يوليوز",
    "غشت",
    "شتنبر",
    "أكتوبر",
    "نونبر",
    "دجنبر",
]
# Always in the future, always on 3 December: the meeting is upcoming whatever today is.
YEAR = timezone.localdate().year + 2


def page(client: Client, url: str, language: str) -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, url
    return response.content.decode()


def _meeting() -> Meeting:
    starts = datetime(YEAR, 12, 3, 18, 5, tzinfo=timezone.get_current_timezone())
    return meeting_create(
        actor=User.objects.get(username="chief.medina"),
        area=Area.objects.get(code=MEDINA),
        title={
            "ar": "لقاء مع سكان البطحاء",
            "fr": "Rencontre avec les habitants de Batha",
            "en": "Meeting with Batha residents",
        },
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        location="Dar Chabab Batha",
        language="fr",
    )


# --- the formats ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "ar",
            {
                "DATE_FORMAT": "3 دجنبر 2026",
                "SHORT_DATE_FORMAT": "03/12/2026",
                "DATETIME_FORMAT": "3 دجنبر 2026، 14:05",
                "SHORT_DATETIME_FORMAT": "03/12/2026 14:05",
                "YEAR_MONTH_FORMAT": "دجنبر 2026",
                "MONTH_DAY_FORMAT": "3 دجنبر",
                "number": "1.234.567,5",
            },
        ),
        (
            "fr",
            {
                "DATE_FORMAT": "3 décembre 2026",
                "SHORT_DATE_FORMAT": "03/12/2026",
                "DATETIME_FORMAT": "3 décembre 2026 à 14:05",
                "SHORT_DATETIME_FORMAT": "03/12/2026 14:05",
                "YEAR_MONTH_FORMAT": "décembre 2026",
                "MONTH_DAY_FORMAT": "3 décembre",
                "number": "1.234.567,5",
            },
        ),
        (
            "en",
            {
                "DATE_FORMAT": "3 December 2026",
                "SHORT_DATE_FORMAT": "03/12/2026",
                "DATETIME_FORMAT": "3 December 2026, 14:05",
                "SHORT_DATETIME_FORMAT": "03/12/2026 14:05",
                "YEAR_MONTH_FORMAT": "December 2026",
                "MONTH_DAY_FORMAT": "3 December",
                "number": "1,234,567.5",
            },
        ),
    ],
)
def test_each_language_writes_day_month_year_24_hours_and_groups_thousands(
    language: str, expected: dict[str, str]
) -> None:
    moment = datetime(2026, 12, 3, 14, 5, tzinfo=UTC)
    with translation.override(language):
        for name, text in expected.items():
            if name != "number":
                assert date_format(moment, name) == text, name
        assert time_format(moment, "TIME_FORMAT") == "14:05"
        assert number_format(1234567.5, 1, force_grouping=True) == expected["number"]
        assert get_format("FIRST_DAY_OF_WEEK") == 1  # Monday
        # The native pickers read ISO values only.
        assert get_format("DATE_INPUT_FORMATS")[0] == "%Y-%m-%d"
        assert get_format("DATETIME_INPUT_FORMATS")[0] == "%Y-%m-%dT%H:%M"


def test_arabic_months_are_the_moroccan_names_in_every_form_django_asks_for() -> None:
    with translation.override("ar"):
        for month, name in enumerate(MOROCCAN_MONTHS, start=1):
            day = date(2026, month, 1)
            # F: MONTHS, E: "alt. month", N: "abbrev. month", b: MONTHS_3.
            assert {date_format(day, f) for f in ("F", "E", "N", "b")} == {name}, month
    with translation.override("fr"):
        assert date_format(date(2026, 8, 1), "F") == "août"  # French keeps Django's names


# --- pages ------------------------------------------------------------------------------------


def test_a_meeting_page_shows_its_date_in_each_languages_order() -> None:
    meeting = _meeting()
    url = reverse("neighbourhoods:meeting", args=[meeting.pk])
    client = Client()
    long_dates = {
        "ar": f"3 {MOROCCAN_MONTHS[11]} {YEAR}، 18:05",
        "fr": f"3 décembre {YEAR} à 18:05",
        "en": f"3 December {YEAR}, 18:05",
    }
    for language, text in long_dates.items():
        html = page(client, url, language)
        assert re.search(
            rf'<time datetime="{YEAR}-12-03T18:05:00[+-]\d\d:\d\d">{text}</time>', html
        ), language
        assert f"12/03/{YEAR}" not in html
        # No 12-hour clock anywhere in the text (a CSRF token may hold the letters "PM").
        assert not re.search(r"\d\s?(?:[ap]\.m\.|[AP]M)\b", html)
        # The place, typed in French, keeps its direction inside the Arabic line.
        assert "<bdi>Dar Chabab Batha</bdi>" in html

    # The staff page lists it with the short date and time, the same in the three languages.
    staff = signed_in("chief.medina")
    area_page = reverse("neighbourhoods:staff_area", args=[meeting.area_id])
    for language in ("ar", "fr", "en"):
        html = page(staff, area_page, language)
        assert f">03/12/{YEAR} 18:05</time>" in html, language


def test_an_event_page_and_its_figures_in_each_language() -> None:
    cell = User.objects.get(username="cell.fes")
    event: Event = event_create(
        actor=cell,
        area=Area.objects.get(code=FES),
        kind="open_day",
        title="Journées portes ouvertes",
        starts_on=date(YEAR, 12, 3),
        ends_on=date(YEAR, 12, 4),
        language="fr",
    )
    event_publish(actor=cell, event=event)
    at = datetime(YEAR, 12, 3, 10, 30, tzinfo=timezone.get_current_timezone())
    CheckIn.objects.bulk_create(
        CheckIn(event=event, visitor_kind="resident", day=date(YEAR, 12, 3), at=at)
        for _ in range(1234)
    )
    programme = reverse("communication:programme", args=[event.slug])
    days = {
        "ar": f"3 {MOROCCAN_MONTHS[11]} {YEAR}",
        "fr": f"3 décembre {YEAR}",
        "en": f"3 December {YEAR}",
    }
    for language, text in days.items():
        assert f'<time datetime="{YEAR}-12-03">{text}</time>' in page(Client(), programme, language)

    figures = reverse("communication:staff_event", args=[event.pk])
    grouped = {"ar": "1.234", "fr": "1.234", "en": "1,234"}
    for language, number in grouped.items():
        html = page(signed_in("cell.fes"), figures, language)
        line = re.search(r'<p id="visitor-figures">(.*?)</p>', html)
        assert line, language
        assert line.group(1).startswith(number), (language, line.group(1))
        assert f"<td>{number}</td>" in html  # the entries of the day


def _yasmine() -> AlertCase:
    """The demo's exercise alert: Yasmine, 9, described in Arabic."""
    return AlertCase.objects.get(child_first_name="Yasmine", status=CaseStatus.PUBLISHED)


def test_an_alert_keeps_a_latin_name_and_the_age_in_order_on_the_arabic_page() -> None:
    case = _yasmine()
    url = reverse("alerts:page", args=[case.public_id])
    client = Client()
    html = page(client, url, "ar")
    assert "<h1><bdi>Yasmine</bdi>، <bdi>9</bdi> سنوات</h1>" in html
    assert f"<title>طفل مختفٍ: {FSI}Yasmine{PDI}، {FSI}9{PDI} سنوات</title>" in html
    seen = timezone.localtime(case.last_seen_at)
    when = f"{seen.day} {MOROCCAN_MONTHS[seen.month - 1]} {seen.year}، {seen:%H:%M}"
    assert f">{when}</time>" in html
    assert '<bdi lang="ar">باب بوجلود، فاس</bdi>' in html

    english = page(client, url, "en")
    assert "<h1><bdi>Yasmine</bdi>, <bdi>9</bdi> years old</h1>" in english
    assert '<dd lang="ar" dir="auto">' in english  # the Arabic description on an English page

    for listing in (reverse("alerts:index"), reverse("home")):
        assert "<bdi>Yasmine</bdi>، <bdi>9</bdi> سنوات" in page(client, listing, "ar"), listing


def test_staff_alert_pages_isolate_the_name_and_the_age() -> None:
    case = _yasmine()
    unit = signed_in("officer.medina")
    listing = page(unit, reverse("alerts:staff_list"), "ar")
    assert "<bdi>Yasmine</bdi>، <bdi>9</bdi> سنوات" in listing
    detail = page(unit, reverse("alerts:staff_case", args=[case.pk]), "fr")
    assert "<bdi>Yasmine</bdi>, <bdi>9</bdi> ans" in detail
    assert "<bdi>DEMO-0000</bdi>" in detail  # a Latin document number in any page


def test_notifications_and_cap_isolate_what_they_insert() -> None:
    case = publish(open_case(child_first_name="Yasmine", child_age=9, language="fr"))
    message = case.messages.latest("sent")
    sent = notices(message)
    assert sent["ar"].subject == f"طفل مختفٍ: {FSI}Yasmine{PDI}، {FSI}9{PDI} سنوات"
    assert sent["fr"].subject == f"Enfant disparu : {FSI}Yasmine{PDI}, {FSI}9{PDI} ans"
    assert json.loads(sent["ar"].payload)["title"] == sent["ar"].subject
    assert f"{FSI}Bab Boujloud{PDI}" in sent["ar"].body  # the e-mail's text
    assert f"<headline>طفل مختفٍ: {FSI}Yasmine{PDI}، {FSI}9{PDI} سنوات</headline>" in message.xml
    assert f"<headline>Missing child: {FSI}Yasmine{PDI}, {FSI}9{PDI} years old</headline>" in (
        message.xml
    )
    # The CAP description says when in each language's own words, never "2026-12-03 18:05".
    seen = timezone.localtime(case.last_seen_at)
    arabic_when = f"{seen.day} {MOROCCAN_MONTHS[seen.month - 1]} {seen.year}، {seen:%H:%M}"
    assert f"{FSI}{arabic_when}{PDI}" in message.xml
    assert f"{seen:%Y-%m-%d %H:%M}" not in message.xml


def test_meeting_reminder_mail_isolates_title_date_and_place(
    mailoutbox: list[EmailMessage],
) -> None:
    meeting = _meeting()
    registration = Registration.objects.create(
        meeting=meeting, name="Amina", email="amina@example.org", language="ar"
    )
    assert send_reminder.call(registration.pk)
    mail = mailoutbox[-1]
    assert mail.subject.endswith(f"{FSI}لقاء مع سكان البطحاء{PDI}")
    assert f"{FSI}3 {MOROCCAN_MONTHS[11]} {YEAR}، 18:05{PDI}" in mail.body
    assert f"{FSI}Dar Chabab Batha{PDI}" in mail.body


# --- the filters and the inputs ---------------------------------------------------------------


def test_bdi_escapes_and_isolate_drops_directional_controls() -> None:
    template = Template("{% load qurb_text %}[{{ v|bdi }}][{{ v|isolate }}][{{ e|bdi }}]")
    out = template.render(Context({"v": "<b>Yasmine</b>\u202e", "e": ""}))
    assert out == (
        f"[<bdi>&lt;b&gt;Yasmine&lt;/b&gt;\u202e</bdi>][{FSI}&lt;b&gt;Yasmine&lt;/b&gt;{PDI}][]"
    )


def test_free_text_inputs_take_the_direction_of_what_is_typed() -> None:
    html = page(Client(), reverse("reports:new"), "ar")
    for name in ("address", "contact_name", "description"):
        field = re.search(rf'<(?:input|textarea)[^>]*name="{name}"[^>]*>', html)
        assert field, name
        assert 'dir="auto"' in field.group(0), name
    email = re.search(r'<input[^>]*name="contact_email"[^>]*>', html)
    assert email
    assert "dir=" not in email.group(0)
