"""Ticket codes typed at the gate: Crockford's base32, so the case, spaces, dashes and the usual
look-alikes (o for 0, i or l for 1) do not matter; older codes still work; hostile input gets
a clear refusal, never an error page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from qurb.accounts.models import User
from qurb.areas.models import Area
from qurb.communication import ticketcodes
from qurb.communication.models import CheckIn, Event, Ticket
from qurb.communication.selectors import ticket_for_code
from qurb.communication.services import check_in, event_create, event_publish, ticket_register
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _event() -> Event:
    cell = User.objects.get(username="cell.fes")
    today = timezone.localdate()
    event = event_create(
        actor=cell,
        area=Area.objects.get(code="03.231"),
        kind="open_day",
        title="Portes ouvertes",
        starts_on=today,
        ends_on=today + timedelta(days=1),
        language="fr",
    )
    return event_publish(actor=cell, event=event)


def _sloppy(code: str) -> str:
    """How a code is typed from a phone: small letters, groups with spaces and dashes, and the
    letter o for the zero, i and l for the one."""
    typed = " " + " - ".join(code[i : i + 4] for i in range(0, 16, 4)).lower() + " "
    return typed.replace("0", "o").replace("1", "l")


def test_new_codes_are_crockford_and_read_back_from_what_people_type() -> None:
    codes = {ticketcodes.new() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 16 and set(c) <= set(ticketcodes.CROCKFORD) for c in codes)
    assert not set("ILOU") & set(ticketcodes.CROCKFORD)
    code = "01AB-CDEF-GHJK-MN23".replace("-", "")
    assert ticketcodes.grouped(code) == "01AB-CDEF-GHJK-MN23"
    for typed in (
        code,
        code.lower(),
        "ol ab cdef ghjk mn23",
        "OI-AB-CDEF-GHJK-MN23",
        "0iab\u2013cdef\u00a0ghjk mn23",  # an en dash and a no-break space from a phone
        "\uff10\uff11ab cdef ghjk mn\uff12\uff13",  # full-width digits
        "٠١ab cdef ghjk mn٢٣",  # Arabic-Indic digits from an Arabic keyboard
    ):
        assert ticketcodes.canonical(typed) == code, typed
    for wrong in ("", "01AB", code + "4", code[:-1] + "U", code[:-1] + "*", "é" * 16):
        assert ticketcodes.canonical(wrong) == "", wrong
    assert ticketcodes.given(" - ") is False
    assert ticketcodes.given("x") is True


def test_the_service_takes_a_sloppy_code_once_and_refuses_what_is_not_a_ticket() -> None:
    event = _event()
    ticket = ticket_register(event=event, name="Salma", visitor_kind="pupil")
    assert len(ticket.code) == 16
    assert ticketcodes.canonical(ticket.code) == ticket.code
    gatekeeper = User.objects.get(username="officer.medina")
    entry = check_in(actor=gatekeeper, event=event, code=_sloppy(ticket.code))
    assert entry.ticket == ticket
    with pytest.raises(ValidationError) as again:  # the same ticket, typed another way
        check_in(actor=gatekeeper, event=event, code=ticket.code.lower())
    assert "already came in today" in str(again.value)
    other = ticket_register(event=event, name="Yassine", visitor_kind="tourist")
    scanned = f"https://qurb.example/events/{event.slug}/tickets/{other.code}/?utm=x#top"
    assert check_in(actor=gatekeeper, event=event, code=scanned).ticket == other
    hostile = [
        "x" * 10_000,
        "' OR 1=1 --",
        "a\x00b" * 6,
        "../../../../etc/passwd",
        "<script>alert(1)</script>",
        "%00%27",
        ticket.code[:-1],  # one symbol short
        ticket.code + "Z",  # one symbol too many
        "ترقيم" * 4,
    ]
    for raw in hostile:
        with pytest.raises(ValidationError) as refused:
            check_in(actor=gatekeeper, event=event, code=raw)
        assert refused.value.message_dict == {
            "code": ["This ticket is not valid for this event."]
        }, raw
    with pytest.raises(ValidationError) as empty:  # only separators: no code was given
        check_in(actor=gatekeeper, event=event, code=" - - ")
    assert "Scan or type a ticket" in str(empty.value)
    # A ticket of another event is not valid here, however it is typed.
    elsewhere = _event()
    stranger = ticket_register(event=elsewhere, name="Nadia", visitor_kind="resident")
    assert ticket_for_code(event, _sloppy(stranger.code)) is None
    assert CheckIn.objects.filter(event=event).count() == 2


def test_older_codes_still_work_as_printed_and_in_another_case_when_unambiguous() -> None:
    event = _event()
    old = Ticket.objects.create(
        event=event, code="aB3-_xYz9QrStU7w", name="A", visitor_kind="pupil"
    )
    assert ticket_for_code(event, "aB3-_xYz9QrStU7w") == old
    assert ticket_for_code(event, "AB3-_XYZ9QRSTU7W") == old
    twin = Ticket.objects.create(
        event=event, code="Ab3-_xYz9QrStU7w", name="B", visitor_kind="pupil"
    )
    assert ticket_for_code(event, "ab3-_xyz9qrstu7w") is None  # two tickets: no guess
    assert ticket_for_code(event, "Ab3-_xYz9QrStU7w") == twin  # as printed: that one
    gatekeeper = User.objects.get(username="officer.medina")
    assert check_in(actor=gatekeeper, event=event, code="aB3-_xYz9QrStU7w").ticket == old


def test_the_gate_page_takes_lower_case_and_explains_refusals_in_the_staff_language() -> None:
    event = _event()
    ticket = ticket_register(event=event, name="Salma", visitor_kind="pupil")
    gate = signed_in("chief.medina")
    url = reverse("communication:gate", args=[event.pk])
    page = gate.get(url)
    assert 'autocapitalize="characters"' in page.content.decode()
    welcome = gate.post(url, {"code": _sloppy(ticket.code)}, HTTP_ACCEPT_LANGUAGE="en")
    assert welcome.status_code == 200
    assert "Welcome" in welcome.content.decode()
    assert "Salma" in welcome.content.decode()
    # (A NUL character never reaches the page: the request guards refuse it with a 400.)
    assert gate.post(url, {"code": "\x00"}, HTTP_ACCEPT_LANGUAGE="fr").status_code == 400
    for raw in ("x" * 5000, "<b>nope</b>", ticket.code[:15], "٠١٢٣", "' OR 1=1 --"):
        refused = gate.post(url, {"code": raw}, HTTP_ACCEPT_LANGUAGE="fr")
        assert refused.status_code == 400, raw
        assert "&lt;b&gt;" not in refused.content.decode()
        assert 'role="alert"' in refused.content.decode()
    arabic = gate.post(url, {"code": "zzzz-zzzz-zzzz-zzzz"}, HTTP_ACCEPT_LANGUAGE="ar")
    assert arabic.status_code == 400
    assert "This ticket is not valid" not in arabic.content.decode()  # translated
    assert CheckIn.objects.filter(event=event).count() == 1


def test_the_ticket_page_shows_the_code_in_groups_and_a_typed_address_finds_it() -> None:
    event = _event()
    ticket = ticket_register(event=event, name="Salma", visitor_kind="pupil")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    own = reverse("communication:ticket", args=[event.slug, ticket.code])
    shown = client.get(own).content.decode()
    assert ticketcodes.grouped(ticket.code) in shown
    typed = client.get(reverse("communication:ticket", args=[event.slug, _sloppy(ticket.code)]))
    assert typed.status_code == 302
    assert typed["Location"] == own
    assert (
        client.get(reverse("communication:ticket", args=[event.slug, "x" * 400])).status_code == 404
    )
