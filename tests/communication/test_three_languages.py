"""Events, venues, stands and programme items in Arabic, French and English: each reader sees
the text in their language, or the next one given (Arabic, French, English); the staff forms
take the three and ask for at least one; the programme page, the calendar and the audit trail
follow."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from icalendar import Calendar

from qurb.accounts.models import User
from qurb.areas.models import Area
from qurb.audit.models import AuditEvent
from qurb.communication.models import Event, ProgrammeItem, Stand, Venue
from qurb.communication.services import (
    event_create,
    event_publish,
    programme_add,
    stand_add,
    venue_add,
)
from qurb.core.text import texts_of, written_in
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

TITLE = {"ar": "الأيام المفتوحة ق٧", "fr": "Portes ouvertes Q7", "en": "Open days Q7"}
SEMINAR = {"ar": "ندوة شرطة القرب", "fr": "Séminaire de proximité", "en": "Community seminar"}


def _cell() -> User:
    return User.objects.get(username="cell.fes")


def _open_day(title: dict[str, str] | str = TITLE, **texts: object) -> Event:
    today = timezone.localdate()
    event = event_create(
        actor=_cell(),
        area=Area.objects.get(code="03.231"),
        kind="open_day",
        title=title,
        starts_on=today,
        ends_on=today + timedelta(days=1),
        **texts,  # type: ignore[arg-type]
    )
    return event_publish(actor=_cell(), event=event)


def _seminar(event: Event, title: dict[str, str] | str = SEMINAR, **texts: object) -> ProgrammeItem:
    today = timezone.localdate()
    return programme_add(
        actor=_cell(),
        event=event,
        title=title,
        starts_at=timezone.make_aware(datetime.combine(today, time(10))),
        ends_at=timezone.make_aware(datetime.combine(today, time(11))),
        **texts,  # type: ignore[arg-type]
    )


def test_script_decides_the_language_of_a_single_text() -> None:
    assert written_in("دار الشباب البطحاء") == "ar"
    assert written_in("Dar Chabab Batha") == "fr"
    assert written_in("Salle 3 — دار الشباب") == "ar"  # more Arabic letters than Latin ones
    assert written_in("Complexe sportif (المركب)") == "fr"
    assert written_in("") == "fr"
    assert texts_of("  Salle A ") == {"ar": "", "fr": "Salle A", "en": ""}
    assert texts_of("Room A", "en") == {"ar": "", "fr": "", "en": "Room A"}
    assert texts_of({"ar": " القاعة ", "de": "Saal"}) == {"ar": "القاعة", "fr": "", "en": ""}


@pytest.mark.parametrize(
    ("language", "expected"), [("ar", "ar"), ("fr", "fr"), ("en", "en"), ("es", "ar")]
)
def test_each_text_follows_the_active_language(language: str, expected: str) -> None:
    event = _open_day(
        description={"ar": "وصف", "fr": "Description", "en": "Description (en)"},
    )
    item = _seminar(
        event,
        place={"ar": "القاعة أ", "fr": "Salle A", "en": "Room A"},
        speakers={"ar": "وحدة الكلاب", "fr": "Unité cynophile", "en": "Dog unit"},
    )
    venue = venue_add(
        actor=_cell(),
        event=event,
        name={"ar": "المركب", "fr": "Complexe", "en": "Complex"},
        address={"ar": "طريق إيموزار", "fr": "Route d'Imouzzer", "en": "Imouzzer road"},
    )
    stand = stand_add(
        actor=_cell(),
        venue=venue,
        name={"ar": "الشرطة العلمية", "fr": "Police scientifique", "en": "Forensics"},
        description={"ar": "بصمات", "fr": "Empreintes", "en": "Fingerprints"},
    )
    event, item = Event.objects.get(pk=event.pk), ProgrammeItem.objects.get(pk=item.pk)
    venue, stand = Venue.objects.get(pk=venue.pk), Stand.objects.get(pk=stand.pk)
    with translation.override(language):
        assert event.title == TITLE[expected]
        assert str(event) == TITLE[expected]
        assert event.description == event.translations("description")[expected]
        assert item.title == SEMINAR[expected]
        assert item.place == item.translations("place")[expected]
        assert item.speakers == item.translations("speakers")[expected]
        assert venue.name == venue.names()[expected]
        assert venue.address == venue.translations("address")[expected]
        assert stand.name == stand.names()[expected]
        assert stand.description == stand.translations("description")[expected]
    assert item.localized("title", "fr") == SEMINAR["fr"]


def test_a_text_missing_in_the_readers_language_falls_back() -> None:
    event = _open_day({"fr": "Portes ouvertes Q8"})
    item = _seminar(event, {"en": "Seminar only in English"})
    assert event.title_ar == ""
    assert event.title_fr == "Portes ouvertes Q8"
    with translation.override("ar"):
        assert event.title == "Portes ouvertes Q8"  # Arabic missing: French
        assert item.title == "Seminar only in English"
    with translation.override("en"):
        assert event.title == "Portes ouvertes Q8"
    # A single string is kept in the language it is written in.
    venue = venue_add(actor=_cell(), event=event, name="المركب الرياضي")
    assert (venue.name_ar, venue.name_fr) == ("المركب الرياضي", "")


def test_the_audit_trail_records_the_languages_written() -> None:
    event = _open_day({"ar": TITLE["ar"], "en": TITLE["en"]})
    item = _seminar(event, {"fr": SEMINAR["fr"]})
    created = AuditEvent.objects.get(action="communication.create_event", object_id=str(event.pk))
    assert created.details == {"languages": ["ar", "en"]}
    added = AuditEvent.objects.get(
        action="communication.add_programme_item", object_id=str(item.pk)
    )
    assert added.details == {"event": event.pk, "languages": ["fr"]}


def test_the_programme_page_is_in_the_readers_language() -> None:
    event = _open_day()
    _seminar(event)
    venue = venue_add(
        actor=_cell(), event=event, name={"ar": "المركب الرياضي", "fr": "Complexe sportif"}
    )
    stand_add(actor=_cell(), venue=venue, name={"ar": "السلامة الطرقية", "fr": "Sécurité routière"})
    url = reverse("communication:programme", args=[event.slug])
    arabic = signed_in("resident").get(url, HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    for text in (TITLE["ar"], SEMINAR["ar"], "المركب الرياضي", "السلامة الطرقية"):
        assert text in arabic
    for text in (TITLE["fr"], SEMINAR["fr"], "Complexe sportif", "Sécurité routière"):
        assert text not in arabic
    french = signed_in("resident").get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert SEMINAR["fr"] in french
    assert SEMINAR["ar"] not in french
    assert "Complexe sportif" in french
    # The shared cached copy for visitors without a session is kept per language too.
    from django.test import Client

    first = Client().get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    second = Client().get(url, HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert SEMINAR["fr"] in first
    assert SEMINAR["ar"] in second


def test_the_calendar_is_in_the_active_language() -> None:
    event = _open_day()
    _seminar(event, place={"ar": "القاعة أ", "fr": "Salle A"})
    url = reverse("communication:events_ics")
    for language in ("ar", "fr"):
        feed = signed_in("resident").get(url, HTTP_ACCEPT_LANGUAGE=language)
        events = Calendar.from_ical(feed.content).walk("VEVENT")
        summaries = {str(e["summary"]) for e in events}
        assert TITLE[language] in summaries
        assert f"{TITLE[language]}: {SEMINAR[language]}" in summaries
        locations = {str(e.get("location")) for e in events if e.get("location")}
        assert {"ar": "القاعة أ", "fr": "Salle A"}[language] in locations


def test_the_staff_event_form_takes_three_languages_and_needs_one() -> None:
    cell = signed_in("cell.fes")
    area = Area.objects.get(code="03.231")
    today = timezone.localdate().isoformat()
    url = reverse("communication:staff_events")
    page = cell.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    for name in ("title_ar", "title_fr", "title_en", "description_ar"):
        assert f'name="{name}"' in page
    assert 'lang="ar" dir="rtl"' in page
    empty = {"area": area.pk, "kind": "open_day", "starts_on": today, "ends_on": today}
    refused = cell.post(url, empty, HTTP_ACCEPT_LANGUAGE="fr")
    assert refused.status_code == 400
    assert "titre à l&#x27;événement dans au moins une langue." in refused.content.decode()
    assert refused.context["form"].errors["title_fr"]  # on the field of the page's language
    arabic = cell.post(url, empty, HTTP_ACCEPT_LANGUAGE="ar")
    assert "أعط التظاهرة عنوانًا بلغة واحدة على الأقل." in arabic.content.decode()
    done = cell.post(
        url,
        empty | {"title_ar": TITLE["ar"], "title_en": TITLE["en"], "description_fr": "Stands"},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert done.status_code == 302
    event = Event.objects.latest("pk")
    assert event.titles() == {"ar": TITLE["ar"], "fr": "", "en": TITLE["en"]}
    assert event.description_fr == "Stands"


def test_the_staff_event_page_adds_venues_stands_and_sessions_in_three_languages() -> None:
    event = _open_day()
    cell = signed_in("cell.fes")
    edit = reverse("communication:staff_event_edit", args=[event.pk])
    page = cell.get(reverse("communication:staff_event", args=[event.pk]))
    assert page.status_code == 200
    refused = cell.post(edit, {"what": "venue", "address_fr": "Route"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert refused.status_code == 302
    assert not event.venues.exists()
    shown = cell.get(
        reverse("communication:staff_event", args=[event.pk]), HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert "Nommez le lieu dans au moins une langue." in shown.content.decode()
    cell.post(edit, {"what": "venue", "name_ar": "المركب", "name_fr": "Complexe"})
    venue = event.venues.get()
    assert venue.names() == {"ar": "المركب", "fr": "Complexe", "en": ""}
    cell.post(edit, {"what": "stand", "venue": venue.pk, "name_en": "Dog unit"})
    assert venue.stands.get().names() == {"ar": "", "fr": "", "en": "Dog unit"}
    start = timezone.localdate().isoformat()
    cell.post(
        edit,
        {
            "what": "programme",
            "title_ar": SEMINAR["ar"],
            "title_fr": SEMINAR["fr"],
            "place_fr": "Salle B",
            "starts_at": f"{start}T10:00",
            "ends_at": f"{start}T11:00",
        },
    )
    item = event.programme.get()
    assert item.titles() == {"ar": SEMINAR["ar"], "fr": SEMINAR["fr"], "en": ""}
    assert item.translations("place") == {"ar": "", "fr": "Salle B", "en": ""}


def test_the_demo_open_day_is_written_in_three_languages() -> None:
    event = Event.objects.get(slug__startswith="portes-ouvertes")
    assert all(event.titles().values())
    assert all(event.translations("description").values())
    for venue in event.venues.all():
        assert all(venue.names().values())
        for stand in venue.stands.all():
            assert all(stand.names().values())
    for item in event.programme.all():
        assert all(item.titles().values())
        assert all(item.translations("place").values())
