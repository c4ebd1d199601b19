"""The SMS conversation without a gateway: texts in, replies out, a report stored."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from qurb.accounts.models import User
from qurb.areas.selectors import place_search
from qurb.reports.models import Channel, Report, ReporterContact
from qurb.reports.services import report_status_change
from qurb.sms import conversation, gsm, services
from qurb.sms.conversation import incoming_handle, language_of
from qurb.sms.models import (
    Conversation,
    ConversationState,
    OutgoingSms,
    PhoneNumber,
    ReportPhone,
)
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

PHONE = "0612345678"
DARIJA = "kayn chi wa7ed kaybi3 l7chich 9dam lmdrassa"


def say(text: str, number: str = PHONE) -> list[str]:
    return incoming_handle(number=number, text=text).replies


def test_languages_are_told_apart() -> None:
    assert language_of("كاين واحد كيبيع الحشيش قدام المدرسة") == "ar"
    assert language_of(DARIJA) == "fr"
    assert language_of("Il y a un vol dans la rue") == "fr"
    assert language_of("There is someone selling drugs near the school") == "en"


def test_a_darija_report_with_a_landmark_becomes_an_anonymous_report() -> None:
    (ask_place,) = say(DARIJA)
    with translation.override("fr"):
        assert ask_place.startswith("Qurb")
    (ask_anonymous,) = say("Bab Boujloud")
    assert "Bab Boujloud" in ask_anonymous
    (received,) = say("oui")
    report = Report.objects.get(channel=Channel.SMS)
    assert report.tracking_code in received
    assert report.anonymous
    assert report.description == DARIJA
    assert report.category == "drugs"  # the triage read the Darija
    assert report.district.code
    assert report.address == "Bab Boujloud"
    assert not ReporterContact.objects.filter(report=report).exists()
    assert ReportPhone.objects.get(report=report).phone.number == "+212612345678"
    assert Conversation.objects.get().state == ConversationState.IDLE
    # Every reply was queued as an SMS of its own.
    assert list(OutgoingSms.objects.order_by("pk").values_list("text", flat=True)) == [
        ask_place,
        ask_anonymous,
        received,
    ]


def test_an_arabic_report_is_answered_in_arabic_and_may_leave_the_number() -> None:
    (ask_place,) = say("كاين واحد كيبيع الحشيش قدام المدرسة كل نهار")
    assert any("\u0600" <= c <= "\u06ff" for c in ask_place)
    say("باب بوجلود")
    (received,) = say("لا")
    report = Report.objects.get(channel=Channel.SMS)
    assert not report.anonymous
    assert report.language == "ar"
    assert ReporterContact.objects.get(report=report).phone == "+212612345678"
    assert report.tracking_code in received


def test_several_places_are_offered_as_numbered_choices() -> None:
    say("There is someone selling drugs near the school every night")
    (choices,) = say("medina")
    assert "1)" in choices
    assert "2)" in choices
    assert "3)" not in choices.split("?")[0]
    (ask_anonymous,) = say("2")
    assert "2)" not in ask_anonymous
    conversation = Conversation.objects.get()
    assert conversation.state == ConversationState.ANONYMOUS
    assert conversation.language == "en"
    (again,) = say("maybe")
    assert Conversation.objects.get().state == ConversationState.ANONYMOUS
    say("yes")
    assert Report.objects.get(channel=Channel.SMS).language == "en"
    assert again


def test_unknown_places_and_short_texts_are_asked_again() -> None:
    (too_short,) = say("vol")
    assert Conversation.objects.get().state == ConversationState.IDLE
    say("On m'a volé mon téléphone près de la gare")
    (unknown,) = say("Tombouctou")
    assert unknown != too_short
    assert Conversation.objects.get().state == ConversationState.PLACE
    assert not Report.objects.filter(channel=Channel.SMS).exists()


def test_status_is_answered_and_changes_come_back_by_sms(
    django_capture_on_commit_callbacks: Any,
) -> None:
    say(DARIJA)
    say("Bab Boujloud")
    say("1")
    report = Report.objects.get(channel=Channel.SMS)
    (status,) = say(f"STATUS {report.tracking_code.lower()}")
    assert report.tracking_code in status
    (arabic,) = say(f"حالة {report.tracking_code}")
    assert any("\u0600" <= c <= "\u06ff" for c in arabic)
    assert arabic != status
    (unknown,) = say("STATUS Q-2222-2222-2222-2222")
    assert report.tracking_code not in unknown
    before = OutgoingSms.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        report_status_change(
            report=report,
            to_status="acknowledged",
            actor=User.objects.get(username="chief.medina"),
            public_note="Une patrouille passera ce soir.",
        )
    sms = OutgoingSms.objects.order_by("-pk").first()
    assert OutgoingSms.objects.count() == before + 1
    assert sms is not None
    assert sms.purpose == "status"
    assert sms.area_id == report.district_id
    assert report.tracking_code in sms.text
    assert "patrouille" in sms.text


def test_stop_in_any_language_and_nothing_after(django_capture_on_commit_callbacks: Any) -> None:
    for number, word in [("0611111111", "STOP"), ("0622222222", "توقف"), ("0633333333", "Arrêt")]:
        with django_capture_on_commit_callbacks(execute=True):
            (confirmation,) = say(word, number)
        assert services.number_opted_out(number)
        assert OutgoingSms.objects.filter(purpose="stop", text=confirmation).exists()
        assert services.sms_send(number=number, text="news", purpose="subscription") is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\x00\x01\x02",
        "x" * 100_000,
        "كاين" * 5000,
        "STATUS " + "Q" * 5000,
        "STATUS",
        "حالة",
        "<script>alert(1)</script> وحد الشفار هنا",
        "\u202e\u2066" * 500,
        "1",
        "Q-" + "9" * 18,
        "%s %(code)s {0} {{x}}",
        "🚨🚨🚨 someone is fighting 🚨🚨🚨",
    ],
)
def test_hostile_texts_get_an_answer_never_an_error(text: str) -> None:
    replies = say(text)
    assert replies
    assert all(0 < len(r) <= 400 for r in replies)
    for follow_up in ["Bab Boujloud", "9", "oui"]:
        assert all(len(r) <= 400 for r in say(follow_up))


def test_staff_pages_never_show_the_number_of_an_anonymous_sms_report() -> None:
    say(DARIJA)
    say("Bab Boujloud")
    say("1")
    report = Report.objects.get(channel=Channel.SMS)
    chief = signed_in("chief.medina")
    for path in [f"/staff/reports/{report.pk}/", "/staff/reports/"]:
        page = chief.get(path)
        assert page.status_code == 200
        content = page.content.decode()
        if path.endswith(f"/{report.pk}/"):
            assert "l7chich" in content  # the report is on the page, its number is not
        for spelling in ["612345678", "0612345678", "+212612345678", "06 12 34 56 78"]:
            assert spelling not in content


def test_the_retention_deletes_old_numbers_without_reports(settings: Any) -> None:
    say(DARIJA)
    say("Bab Boujloud")
    say("1")  # this number is linked to a report: kept
    say("On a volé une voiture devant la poste", number="0699999999")  # no report
    old = timezone.now() - timedelta(days=settings.SMS_RETENTION_DAYS + 1)
    PhoneNumber.objects.update(created_at=old, last_seen_at=old)
    OutgoingSms.objects.update(created_at=old)
    call_command("sms", "--purge")
    assert list(PhoneNumber.objects.values_list("number", flat=True)) == ["+212612345678"]
    assert not Conversation.objects.filter(number_hash=services.number_hash("0699999999")).exists()
    assert not OutgoingSms.objects.filter(phone__number="+212699999999").exists()


@pytest.mark.parametrize("language", ["fr", "en", "ar"])
def test_replies_are_short_and_french_and_english_ones_cost_gsm_rates(language: str) -> None:
    found = place_search("medina", limit=3, language=language)
    choices: list[dict[str, object]] = [{"name": p.name, "context": p.context} for p in found]
    assert len(choices) == 3
    same: dict[str, object] = {"name": "Bab Boujloud", "context": "Fès-Médina – secteur 1 (démo)"}
    with translation.override(language):
        replies = [
            conversation._ask_place(),
            conversation._too_short(),
            conversation._no_place(),
            conversation._choices_text(choices),
            conversation._choices_text([same, same]),
            conversation._ask_anonymous("Bab Boujloud"),
            conversation._ask_anonymous_again(),
            conversation._received("Q-ABCD-EFGH-JKMN-PQRS"),
            conversation._outside(),
            conversation._too_many_reports(),
            conversation._unknown_code(),
            conversation._stopped(),
            conversation._started(),
            conversation.status_text(code="Q-ABCD-EFGH-JKMN-PQRS", status="received", note=""),
        ]
    for reply in replies:
        if language != "ar":
            assert gsm.is_gsm(gsm.fold(reply)), reply
        assert gsm.parts(reply) <= 2, reply
    assert sum(gsm.parts(r) for r in replies) <= len(replies) + 6


@pytest.mark.parametrize(
    ("answer", "anonymous"),
    [
        ("أجل", True),
        ("نعم", True),
        ("Wakha", True),
        ("OUI !", True),
        ("1", True),
        ("لا", False),
        ("Non.", False),
        ("la", False),
        ("2", False),
    ],
)
def test_anonymity_answers_in_every_language(answer: str, anonymous: bool) -> None:
    say(DARIJA)
    say("Bab Boujloud")
    say(answer)
    assert Report.objects.get(channel=Channel.SMS).anonymous is anonymous


@pytest.mark.parametrize("word", ["ابدأ", "START", "Démarrer"])
def test_start_brings_sms_back(word: str) -> None:
    say("Arrêt")
    assert services.number_opted_out(PHONE)
    say(word)
    assert not services.number_opted_out(PHONE)
