"""Numbers, caps, codes and the queue of outgoing SMS (no gateway: the console, or a loopback
sendsms server that counts the requests)."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone, translation

from qurb.areas.models import Area
from qurb.core import copies
from qurb.sms import gsm, services, tasks
from qurb.sms.models import OutgoingSms, PhoneNumber, SmsState, Verification
from qurb.sms.signals import sms_stopped

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "raw",
    [
        "0612345678",
        "06 12 34 56 78",
        "06-12-34-56-78",
        "06.12.34.56.78",
        "+212612345678",
        "+212 6 12 34 56 78",
        "00212612345678",
        "212612345678",
        "(+212) 612-345-678",
        "٠٦١٢٣٤٥٦٧٨",
        "۰۶۱۲۳۴۵۶۷۸",
        "\u202a+212 612345678\u202c",
    ],
)
def test_moroccan_numbers_are_normalised_to_e164(raw: str) -> None:
    assert services.phone_normalise(raw) == "+212612345678"


def test_other_countries_need_their_prefix() -> None:
    assert services.phone_normalise("+33 6 12 34 56 78") == "+33612345678"
    assert services.phone_normalise("0033612345678") == "+33612345678"
    assert services.phone_normalise("0712345678") == "+212712345678"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "abc",
        "06123",
        "061234567",
        "06123456789",
        "+212012345678",
        "+212412345678",
        "+2126123456789",
        "+",
        "00",
        "+1234567",
        "+1234567890123456",
        "0612345678; DROP TABLE sms_phonenumber",
        "06 12\x00 34 56 78",
        "𝟎𝟔𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖",
        "0" * 10_000,
        "+212612345678\n+212612345679",
        "tel:+212612345678",
    ],
)
def test_bad_numbers_are_refused_with_a_translated_message(raw: str) -> None:
    with pytest.raises(ValidationError) as english:
        services.phone_normalise(raw)
    with translation.override("fr"), pytest.raises(ValidationError) as french:
        services.phone_normalise(raw)
    with translation.override("ar"), pytest.raises(ValidationError) as arabic:
        services.phone_normalise(raw)
    assert english.value.messages != french.value.messages != arabic.value.messages
    assert english.value.code == "bad_number"


def test_number_hash_is_keyed_and_follows_the_number_not_its_spelling() -> None:
    digest = services.number_hash("06 12 34 56 78")
    assert digest == services.number_hash("+212612345678")
    assert digest != services.number_hash("0612345679")
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert "612345678" not in digest
    assert digest != hashlib.sha256(b"+212612345678").hexdigest()


def test_the_per_number_cap_stops_the_day(settings: Any) -> None:
    settings.SMS_DAILY_CAP_PER_NUMBER = 2
    first = services.sms_send(number="0612345678", text="un", purpose="test")
    second = services.sms_send(number="0612345678", text="deux", purpose="test")
    assert first
    assert second
    assert first != second
    assert services.sms_send(number="0612345678", text="trois", purpose="test") is None
    assert services.sms_send(number="0612345679", text="autre", purpose="test") is not None
    # Yesterday's messages do not count today.
    OutgoingSms.objects.filter(pk__in=[first, second]).update(
        created_at=timezone.now() - timedelta(days=2)
    )
    assert services.sms_send(number="0612345678", text="demain", purpose="test") is not None


def test_the_per_area_cap_counts_every_number_of_the_area(settings: Any) -> None:
    settings.SMS_DAILY_CAP_PER_AREA = 2
    one, other = Area.objects.order_by("pk")[:2]
    assert services.sms_send(number="0611111111", text="a", purpose="t", area_id=one.pk)
    assert services.sms_send(number="0622222222", text="b", purpose="t", area_id=one.pk)
    assert services.sms_send(number="0633333333", text="c", purpose="t", area_id=one.pk) is None
    assert services.sms_send(number="0633333333", text="c", purpose="t", area_id=other.pk)
    assert services.sms_send(number="0633333333", text="d", purpose="t") is not None


def test_sms_send_refuses_an_empty_text_and_a_bad_number() -> None:
    with pytest.raises(ValidationError):
        services.sms_send(number="0612345678", text="   ", purpose="t")
    with pytest.raises(ValidationError):
        services.sms_send(number="12", text="bonjour", purpose="t")
    assert not OutgoingSms.objects.exists()


def test_stop_opts_out_and_tells_the_other_apps(django_capture_on_commit_callbacks: Any) -> None:
    heard: list[str] = []

    def listener(sender: Any, number_hash: str, **kwargs: Any) -> None:
        heard.append(number_hash)

    sms_stopped.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            digest = services.number_stop("0612345678")
    finally:
        sms_stopped.disconnect(listener)
    assert heard == [digest] == [services.number_hash("0612345678")]
    assert services.number_opted_out("+212612345678")
    assert services.sms_send(number="0612345678", text="news", purpose="subscription") is None
    # An answer to what the resident texts still goes out; START brings everything back.
    assert services.sms_send(number="0612345678", text="reply", purpose="reply") is not None
    services.number_start("0612345678")
    assert services.sms_send(number="0612345678", text="news", purpose="subscription")


def _last_code() -> str:
    text = OutgoingSms.objects.order_by("-pk").values_list("text", flat=True).first() or ""
    found = re.search(r"\b(\d{6})\b", text)
    assert found, text
    return found.group(1)


def test_a_verification_code_works_once() -> None:
    services.verification_send(number="0612345678", language="fr")
    code = _last_code()
    assert OutgoingSms.objects.get().purpose == "verification"
    assert code not in Verification.objects.get().code_hash
    wrong = "000000" if code != "000000" else "111111"
    assert not services.verification_check(number="0612345678", code=wrong)
    assert services.verification_check(number="+212 6 12 34 56 78", code=code)
    assert not services.verification_check(number="0612345678", code=code)


def test_a_code_expires_and_has_limited_attempts() -> None:
    services.verification_send(number="0612345678", language="ar")
    code = _last_code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(services.VERIFICATION_ATTEMPTS):
        assert not services.verification_check(number="0612345678", code=wrong)
    assert not services.verification_check(number="0612345678", code=code)

    services.verification_send(number="0612345679", language="en")
    code = _last_code()
    Verification.objects.filter(number_hash=services.number_hash("0612345679")).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert not services.verification_check(number="0612345679", code=code)


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "١٢٣٤٥x", "x" * 10_000])
def test_hostile_codes_are_just_wrong(code: str) -> None:
    services.verification_send(number="0612345678", language="fr")
    assert not services.verification_check(number="0612345678", code=code)
    assert not services.verification_check(number="not a number", code=code)


def test_verification_codes_are_rate_limited_per_number(settings: Any) -> None:
    settings.SMS_VERIFICATIONS_PER_HOUR = 3
    for _ in range(3):
        services.verification_send(number="0612345678", language="fr")
    with pytest.raises(ValidationError) as refused:
        services.verification_send(number="0612345678", language="fr")
    too_many = refused.value
    services.verification_send(number="0612345679", language="fr")  # another number
    # The same answer as for a number that texted STOP: the form tells nobody which it was.
    services.number_stop("0612345680")
    with pytest.raises(ValidationError) as refused:
        services.verification_send(number="0612345680", language="fr")
    assert (too_many.code, too_many.messages) == (refused.value.code, refused.value.messages)


def test_no_code_to_a_number_that_stopped() -> None:
    services.number_stop("0612345678")
    with pytest.raises(ValidationError) as refused:
        services.verification_send(number="0612345678", language="fr")
    assert refused.value.code == "no_code"


def test_codes_cost_money_so_they_go_to_moroccan_numbers_within_a_daily_ceiling(
    settings: Any,
) -> None:
    for foreign in ("+447000000001", "+882345678901", "00441234567890"):
        with pytest.raises(ValidationError) as refused:
            services.verification_send(number=foreign, language="fr")
        assert refused.value.code in {"country", "invalid"}
    assert not Verification.objects.exists()
    settings.SMS_VERIFICATIONS_PER_DAY = 2
    services.verification_send(number="0612345601", language="fr")
    services.verification_send(number="0612345602", language="fr")
    with pytest.raises(ValidationError) as refused:
        services.verification_send(number="0612345603", language="fr")
    assert refused.value.code == "platform_cap"


def test_someone_else_cannot_spoil_a_residents_code_for_the_same_number() -> None:
    services.verification_send(number="0612345678", language="fr", scope="resident")
    text = OutgoingSms.objects.order_by("-pk").values_list("text", flat=True).first() or ""
    code = "".join(ch for ch in text if ch.isdigit())[:6]
    services.verification_send(number="0612345678", language="fr", scope="attacker")
    for _ in range(10):  # the attacker's wrong tries count against their own request only
        assert not services.verification_check(number="0612345678", code="000000", scope="attacker")
    assert not services.verification_check(number="0612345678", code=code, scope="attacker")
    assert services.verification_check(number="0612345678", code=code, scope="resident")


# --- delivery: claimed, sent, recorded ----------------------------------------------------------


def test_without_a_gateway_the_sms_goes_to_the_console(capsys: Any) -> None:
    sms_id = services.sms_send(number="0612345678", text="Bonjour de Qurb", purpose="t")
    assert sms_id is not None
    assert tasks.deliver(sms_id) == "sent"
    assert "Bonjour de Qurb" in capsys.readouterr().out
    assert OutgoingSms.objects.get(pk=sms_id).state == SmsState.SENT
    assert tasks.deliver(sms_id) == "done"
    assert "Bonjour" not in capsys.readouterr().out


def test_a_copy_left_sending_by_a_dead_worker_is_sent_again_once(sendsms: Any) -> None:
    sms_id = services.sms_send(number="0612345678", text="Votre signalement", purpose="t")
    assert sms_id is not None
    # A worker claimed it, maybe handed it to Kannel, and died before recording anything.
    OutgoingSms.objects.filter(pk=sms_id).update(
        state=SmsState.SENDING, attempts=1, lease_until=timezone.now() + timedelta(seconds=30)
    )
    assert tasks.deliver(sms_id) == "busy"  # its lease runs: nobody else sends it
    assert sendsms.requests == []
    OutgoingSms.objects.filter(pk=sms_id).update(
        lease_until=timezone.now() - timedelta(seconds=1), enqueued_at=None
    )
    assert tasks.sweep() == 1  # the sweep puts it back in the queue, once
    assert tasks.sweep() == 0
    assert tasks.deliver(sms_id) == "sent"
    assert tasks.deliver(sms_id) == "done"
    assert tasks.deliver(sms_id) == "done"
    assert len(sendsms.requests) == 1
    sent = sendsms.requests[0]
    assert sent["to"] == "+212612345678"
    assert sent["text"] == "Votre signalement"
    assert sent["dlr-mask"] == "31"
    assert f"id={sms_id}" in sent["dlr-url"]
    assert "status=%d" in sent["dlr-url"]
    row = OutgoingSms.objects.get(pk=sms_id)
    assert (row.state, row.attempts, row.lease_until) == (SmsState.SENT, 2, None)


def test_a_busy_gateway_means_a_later_attempt_then_failure(sendsms: Any, settings: Any) -> None:
    settings.SMS_DELIVERY_ATTEMPTS = 2
    sendsms.status[0] = 503
    sms_id = services.sms_send(number="0612345678", text="حالة بلاغك", purpose="t")
    assert sms_id is not None
    assert tasks.deliver(sms_id) == "retry"
    row = OutgoingSms.objects.get(pk=sms_id)
    assert row.state == SmsState.PENDING
    assert row.next_attempt_at is not None
    assert row.next_attempt_at > timezone.now()
    assert tasks.deliver(sms_id) == "later"
    OutgoingSms.objects.filter(pk=sms_id).update(next_attempt_at=timezone.now())
    assert tasks.deliver(sms_id) == "failed"
    assert OutgoingSms.objects.get(pk=sms_id).state == SmsState.FAILED
    assert len(sendsms.requests) == 2
    assert sendsms.requests[0]["coding"] == "2"  # Arabic: UCS-2


def test_a_refusing_gateway_fails_the_sms_at_once(sendsms: Any) -> None:
    sendsms.status[0] = 403
    sms_id = services.sms_send(number="0612345678", text="x" * 20, purpose="t")
    assert sms_id is not None
    assert tasks.deliver(sms_id) == "failed"
    assert "HTTP 403" in OutgoingSms.objects.get(pk=sms_id).error


def test_nothing_leaves_for_a_number_that_stopped_after_queueing(sendsms: Any) -> None:
    sms_id = services.sms_send(number="0612345678", text="news", purpose="subscription")
    assert sms_id is not None
    services.number_stop("0612345678")
    assert tasks.deliver(sms_id) == "stopped"
    assert sendsms.requests == []


def test_delivery_reports_are_recorded_and_final_states_stay() -> None:
    sms_id = services.sms_send(number="0612345678", text="x" * 12, purpose="t")
    assert sms_id is not None
    assert tasks.deliver(sms_id) == "sent"
    key = services.dlr_key(sms_id)
    assert not services.delivery_report_record(sms_id=sms_id, key="wrong", status=1)
    assert not services.delivery_report_record(sms_id=sms_id + 999, key=key, status=1)
    assert services.delivery_report_record(sms_id=sms_id, key=key, status=8)
    assert OutgoingSms.objects.get(pk=sms_id).state == SmsState.SENT
    assert services.delivery_report_record(sms_id=sms_id, key=key, status=1)
    assert services.delivery_report_record(sms_id=sms_id, key=key, status=2)
    row = OutgoingSms.objects.get(pk=sms_id)
    assert (row.state, row.dlr_status) == (SmsState.DELIVERED, 1)


def test_the_command_plays_a_phone(capsys: Any, settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path  # no demo gateway runs here: answered in this process
    call_command("sms", "--from", "0612345678", "kayn chi wa7ed kaybi3 l7chich 9dam lmdrassa")
    out = capsys.readouterr().out
    assert out.startswith("< Qurb")
    assert OutgoingSms.objects.filter(purpose="reply").count() == 1
    assert PhoneNumber.objects.get().number == "+212612345678"
    with pytest.raises(CommandError):
        call_command("sms", "--from", "not-a-phone", "bonjour tout le monde")


def test_sms_lengths_and_the_gsm_alphabet() -> None:
    assert gsm.parts("a" * 160) == 1
    assert gsm.parts("a" * 161) == 2
    assert gsm.parts("€" * 80) == 1  # an extended character counts two septets
    assert gsm.parts("€" * 81) == 2
    assert gsm.parts("ب" * 70) == 1
    assert gsm.parts("ب" * 71) == 2
    assert gsm.parts("🚨" * 35) == 1  # two UTF-16 units each
    assert gsm.fold("Reçu – l’équipe passera") == "Recu - l'équipe passera"
    assert gsm.fold("تم التوصل – شكرا") == "تم التوصل – شكرا"
    assert gsm.fold("ç 🚨") == "ç 🚨"


def test_french_sms_leave_in_the_gsm_alphabet_and_arabic_ones_in_ucs2(sendsms: Any) -> None:
    for text in ["Qurb Q-AAAA : Reçu. L’équipe passe.", "قرب: توصلنا ببلاغك"]:
        sms_id = services.sms_send(number="0612345678", text=text, purpose="t")
        assert sms_id is not None
        assert tasks.deliver(sms_id) == "sent"
    french, arabic = sendsms.requests
    assert (french["text"], french["coding"]) == ("Qurb Q-AAAA : Recu. L'équipe passe.", "0")
    assert (arabic["text"], arabic["coding"]) == ("قرب: توصلنا ببلاغك", "2")
    assert OutgoingSms.objects.filter(text__contains="Reçu").exists()  # the row keeps it


def test_a_late_worker_cannot_overwrite_the_outcome_of_the_one_that_took_over() -> None:
    sms_id = services.sms_send(number="0612345678", text="Bonjour", purpose="t")
    assert sms_id is not None
    # Worker A claimed it (attempt 1); its lease ran out and worker B took it (attempt 2).
    OutgoingSms.objects.filter(pk=sms_id).update(state=SmsState.SENDING, attempts=2)
    assert tasks._settle(sms_id, 2, state=SmsState.SENT) is True  # B's outcome
    OutgoingSms.objects.filter(pk=sms_id).update(state=SmsState.SENDING)
    assert tasks._settle(sms_id, 1, state=SmsState.FAILED, error="late") is False  # A's
    assert OutgoingSms.objects.get(pk=sms_id).state == SmsState.SENDING


def test_an_sms_is_claimed_by_the_claim_every_delivery_shares(sendsms: Any) -> None:
    """SMS and WhatsApp messages are copies like an alert's or a neighbourhood message's: due
    when queued, taken by ``qurb.core.copies.claim`` (one conditional update, due copies only,
    the state and attempt count as the token)."""
    sms_id = services.sms_send(number="0612345678", text="Bonjour de Qurb", purpose="t")
    assert sms_id is not None
    row = OutgoingSms.objects.values("id", "state", "attempts").get(pk=sms_id)
    queued = OutgoingSms.objects.get(pk=sms_id)
    assert queued.next_attempt_at == queued.enqueued_at  # due at once
    now = timezone.now()
    # Not due yet: nobody takes it.
    OutgoingSms.objects.filter(pk=sms_id).update(next_attempt_at=now + timedelta(minutes=1))
    assert not copies.claim(OutgoingSms.objects.all(), row, now, tasks.lease())
    assert tasks.deliver(sms_id) == "later"
    # Due: one claim wins, a second one with the same token does not.
    OutgoingSms.objects.filter(pk=sms_id).update(next_attempt_at=now)
    assert copies.claim(OutgoingSms.objects.all(), row, now, tasks.lease())
    assert not copies.claim(OutgoingSms.objects.all(), row, now, tasks.lease())
    assert tasks.deliver(sms_id) == "busy"  # the claimer's lease runs
    assert sendsms.requests == []
    # Its worker died: once the lease is over the task takes it over, with a new token.
    OutgoingSms.objects.filter(pk=sms_id).update(lease_until=now - timedelta(seconds=1))
    assert tasks.deliver(sms_id) == "sent"
    assert (OutgoingSms.objects.get(pk=sms_id).attempts, len(sendsms.requests)) == (2, 1)


def test_a_retried_sms_is_due_only_after_its_backoff(sendsms: Any) -> None:
    sendsms.status[0] = 503
    sms_id = services.sms_send(number="0612345678", text="Bonjour de Qurb", purpose="t")
    assert sms_id is not None
    assert tasks.deliver(sms_id) == "retry"
    row = OutgoingSms.objects.get(pk=sms_id)
    assert row.enqueued_at is not None
    assert row.next_attempt_at >= row.enqueued_at + tasks.backoff(1) - timedelta(seconds=1)
    assert tasks.sweep() == 0  # not due: the sweep leaves it
    OutgoingSms.objects.filter(pk=sms_id).update(
        next_attempt_at=timezone.now(), enqueued_at=timezone.now() - timedelta(minutes=2)
    )
    assert tasks.sweep() == 1


def test_a_task_waiting_behind_a_long_queue_is_not_queued_again_every_minute() -> None:
    """A task still waiting in the queue looks lost to the sweep; each time the sweep puts it
    back, it waits twice as long before doing so again (1, 2, 4 … 60 minutes)."""
    sms_id = services.sms_send(number="0612345678", text="Bonjour", purpose="t")
    assert sms_id is not None
    row = OutgoingSms.objects.filter(pk=sms_id)
    row.update(next_attempt_at=timezone.now() - timedelta(days=2))
    queued_at: list[int] = []
    last = 0  # the minute its task was last put in the queue
    for minute in range(1, 24 * 60 + 1):  # one sweep a minute for a day, the task never run
        # The clock moved on ``minute - last`` minutes since the task was last queued.
        row.update(enqueued_at=timezone.now() - timedelta(minutes=minute - last, seconds=1))
        if tasks.sweep():
            queued_at.append(minute)
            last = minute
    assert queued_at[:7] == [1, 3, 7, 15, 31, 63, 123]
    assert len(queued_at) == 7 + (24 * 60 - 123) // 60  # then once an hour
    assert row.get().sweeps == len(queued_at)


def test_a_retry_starts_the_sweep_waits_again(sendsms: Any) -> None:
    sms_id = services.sms_send(number="0612345678", text="Bonjour", purpose="t")
    assert sms_id is not None
    OutgoingSms.objects.filter(pk=sms_id).update(sweeps=5)
    sendsms.status[0] = 503
    assert tasks.deliver(sms_id) == "retry"
    assert OutgoingSms.objects.get(pk=sms_id).sweeps == 0
