"""Meetings, priorities, their actions and surveys in Arabic, French and English: each reader
sees the text in their language, or the next one given; the staff forms take the three and
ask for at least one, with the error in the page's language; the API, the calendar and the
data migration follow."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from icalendar import Calendar

from qurb.accounts.models import User
from qurb.areas.models import Area
from qurb.engagement.models import Meeting, Priority, PriorityAction
from qurb.engagement.services import (
    meeting_create,
    priority_action_add,
    priority_set,
    survey_open,
)
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

MEDINA = "032310107"
TITLE = {"ar": "لقاء تواصلي ق٩", "fr": "Rencontre de quartier Q9", "en": "Neighbourhood meeting Q9"}
PLACE = {"ar": "دار الشباب البطحاء", "fr": "Maison des jeunes Batha", "en": "Batha youth centre"}
AGENDA = {"ar": "1. الإنارة", "fr": "1. L'éclairage", "en": "1. Lighting"}


def _chief() -> User:
    return User.objects.get(username="chief.medina")


def _meeting(**texts: object) -> Meeting:
    start = timezone.now() + timedelta(days=4)
    fields: dict[str, object] = {"title": TITLE, "location": PLACE, "agenda": AGENDA}
    fields.update(texts)
    return meeting_create(
        area=Area.objects.get(code=MEDINA),
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        actor=_chief(),
        **fields,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("language", ["ar", "fr", "en"])
def test_each_text_follows_the_active_language(language: str) -> None:
    meeting = Meeting.objects.get(pk=_meeting().pk)
    priority = priority_set(
        area=Area.objects.get(code=MEDINA),
        title={"ar": "الإنارة", "fr": "L'éclairage", "en": "Lighting"},
        description={"ar": "دروب مظلمة", "fr": "Derbs sombres", "en": "Dark lanes"},
        set_on=timezone.localdate(),
        actor=_chief(),
    )
    action = priority_action_add(
        priority=priority,
        description={"ar": "إصلاح المصابيح", "fr": "Lampadaires réparés", "en": "Lamps fixed"},
        done_on=timezone.localdate(),
        actor=_chief(),
    )
    survey = survey_open(
        area=Area.objects.get(code=MEDINA),
        opens_on=timezone.localdate(),
        closes_on=timezone.localdate() + timedelta(days=30),
        actor=_chief(),
    )
    priority, action = (
        Priority.objects.get(pk=priority.pk),
        PriorityAction.objects.get(pk=action.pk),
    )
    with translation.override(language):
        assert meeting.title == TITLE[language] == str(meeting)
        assert meeting.location == PLACE[language]
        assert meeting.agenda == AGENDA[language]
        assert priority.title == priority.titles()[language]
        assert priority.description == priority.translations("description")[language]
        assert action.description == action.translations("description")[language]
        assert survey.title == survey.titles()[language]
        assert survey.area.name in survey.title


def test_a_text_missing_in_the_readers_language_falls_back() -> None:
    meeting = _meeting(title={"fr": TITLE["fr"]}, location={"en": PLACE["en"]}, agenda="")
    with translation.override("ar"):
        assert meeting.title == TITLE["fr"]
        assert meeting.location == PLACE["en"]
        assert meeting.agenda == ""
    # A single string goes to the language it is written in, unless the language is given.
    written = _meeting(title="لقاء", location="Salle du conseil", agenda="")
    assert (written.title_ar, written.location_fr) == ("لقاء", "Salle du conseil")
    said = _meeting(title="Meeting", location="Hall", agenda="", language="en")
    assert (said.title_en, said.location_en, said.title_fr) == ("Meeting", "Hall", "")


def test_meeting_form_takes_three_languages_and_needs_a_title() -> None:
    medina = Area.objects.get(code=MEDINA)
    chief = signed_in("chief.medina")
    url = reverse("neighbourhoods:meeting_new", args=[medina.pk])
    page = chief.get(url, HTTP_ACCEPT_LANGUAGE="fr")
    form = page.context["form"]
    assert {"title_ar", "title_fr", "title_en", "location_ar", "agenda_en"} <= set(form.fields)
    # The agenda drafted from the data is in the page's language, in that language's field.
    assert form.initial["agenda_fr"]
    assert "agenda_ar" not in form.initial
    start = timezone.localtime() + timedelta(days=3)
    fmt = "%Y-%m-%dT%H:%M"
    data = {
        "starts_at": start.strftime(fmt),
        "ends_at": (start + timedelta(hours=2)).strftime(fmt),
        "mode": "in_person",
        "location_fr": "Salle",
        "is_public": "on",
    }
    refused = chief.post(url, data, HTTP_ACCEPT_LANGUAGE="fr")
    assert refused.status_code == 200
    assert refused.context["form"].errors["title_fr"] == [
        "Donnez un titre à la réunion dans au moins une langue."
    ]
    arabic = chief.post(url, data, HTTP_ACCEPT_LANGUAGE="ar")
    assert arabic.context["form"].errors["title_ar"] == ["أعط اللقاء عنوانًا بلغة واحدة على الأقل."]
    before = Meeting.objects.count()
    done = chief.post(url, data | {"title_en": "Q9 meeting", "agenda_ar": "١. الإنارة"})
    assert done.status_code == 302
    assert Meeting.objects.count() == before + 1
    meeting = Meeting.objects.latest("pk")
    assert meeting.titles() == {"ar": "", "fr": "", "en": "Q9 meeting"}
    assert meeting.translations("location") == {"ar": "", "fr": "Salle", "en": ""}
    assert meeting.translations("agenda") == {"ar": "١. الإنارة", "fr": "", "en": ""}


def test_priority_and_action_forms_on_the_staff_page() -> None:
    medina = Area.objects.get(code=MEDINA)
    chief = signed_in("chief.medina")
    page = chief.get(reverse("neighbourhoods:staff_area", args=[medina.pk])).content.decode()
    for name in ("title_ar", "title_fr", "title_en", "description_en"):
        assert f'name="{name}"' in page
    new = reverse("neighbourhoods:priority_new", args=[medina.pk])
    before = Priority.objects.count()
    chief.post(new, {"description_fr": "Sans titre"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert Priority.objects.count() == before
    shown = chief.get(
        reverse("neighbourhoods:staff_area", args=[medina.pk]), HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert "Indiquez le problème dans au moins une langue." in shown.content.decode()
    chief.post(new, {"title_ar": "السرقة ق٩", "title_fr": "Vols Q9", "category": "robbery"})
    priority = Priority.objects.latest("pk")
    assert priority.titles() == {"ar": "السرقة ق٩", "fr": "Vols Q9", "en": ""}
    action = reverse("neighbourhoods:priority_action", args=[priority.pk])
    today = timezone.localdate().isoformat()
    chief.post(action, {"done_on": today})
    assert not priority.actions.exists()
    chief.post(action, {"description_en": "Patrols Q9", "done_on": today})
    assert priority.actions.get().translations("description") == {
        "ar": "",
        "fr": "",
        "en": "Patrols Q9",
    }


def test_api_and_calendar_speak_the_requests_language() -> None:
    meeting = _meeting()
    area_id = meeting.area_id
    for language in ("ar", "fr", "en"):
        events = (
            Client()
            .get(f"/api/v1/neighbourhoods/{area_id}/events", headers={"accept-language": language})
            .json()
        )
        ours = next(e for e in events if e["id"] == meeting.pk)
        assert ours["title"] == TITLE[language]
        assert ours["address"] == PLACE[language]
        # Every language is there too, whatever the request's.
        assert (ours["title_ar"], ours["title_fr"], ours["title_en"]) == (
            TITLE["ar"],
            TITLE["fr"],
            TITLE["en"],
        )
        feed = Client().get(
            reverse("neighbourhoods:meetings_ics", args=[area_id]), HTTP_ACCEPT_LANGUAGE=language
        )
        entry = next(
            e
            for e in Calendar.from_ical(feed.content).walk("VEVENT")
            if str(e["uid"]).startswith(f"meeting-{meeting.pk}@")
        )
        assert str(entry["summary"]) == TITLE[language]
        assert str(entry["location"]) == PLACE[language]
        assert str(entry["description"]) == AGENDA[language]


def test_the_meeting_page_is_in_the_readers_language() -> None:
    meeting = _meeting()
    url = reverse("neighbourhoods:meeting", args=[meeting.pk])
    arabic = Client().get(url, HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert TITLE["ar"] in arabic
    assert PLACE["ar"] in arabic
    assert AGENDA["ar"] in arabic
    assert TITLE["fr"] not in arabic
    french = Client().get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert TITLE["fr"] in french
    assert PLACE["fr"] in french
    assert TITLE["ar"] not in french


def test_the_data_migration_puts_each_text_in_the_language_it_is_written_in() -> None:
    """0007 renamed each single text to its French field; its data step moves those written
    in Arabic script to the Arabic field, and its reverse puts them back."""
    executor = MigrationExecutor(connection)
    node = executor.loader.graph.nodes[("engagement", "0007_texts_in_three_languages")]
    split, merge = node.operations[-1].code, node.operations[-1].reverse_code
    apps = executor.loader.project_state(("engagement", "0007_texts_in_three_languages")).apps
    arabic = _meeting(title="x", location={"fr": "دار الشباب"}, agenda={"fr": "1. الإنارة"})
    french = _meeting(title="x", location={"fr": "Salle Q9"}, agenda={"fr": "1. Éclairage"})
    split(apps, None)
    arabic.refresh_from_db()
    french.refresh_from_db()
    assert arabic.translations("location") == {"ar": "دار الشباب", "fr": "", "en": ""}
    assert arabic.translations("agenda") == {"ar": "1. الإنارة", "fr": "", "en": ""}
    assert french.translations("location") == {"ar": "", "fr": "Salle Q9", "en": ""}
    merge(apps, None)
    arabic.refresh_from_db()
    assert arabic.location_fr == "دار الشباب"  # the single field again holds the text


def test_the_demo_meeting_is_written_in_three_languages() -> None:
    from qurb.demo.engagement import MEETING_TITLE

    meeting = Meeting.objects.get(title_fr=MEETING_TITLE)
    assert all(meeting.titles().values())
    assert all(meeting.translations("location").values())
    assert all(meeting.translations("agenda").values())
