"""The communication staff pages answer 404 outside the roles and areas they serve, and
change nothing for those who may not act."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from qurb.accounts.models import User
from qurb.areas.models import Area, Place, PlaceKind
from qurb.communication.models import Article, Event, SchoolSession
from qurb.communication.services import article_save, event_create
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_event_pages_by_role_and_area() -> None:
    today = timezone.localdate()
    event = event_create(
        actor=User.objects.get(username="cell.fes"),
        area=Area.objects.get(code="03.231"),
        kind="open_day",
        title="Portes ouvertes",
        starts_on=today,
        ends_on=today,
    )
    url = reverse("communication:staff_event", args=[event.pk])
    for username, status in {
        "cell.fes": 200,
        "admin": 200,
        "chief.medina": 200,
        "officer.medina": 200,
        "cell.meknes": 404,
        "chief.meknes": 404,
        "analyst": 404,
        "inspector": 404,
        "resident": 404,
        "association": 404,
        "unit.fes": 404,
    }.items():
        assert signed_in(username).get(url).status_code == status, username
    # Officers staff the gate but do not edit the event.
    signed_in("chief.medina").post(
        reverse("communication:staff_event_edit", args=[event.pk]), {"what": "publish"}
    )
    signed_in("cell.meknes").post(
        reverse("communication:staff_event_edit", args=[event.pk]), {"what": "publish"}
    )
    assert not Event.objects.get(pk=event.pk).is_published
    signed_in("cell.fes").post(
        reverse("communication:staff_event_edit", args=[event.pk]), {"what": "publish"}
    )
    assert Event.objects.get(pk=event.pk).is_published
    answer = Client().get(url)
    assert answer.status_code == 302
    assert "/accounts/login/" in answer["Location"]


def test_sessions_planned_and_recorded_within_scope() -> None:
    school = Place.objects.filter(kind=PlaceKind.SCHOOL, area__code__startswith="032310107").first()
    assert school is not None
    officer = signed_in("officer.medina")
    today = timezone.localdate()
    bad = officer.post(
        reverse("communication:staff_sessions"),
        {
            "school": school.pk,
            "topic": "drugs",
            "held_on": (today + timedelta(days=3)).isoformat(),
            "trainer": "Brigade",
            "pupils": "40",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert bad.status_code == 400
    assert "Pupils can be counted once the session has taken place." in bad.content.decode()
    done = officer.post(
        reverse("communication:staff_sessions"),
        {
            "school": school.pk,
            "topic": "drugs",
            "held_on": today.isoformat(),
            "trainer": "Brigade",
            "pupils": "40",
        },
    )
    assert done.status_code == 302
    session = SchoolSession.objects.get(school=school, held_on=today)
    assert session.pupils == 40
    page = officer.get(
        reverse("communication:staff_sessions"), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Drugs" in page
    assert "40" in page
    outside = signed_in("chief.meknes").post(
        reverse("communication:staff_sessions"),
        {
            "school": school.pk,
            "topic": "road",
            "held_on": today.isoformat(),
            "trainer": "x",
            "pupils": "9",
        },
    )
    assert outside.status_code == 400  # the school is not among theirs
    assert SchoolSession.objects.filter(topic="road", school=school).count() == 0
    assert signed_in("analyst").get(reverse("communication:staff_sessions")).status_code == 404


def test_news_workflow_only_for_cells() -> None:
    article = article_save(
        actor=User.objects.get(username="cell.fes"),
        area=Area.objects.get(code="03.231"),
        texts={"fr": {"title": "Titre", "body": "Texte"}},
    )
    move = reverse("communication:staff_article_move", args=[article.pk])
    for username in ["chief.medina", "officer.medina", "analyst", "resident", "cell.meknes"]:
        assert signed_in(username).post(move, {"status": "published"}).status_code == 404
        assert (
            signed_in(username)
            .post(reverse("communication:staff_newsletter"), {"subject": "x"})
            .status_code
            == 404
        )
    assert Article.objects.get(pk=article.pk).status == "draft"
    signed_in("cell.fes").post(move, {"status": "published"})
    assert Article.objects.get(pk=article.pk).status == "published"
    # A prefecture's cell does not mail the whole force; national communication does.
    send = reverse("communication:staff_newsletter")
    assert signed_in("cell.fes").post(send, {"subject": "x"}).status_code == 404
    assert signed_in("admin").post(send, {"subject": "x"}).status_code == 302
