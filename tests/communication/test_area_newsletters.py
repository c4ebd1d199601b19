"""The newsletter by area: a subscriber chooses prefectures or districts (none: the national
edition); the cell of an area composes a draft from what the area and the areas inside it
published since its last edition, edits and reorders it, and sends it to that area's
subscribers only, one copy each; a person with two roles composes only for the areas of the
role that carries the newsletter; existing subscribers and newsletters are migrated."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from qurb.accounts.access import forget_grants
from qurb.accounts.mfa import totp_enrol
from qurb.accounts.models import Role, User
from qurb.accounts.services import role_grant, user_create
from qurb.areas.models import Area
from qurb.audit.models import AuditEvent
from qurb.communication.models import (
    Article,
    Newsletter,
    NewsletterArea,
    NewsletterDelivery,
    NewsletterItem,
    NewsletterSubscriber,
)
from qurb.communication.selectors import edition_period, edition_readers
from qurb.communication.services import (
    ItemChange,
    ItemDraft,
    article_move,
    article_save,
    newsletter_confirm,
    newsletter_edit,
    newsletter_edition_send,
    newsletter_subscribe,
)
from qurb.core.errors import Invalid
from qurb.engagement.services import meeting_create, priority_set
from qurb.messaging.editions import edition_draft
from qurb.messaging.services import message_publish, message_save
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

FES = "03.231"
MEKNES = "03.061"
MEDINA = "032310107"
MEDINA_S1 = "032310107-S1"
AGDAL = "032310101"
MEKNES_DISTRICT = "030610101"


def user(username: str) -> User:
    return User.objects.get(username=username)


def area(code: str) -> Area:
    return Area.objects.get(code=code)


def subscriber(email: str, *codes: str, language: str = "fr") -> NewsletterSubscriber:
    """A confirmed subscriber of the editions of ``codes`` (none: the national one)."""
    found = newsletter_subscribe(email=email, language=language, areas=[area(c) for c in codes])
    confirmed = newsletter_confirm(found.token)
    assert confirmed is not None
    return confirmed


def article(code: str, title: str, *, author: str = "cell.fes") -> Article:
    made = article_save(
        actor=user(author),
        area=area(code),
        texts={
            "fr": {"title": title, "summary": f"Résumé : {title}", "body": "Texte."},
            "ar": {"title": f"{title} ع", "body": "نص."},
        },
    )
    return article_move(actor=user(author), article=made, status="published")


def district_message(code: str, title: str, *, author: str = "chief.medina") -> Any:
    made = message_save(
        actor=user(author),
        area=area(code),
        kind="information",
        titles={"fr": title},
        bodies={"fr": "Le texte du message."},
    )
    return message_publish(actor=user(author), message=made)


def two_roles() -> User:
    """The communication cell of the Fès prefecture who is also chief of a Meknès district."""
    person = user_create(username="cell.two", password="x-Long-enough-1", display_name="Two")
    role_grant(user=person, role=Role.COMMUNICATION_CELL, area=area(FES))
    role_grant(user=person, role=Role.DISTRICT_CHIEF, area=area(MEKNES_DISTRICT))
    totp_enrol(user=person, key_hex="00" * 20, backup_codes=[])
    forget_grants(person)
    return person


# --- subscribing -------------------------------------------------------------------------------


def test_a_neighbourhood_page_leads_to_its_districts_newsletter_and_the_choice_is_kept() -> None:
    sector = area(MEDINA_S1)
    page = Client(HTTP_ACCEPT_LANGUAGE="fr").get(reverse("neighbourhoods:detail", args=[sector.pk]))
    link = f"{reverse('communication:newsletter')}?area={sector.pk}"
    assert link in page.content.decode()
    form = Client(HTTP_ACCEPT_LANGUAGE="fr").get(link).content.decode()
    district = area(MEDINA)
    assert f'value="{district.pk}" checked' in form  # the sector's district is ticked
    assert f'value="{sector.pk}"' not in form  # a neighbourhood has no edition of its own
    assert f'value="{area(FES).pk}"' in form
    assert f'value="{area(MEKNES).pk}"' in form
    answer = Client(HTTP_ACCEPT_LANGUAGE="fr").post(
        reverse("communication:newsletter"),
        {"email": "Amina@Example.org", "areas": [str(district.pk), str(area(FES).pk)]},
    )
    assert answer.status_code == 302
    found = NewsletterSubscriber.objects.get(email="amina@example.org")
    assert found.language == "fr"
    assert set(found.editions.values_list("area__code", flat=True)) == {MEDINA, FES}


def test_no_area_chosen_is_the_national_edition() -> None:
    national = subscriber("national@example.org")
    medina = subscriber("medina@example.org", MEDINA)
    assert not national.editions.exists()
    assert list(edition_readers(None)) == [s for s in edition_readers(None) if s.pk != medina.pk]
    assert national in edition_readers(None)
    assert medina not in edition_readers(None)
    assert list(edition_readers(area(MEDINA))) == [medina]


@pytest.mark.parametrize(
    "areas",
    [
        ["abc"],
        [str(10**30)],
        ["١٢"],
        ["-1"],
        ["a\u202eb"],
        "neighbourhood",  # an area without an edition of its own
        "eleven",  # more areas than allowed
    ],
)
def test_hostile_or_wrong_areas_are_refused_with_a_clear_error_and_nothing_stored(
    areas: Any,
) -> None:
    if areas == "neighbourhood":
        areas = [str(area(MEDINA_S1).pk)]
    elif areas == "eleven":
        areas = [str(pk) for pk in Area.objects.order_by("pk").values_list("pk", flat=True)[:11]]
    for language, words in {
        "fr": ("Sélectionnez un choix valide", "Choisissez"),
        "en": ("Select a valid choice", "Choose"),
        "ar": ("اختر", "اختر"),
    }.items():
        answer = Client(HTTP_ACCEPT_LANGUAGE=language).post(
            reverse("communication:newsletter"),
            {"email": f"hostile-{language}@example.org", "areas": areas},
        )
        assert answer.status_code == 400
        html = answer.content.decode()
        assert any(w in html for w in words), (language, areas)
        assert 'role="alert"' in html
        assert f"hostile-{language}@example.org" in html  # what was typed stays
    assert not NewsletterSubscriber.objects.filter(email__startswith="hostile-").exists()


def test_the_service_refuses_an_area_without_an_edition() -> None:
    with pytest.raises(Invalid) as refused:
        newsletter_subscribe(email="x@example.org", areas=[area(MEDINA_S1)])
    assert refused.value.stable_code == "not_edition_area"
    assert not NewsletterSubscriber.objects.filter(email="x@example.org").exists()


def test_a_confirmed_address_keeps_its_choices_and_is_sent_its_preferences_link(
    task_queue: None, django_capture_on_commit_callbacks: Any
) -> None:
    confirmed = subscriber("kept@example.org", MEDINA)
    cache.clear()  # the next day: the confirmation's allowance of the address is renewed
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        newsletter_subscribe(email="kept@example.org", language="fr", areas=[area(MEKNES)])
    call_command("worker", batch=True)
    assert list(confirmed.editions.values_list("area__code", flat=True)) == [MEDINA]
    assert [m.to for m in mail.outbox] == [["kept@example.org"]]
    link = reverse("communication:newsletter_preferences", args=[confirmed.token])
    assert link in str(mail.outbox[0].body)
    # The page the link opens: tick other areas (or none: the national edition).
    page = Client(HTTP_ACCEPT_LANGUAGE="fr").get(link)
    assert page.status_code == 200
    assert f'value="{area(MEDINA).pk}" checked' in page.content.decode()
    saved = Client().post(link, {"areas": [str(area(AGDAL).pk), str(area(FES).pk)]})
    assert saved.status_code == 302
    assert set(confirmed.editions.values_list("area__code", flat=True)) == {AGDAL, FES}
    bad = Client(HTTP_ACCEPT_LANGUAGE="en").post(link, {"areas": ["x" * 10_000]})
    assert bad.status_code == 400
    assert set(confirmed.editions.values_list("area__code", flat=True)) == {AGDAL, FES}
    Client().post(link, {})
    assert not confirmed.editions.exists()  # national again
    assert Client().get(reverse("communication:newsletter_preferences", args=["x"])).status_code
    assert (
        Client().get(reverse("communication:newsletter_preferences", args=["nope"])).status_code
        == 404
    )


# --- composing ---------------------------------------------------------------------------------


def test_a_draft_draws_on_what_the_area_and_the_areas_inside_it_published(
    django_capture_on_commit_callbacks: Any,
) -> None:
    cell = user("cell.fes")
    with django_capture_on_commit_callbacks(execute=True):
        inside = article(MEDINA, "Journée portes ouvertes à Batha")
        elsewhere = article(MEKNES, "Nouvelles de Meknès", author="cell.meknes")
        above = article(FES, "Nouvelles de toute la préfecture")
        message = district_message(MEDINA_S1, "Travaux rue Talaa", author="officer.medina")
        other_message = district_message(AGDAL, "Fermeture à Agdal", author="chief.agdal")
        starts = timezone.now() + timedelta(days=6)
        meeting = meeting_create(
            actor=user("chief.medina"),
            area=area(MEDINA),
            title={"fr": "Rencontre à Batha", "ar": "لقاء في البطحاء"},
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            location={"fr": "Dar Chabab Batha"},
        )
        priority = priority_set(
            actor=user("chief.medina"),
            area=area(MEDINA),
            title="Éclairage des derbs",
            set_on=timezone.localdate(),
            language="fr",
        )
    draft = edition_draft(actor=cell, area=area(MEDINA))
    items = list(draft.items.all())
    sources = [i.source for i in items]
    assert f"article:{inside.pk}" in sources
    assert f"article:{elsewhere.pk}" not in sources
    assert f"article:{above.pk}" not in sources  # of the area and below it, not above
    assert f"message:{message.pk}" in sources
    assert f"message:{other_message.pk}" not in sources
    assert f"meeting:{meeting.pk}" in sources
    assert f"priority:{priority.pk}" in sources
    # Automatic items (the meeting's, the priority's, the article's) are drawn from their
    # sources, never twice.
    assert not any(s.startswith("message:") and s != f"message:{message.pk}" for s in sources)
    assert [i.position for i in items] == list(range(1, len(items) + 1))
    by_source = {i.source: i for i in items}
    told = by_source[f"meeting:{meeting.pk}"]
    assert told.title_ar == "لقاء في البطحاء"
    assert "Dar Chabab Batha" in told.body_fr
    assert told.link == reverse("neighbourhoods:meeting", args=[meeting.pk])
    news = by_source[f"article:{inside.pk}"]
    assert news.body_fr == "Résumé : Journée portes ouvertes à Batha"
    assert news.link == reverse("communication:article", args=[inside.slug])
    assert "Médina" in draft.subject_fr or area(MEDINA).name_fr in draft.subject_fr
    assert all(draft.translations("subject").values())
    event = AuditEvent.objects.filter(action="communication.compose_newsletter").latest("pk")
    assert (event.actor_label, event.area_id, event.details) == (
        "cell.fes",
        area(MEDINA).pk,
        {"items": len(items)},
    )
    # The prefecture's edition covers its districts; the national one, the articles.
    prefecture = edition_draft(actor=cell, area=area(FES))
    assert {f"article:{inside.pk}", f"article:{above.pk}"} <= set(
        prefecture.items.values_list("source", flat=True)
    )
    national = edition_draft(actor=user("admin"), area=None)
    kinds = set(national.items.values_list("kind", flat=True))
    assert kinds == {"article"}


def test_the_next_edition_starts_where_the_last_one_sent_ended(
    django_capture_on_commit_callbacks: Any,
) -> None:
    cell = user("cell.fes")
    subscriber("reader@example.org", MEDINA)
    with django_capture_on_commit_callbacks(execute=True):
        first_news = article(MEDINA, "Première nouvelle")
    first = edition_draft(actor=cell, area=area(MEDINA))
    assert f"article:{first_news.pk}" in first.items.values_list("source", flat=True)
    newsletter_edition_send(actor=cell, newsletter=first)
    since, _until = edition_period(area(MEDINA))
    first.refresh_from_db()
    assert since == first.until
    Article.objects.filter(pk=first_news.pk).update(publish_at=first.until - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        second_news = article(MEDINA, "Deuxième nouvelle")
    second = edition_draft(actor=cell, area=area(MEDINA))
    sources = set(second.items.values_list("source", flat=True))
    assert f"article:{second_news.pk}" in sources
    assert f"article:{first_news.pk}" not in sources
    # An unsent draft does not move the period: the next draft starts at the same place.
    assert edition_period(area(MEDINA))[0] == first.until


def test_the_composer_edits_reorders_removes_and_adds_a_note() -> None:
    cell = user("cell.fes")
    draft = edition_draft(actor=cell, area=area(FES))
    NewsletterItem.objects.filter(newsletter=draft).delete()
    one, two, three = (
        NewsletterItem.objects.create(
            newsletter=draft, position=n, kind="note", title_fr=title, body_fr="x"
        )
        for n, title in enumerate(["Un", "Deux", "Trois"], start=1)
    )
    newsletter_edit(
        actor=cell,
        newsletter=draft,
        subject={"fr": "  La lettre\n de Fès ", "ar": "رسالة فاس"},
        changes=[
            ItemChange(one.pk, 3, {"fr": "Un, revu", "en": "One"}, {"fr": "Texte revu"}),
            ItemChange(two.pk, 1, {"fr": "Deux"}, {"fr": "x"}, remove=True),
            ItemChange(three.pk, 1, {"fr": "Trois"}, {"fr": "x"}),
        ],
        note=ItemDraft(kind="note", titles={"ar": "ملاحظة"}, bodies={"ar": "نص الملاحظة"}),
    )
    items = list(draft.items.all())
    assert [(i.position, i.title_fr or i.title_ar) for i in items] == [
        (1, "Trois"),
        (2, "Un, revu"),
        (3, "ملاحظة"),
    ]
    assert items[1].title_en == "One"
    draft.refresh_from_db()
    assert (draft.subject_fr, draft.subject_ar, draft.subject_en) == (
        "La lettre de Fès",
        "رسالة فاس",
        "",
    )
    # Wrong input: a clear error, and nothing changes (not even the valid parts).
    for changes, note in [
        ([ItemChange(three.pk, 1, {}, {})], None),
        ([ItemChange(three.pk, 1, {"fr": "x" * 201}, {})], None),
        ([ItemChange(three.pk, 1, {"fr": "T"}, {"ar": "نص بلا عنوان"})], None),
        ([], ItemDraft(kind="note", titles={}, bodies={"fr": "sans titre"})),
    ]:
        with pytest.raises(Invalid):
            newsletter_edit(
                actor=cell, newsletter=draft, subject={"fr": "Autre"}, changes=changes, note=note
            )
    with pytest.raises(Invalid):
        newsletter_edit(actor=cell, newsletter=draft, subject={})
    draft.refresh_from_db()
    assert draft.subject_fr == "La lettre de Fès"
    assert [i.title_fr or i.title_ar for i in draft.items.all()] == ["Trois", "Un, revu", "ملاحظة"]
    # An item of another edition is left alone.
    other = edition_draft(actor=cell, area=area(MEDINA))
    theirs = NewsletterItem.objects.create(newsletter=other, kind="note", title_fr="À eux")
    newsletter_edit(
        actor=cell,
        newsletter=draft,
        subject={"fr": "La lettre"},
        changes=[ItemChange(theirs.pk, 1, {"fr": "Pris"}, {}, remove=True)],
    )
    theirs.refresh_from_db()
    assert theirs.title_fr == "À eux"


def test_an_edition_goes_to_its_areas_subscribers_only_once_each_in_their_language(
    task_queue: None, django_capture_on_commit_callbacks: Any
) -> None:
    cell = user("cell.fes")
    medina = subscriber("medina@example.org", MEDINA, language="ar")
    both = subscriber("both@example.org", MEDINA, AGDAL, language="fr")
    subscriber("prefecture@example.org", FES)
    subscriber("agdal@example.org", AGDAL)
    subscriber("national@example.org")
    NewsletterSubscriber.objects.create(email="unconfirmed@example.org").editions.create(
        area=area(MEDINA)
    )
    draft = edition_draft(actor=cell, area=area(MEDINA))
    NewsletterItem.objects.filter(newsletter=draft).delete()
    NewsletterItem.objects.create(
        newsletter=draft,
        position=1,
        kind="note",
        title_fr="Fête du quartier",
        body_fr="Samedi à Batha.",
        title_ar="عيد الحي",
        body_ar="السبت في البطحاء.",
        link="/news/fete/",
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        newsletter_edition_send(actor=cell, newsletter=draft)
    with pytest.raises(Invalid):  # a second click finds it sent
        newsletter_edition_send(actor=cell, newsletter=draft)
    with pytest.raises(Invalid):  # and no longer a draft
        newsletter_edit(actor=cell, newsletter=draft, subject={"fr": "x"})
    call_command("worker", batch=True)
    call_command("worker", batch=True)
    assert sorted(m.to[0] for m in mail.outbox) == ["both@example.org", "medina@example.org"]
    copies = NewsletterDelivery.objects.filter(newsletter=draft)
    assert copies.count() == 2
    assert all(c.sent_at for c in copies)
    event = AuditEvent.objects.filter(action="communication.send_newsletter").latest("pk")
    assert (event.area_id, event.details) == (area(MEDINA).pk, {"recipients": 2})
    sent = {m.to[0]: m for m in mail.outbox}
    arabic, french = sent[medina.email], sent[both.email]
    assert "عيد الحي" in str(arabic.body)
    assert "Fête" not in str(arabic.body)
    assert "Fête du quartier" in str(french.body)
    assert arabic.subject == draft.subject_ar
    assert french.subject == draft.subject_fr
    assert "/news/fete/" in str(french.body)
    assert reverse("communication:newsletter_preferences", args=[both.token]) in str(french.body)
    assert french.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    draft.refresh_from_db()
    assert draft.sent_at is not None


# --- who composes ------------------------------------------------------------------------------


def test_two_roles_compose_only_for_the_areas_of_the_role_that_sends_newsletters() -> None:
    person = two_roles()
    assert edition_draft(actor=person, area=area(FES)).area == area(FES)
    assert edition_draft(actor=person, area=area(MEDINA)).area == area(MEDINA)
    for elsewhere in (area(MEKNES_DISTRICT), area(MEKNES), None):
        with pytest.raises(PermissionDenied):
            edition_draft(actor=person, area=elsewhere)
    theirs = edition_draft(actor=user("cell.meknes"), area=area(MEKNES))
    with pytest.raises(PermissionDenied):
        newsletter_edition_send(actor=person, newsletter=theirs)
    with pytest.raises(PermissionDenied):
        newsletter_edit(actor=person, newsletter=theirs, subject={"fr": "x"})
    client = signed_in(person.username)
    page = client.get(reverse("communication:staff_newsletter"))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'<option value="{area(MEDINA).pk}">' in html
    assert f'<option value="{area(MEKNES_DISTRICT).pk}">' not in html
    assert '<option value="">' not in html  # no national edition
    before = Newsletter.objects.count()
    for value in (area(MEKNES_DISTRICT).pk, area(MEKNES).pk, "", "abc", str(10**30)):
        answer = client.post(reverse("communication:staff_newsletter"), {"area": value})
        assert answer.status_code == 404, value
    assert Newsletter.objects.count() == before
    assert client.get(reverse("communication:staff_edition", args=[theirs.pk])).status_code == 404
    made = client.post(reverse("communication:staff_newsletter"), {"area": area(MEDINA).pk})
    assert made.status_code == 302
    assert Newsletter.objects.count() == before + 1


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("cell.fes", 200),
        ("admin", 200),
        ("cell.meknes", 404),
        ("chief.medina", 404),
        ("officer.medina", 404),
        ("analyst", 404),
        ("inspector", 404),
        ("unit.fes", 404),
        ("resident", 404),
        ("association", 404),
    ],
)
def test_the_edition_page_by_role_and_area(username: str, status: int) -> None:
    draft = edition_draft(actor=user("cell.fes"), area=area(MEDINA))
    url = reverse("communication:staff_edition", args=[draft.pk])
    client = signed_in(username)
    assert client.get(url).status_code == status
    for what in ("save", "send", "discard"):
        answer = client.post(url, {"what": what, "subject_fr": "Piraté"})
        if status == 404:
            assert answer.status_code == 404, (username, what)
    if status == 404:
        draft.refresh_from_db()
        assert draft.subject_fr != "Piraté"
        assert draft.is_draft
    list_page = client.get(reverse("communication:staff_newsletter"))
    assert list_page.status_code == (
        200 if username in {"cell.fes", "admin", "cell.meknes"} else 404
    )
    assert Client().get(url).status_code == 302  # signed out: to the sign-in page


def test_the_edition_page_keeps_what_was_typed_on_an_error_and_survives_hostile_input() -> None:
    draft = edition_draft(actor=user("cell.fes"), area=area(MEDINA))
    NewsletterItem.objects.filter(newsletter=draft).delete()
    item = NewsletterItem.objects.create(
        newsletter=draft, position=1, kind="note", title_fr="Un", body_fr="x"
    )
    url = reverse("communication:staff_edition", args=[draft.pk])
    client = signed_in("cell.fes")
    wrong = client.post(
        url,
        {
            "what": "save",
            "subject_fr": "Ma lettre",
            f"position-{item.pk}": "1",
            f"title_fr-{item.pk}": "",
            f"body_fr-{item.pk}": "Un texte gardé",
            "note_title_ar": "ملاحظة محفوظة",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert wrong.status_code == 400
    html = wrong.content.decode()
    assert "Give each item a title in at least one language, or remove it." in html
    assert "Un texte gardé" in html
    assert "ملاحظة محفوظة" in html
    assert "Ma lettre" in html
    item.refresh_from_db()
    assert (item.title_fr, item.body_fr) == ("Un", "x")
    for position in ("abc", str(10**30), "-1", "١٢", "²", ""):
        answer = client.post(
            url,
            {
                "what": "save",
                "subject_fr": "Ma lettre",
                f"position-{item.pk}": position,
                f"title_fr-{item.pk}": "Un",
                f"body_fr-{item.pk}": "x",
                f"remove-{item.pk}": "maybe",
            },
        )
        assert answer.status_code == 302, position
    item.refresh_from_db()
    assert item.position == 1
    assert client.post(url, {"what": "explode"}).status_code == 404
    long = client.post(url, {"what": "save", "subject_fr": "x" * 10_000})
    assert long.status_code == 400
    draft.refresh_from_db()
    assert draft.subject_fr == "Ma lettre"
    sent = client.post(url, {"what": "send"})
    assert sent.status_code == 302
    draft.refresh_from_db()
    assert not draft.is_draft
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert 'id="edition-copies"' in page
    assert 'id="edition-form"' not in page
    discarded = client.post(url, {"what": "discard"})  # too late: it was sent
    assert discarded.status_code == 302
    assert Newsletter.objects.filter(pk=draft.pk).exists()


@pytest.mark.parametrize(("language", "direction"), [("ar", "rtl"), ("fr", "ltr"), ("en", "ltr")])
def test_the_pages_speak_each_language_in_its_direction(language: str, direction: str) -> None:
    words = {
        "ar": ("توصل بالنشرة الإخبارية", "النشرات الإخبارية"),
        "fr": ("Recevoir la lettre d’information", "Lettres d’information"),
        "en": ("Receive the newsletter", "Newsletters"),
    }[language]
    public = Client(HTTP_ACCEPT_LANGUAGE=language).get(reverse("communication:newsletter"))
    html = public.content.decode()
    assert f'lang="{language}" dir="{direction}"' in html
    assert words[0] in html
    staff = signed_in("cell.fes")
    staff.cookies["qurb_language"] = language
    page = staff.get(reverse("communication:staff_newsletter")).content.decode()
    assert f'dir="{direction}"' in page
    assert words[1] in page
    draft = edition_draft(actor=user("cell.fes"), area=area(MEDINA))
    edit = staff.get(reverse("communication:staff_edition", args=[draft.pk])).content.decode()
    assert 'name="title_ar-' in edit
    assert 'dir="rtl" lang="ar"' in edit
    assert 'dir="ltr" lang="fr"' in edit


# --- migrating the existing newsletter ---------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_existing_subscribers_get_the_national_edition_and_newsletters_keep_their_articles(
    committed: None,
) -> None:
    """Back to the schema before editions by area, rows written as they were, then forward
    again: each subscriber receives the national edition; each newsletter keeps its subject
    in its language and its articles as items, and counts as sent."""
    before = ("communication", "0003_deliveries_sent_once")
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    try:
        old = MigrationExecutor(connection).loader.project_state(before).apps
        fes = old.get_model("areas", "Area").objects.get(code=FES)
        old_article = old.get_model("communication", "Article").objects.create(
            slug="bilan-migration",
            area=fes,
            title_fr="Bilan de l'année",
            summary_fr="Le bilan.",
            body_fr="Texte.",
            title_ar="حصيلة السنة",
            body_ar="نص الحصيلة.",
            status="published",
            publish_at=timezone.now(),
        )
        reader = old.get_model("communication", "NewsletterSubscriber").objects.create(
            email="old.reader@example.org", confirmed_at=timezone.now(), token="old-reader"
        )
        letter = old.get_model("communication", "Newsletter").objects.create(
            subject="Lettre d'avant", sent_at=timezone.now()
        )
        letter.articles.set([old_article])
        arabic = old.get_model("communication", "Newsletter").objects.create(subject="رسالة")
    finally:
        MigrationExecutor(connection).migrate(
            MigrationExecutor(connection).loader.graph.leaf_nodes("communication")
        )
    migrated = NewsletterSubscriber.objects.get(pk=reader.pk)
    assert not NewsletterArea.objects.filter(subscriber=migrated).exists()
    assert migrated in edition_readers(None)
    assert migrated not in edition_readers(area(FES))
    kept = Newsletter.objects.get(pk=letter.pk)
    assert (kept.subject_fr, kept.subject_ar, kept.area) == ("Lettre d'avant", "", None)
    assert kept.queued_at == kept.created_at
    assert not kept.is_draft
    items = list(kept.items.all())
    assert [(i.kind, i.source, i.position) for i in items] == [
        ("article", f"article:{old_article.pk}", 1)
    ]
    assert (items[0].title_fr, items[0].body_fr) == ("Bilan de l'année", "Le bilan.")
    assert (items[0].title_ar, items[0].body_ar) == ("حصيلة السنة", "نص الحصيلة.")
    assert items[0].link == reverse("communication:article", args=["bilan-migration"])
    assert Newsletter.objects.get(pk=arabic.pk).subject_ar == "رسالة"
