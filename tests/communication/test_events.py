"""Open days: a programme, tickets with a QR code, check-in at the gate (once per ticket and
day), live counts per day, hour and kind of visitor, iCalendar, and the offline programme."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from qurb.accounts.models import User
from qurb.areas.models import Area
from qurb.communication.models import CheckIn, Event
from qurb.communication.selectors import attendance
from qurb.communication.services import (
    check_in,
    event_create,
    event_publish,
    programme_add,
    ticket_register,
    venue_add,
)
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def _event(**overrides: object) -> Event:
    cell = User.objects.get(username="cell.fes")
    today = timezone.localdate()
    fields: dict[str, object] = {
        "actor": cell,
        "area": Area.objects.get(code="03.231"),
        "kind": "open_day",
        "title": "Journées portes ouvertes",
        "starts_on": today,
        "ends_on": today + timedelta(days=1),
        "language": "fr",
    }
    fields.update(overrides)
    event = event_create(**fields)  # type: ignore[arg-type]
    programme_add(
        actor=cell,
        event=event,
        title="Séminaire : police de proximité",
        speakers="Commissaire Bennani",
        starts_at=timezone.make_aware(datetime.combine(today, time(10))),
        ends_at=timezone.make_aware(datetime.combine(today, time(11))),
    )
    return event_publish(actor=cell, event=event)


def test_only_the_cell_of_the_area_creates_events_and_bad_input_is_explained() -> None:
    area = Area.objects.get(code="03.231")
    today = timezone.localdate()
    with pytest.raises(PermissionDenied):
        event_create(
            actor=User.objects.get(username="cell.meknes"),
            area=area,
            kind="open_day",
            title="x",
            starts_on=today,
            ends_on=today,
        )
    with pytest.raises(ValidationError) as error:
        event_create(
            actor=User.objects.get(username="cell.fes"),
            area=area,
            kind="fair",
            title=" ",
            starts_on=today,
            ends_on=today - timedelta(days=1),
        )
    assert set(error.value.message_dict) == {"kind", "title", "ends_on"}


def test_ticket_qr_gate_and_live_figures() -> None:
    event = _event(capacity=2)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = client.get(reverse("communication:programme", args=[event.slug]))
    assert "Séminaire : police de proximité" in page.content.decode()
    assert "max-age=60" in page["Cache-Control"]
    assert "csrfmiddlewaretoken" not in page.content.decode()  # the shared copy holds no token
    with_message = Client(HTTP_ACCEPT_LANGUAGE="en")
    with_message.cookies["messages"] = "pending"
    own = with_message.get(reverse("communication:programme", args=[event.slug]))
    assert own.status_code == 200  # rendered for this visitor, not taken from the shared copy
    again = client.get(
        reverse("communication:programme", args=[event.slug]), HTTP_IF_NONE_MATCH=page["ETag"]
    )
    assert again.status_code == 304
    assert client.get(reverse("communication:ticket_new", args=[event.slug])).status_code == 200
    answer = client.post(
        reverse("communication:ticket_new", args=[event.slug]),
        {"name": "Salma", "email": "salma@example.org", "visitor_kind": "pupil"},
    )
    assert answer.status_code == 302
    ticket = event.tickets.get()
    shown = client.get(answer["Location"]).content.decode()
    assert "<svg" in shown
    assert ticket.code in shown
    ticket_register(event=event, name="Yassine", visitor_kind="tourist")
    full = client.post(
        reverse("communication:ticket_new", args=[event.slug]),
        {"name": "Late", "visitor_kind": "resident"},
    )
    assert full.status_code == 400
    assert "There is no ticket left for this event." in full.content.decode()
    gatekeeper = User.objects.get(username="officer.medina")
    check_in(actor=gatekeeper, event=event, code=ticket.code)
    with pytest.raises(ValidationError) as error:  # the same ticket again the same day
        check_in(actor=gatekeeper, event=event, code=ticket.code)
    assert "already came in today" in str(error.value)
    with pytest.raises(ValidationError):
        check_in(actor=gatekeeper, event=event, code="not-a-ticket")
    # A scanned code is the ticket's address: the gate reads the code at its end.
    other = event.tickets.exclude(pk=ticket.pk).get()
    check_in(
        actor=gatekeeper, event=event, code=f"https://qurb.example/events/x/tickets/{other.code}/"
    )
    check_in(actor=gatekeeper, event=event, visitor_kind="resident")  # counted at the gate
    with pytest.raises(PermissionDenied):
        check_in(actor=User.objects.get(username="resident"), event=event, visitor_kind="resident")
    figures = attendance(event)
    assert (figures.total, figures.today, figures.tickets) == (3, 3, 2)
    assert dict(figures.by_kind) == {"Pupil or student": 1, "Tourist": 1, "Resident": 1}
    hour = timezone.localtime().hour
    assert figures.by_hour[timezone.localdate()][hour] == 3
    live = signed_in("cell.fes").get(reverse("communication:live", args=[event.pk])).json()
    assert (live["today"], live["total"]) == (3, 3)
    # The gate page: typing a code (no camera), and the refusal says why.
    gate = signed_in("chief.medina")
    again = gate.post(
        reverse("communication:gate", args=[event.pk]),
        {"code": ticket.code},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert again.status_code == 400
    assert "already came in today" in again.content.decode()
    assert (
        signed_in("chief.meknes").get(reverse("communication:gate", args=[event.pk])).status_code
        == 404
    )
    assert CheckIn.objects.filter(event=event).count() == 3


def test_calendar_manifest_offline_worker_and_plan() -> None:
    event = _event()
    venue_add(
        actor=User.objects.get(username="cell.fes"),
        event=event,
        name="Complexe sportif",
        lat=34.0630,
        lon=-4.9790,
    )
    body = Client().get(reverse("communication:events_ics")).content
    calendar = Calendar.from_ical(body)
    summaries = [str(e["summary"]) for e in calendar.walk("VEVENT")]
    assert event.title in summaries
    assert any("Séminaire" in s for s in summaries)
    manifest = Client().get(reverse("communication:manifest")).json()
    assert manifest["scope"] == "/events/"
    assert manifest["display"] == "standalone"
    worker = Client().get(reverse("communication:service_worker"))
    assert worker["Service-Worker-Allowed"] == "/events/"
    assert b"caches.match" in worker.content
    page = Client().get(reverse("communication:programme", args=[event.slug])).content.decode()
    assert 'rel="manifest"' in page
    # The plan of the venues is drawn in the page itself: it needs no tiles offline.
    assert 'class="site-plan"' in page
    assert "<circle" in page
    assert "<path" in page


def test_unpublished_events_are_not_public() -> None:
    cell = User.objects.get(username="cell.fes")
    today = timezone.localdate()
    draft = event_create(
        actor=cell,
        area=Area.objects.get(code="03.231"),
        kind="public",
        title="Brouillon",
        starts_on=today,
        ends_on=today,
    )
    assert Client().get(reverse("communication:programme", args=[draft.slug])).status_code == 404
    with pytest.raises(ValidationError):
        ticket_register(event=draft, name="x", visitor_kind="resident")


def test_the_cached_programme_follows_changes(django_capture_on_commit_callbacks: Any) -> None:
    event = _event()
    url = reverse("communication:programme", args=[event.slug])
    first = Client().get(url).content.decode()
    assert "Atelier : sécurité en ligne" not in first
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        programme_add(
            actor=User.objects.get(username="cell.fes"),
            event=event,
            title="Atelier : sécurité en ligne",
            starts_at=timezone.make_aware(datetime.combine(today, time(14))),
            ends_at=timezone.make_aware(datetime.combine(today, time(15))),
        )
    assert "Atelier : sécurité en ligne" in Client().get(url).content.decode()
