"""The messaging pages: subscribing from the neighbourhood page (e-mail with double opt-in,
this device), preferences and one-click leave by token, a message's page and the area's Atom
feed, and the staff's pages to write, review and follow messages."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from qurb.messaging.delivery import deliver
from qurb.messaging.models import AreaSubscription, DistrictMessage, MessageStatus
from tests.alerts.pushserver import Device, PushServer
from tests.atom import check_feed
from tests.conftest import signed_in
from tests.messaging.conftest import MEDINA, MEDINA_S1, area, email_subscriber, published

pytestmark = pytest.mark.django_db


def test_the_neighbourhood_page_offers_the_subscription_its_messages_and_their_feed() -> None:
    message = published(MEDINA, title="Portes ouvertes au commissariat")
    page = Client(HTTP_ACCEPT_LANGUAGE="fr").get(
        reverse("neighbourhoods:detail", args=[area(MEDINA_S1).pk])
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="message-subscribe-form"' in html
    assert reverse("messaging:subscribe", args=[area(MEDINA_S1).pk]) in html
    assert "Portes ouvertes au commissariat" in html  # the district's message, on its sector
    assert reverse("messaging:message", args=[message.pk]) in html
    feed = reverse("messaging:area_feed", args=[area(MEDINA_S1).pk])
    assert f'type="application/atom+xml" href="{feed}"' in html


def test_the_area_feed_is_valid_atom_with_its_messages() -> None:
    published(MEDINA, title="Réunion de quartier")
    published(MEDINA_S1, title="Appel à témoins", kind="appeal")
    feeds = check_feed(reverse("messaging:area_feed", args=[area(MEDINA_S1).pk]))
    titles = feeds["fr"].xpath(
        "//atom:entry/atom:title/text()", namespaces={"atom": "http://www.w3.org/2005/Atom"}
    )
    mine = [t.split(": ", 1)[1] for t in titles if t.endswith(("témoins", "quartier"))]
    assert mine == ["Appel à témoins", "Réunion de quartier"]  # newest first


def test_email_subscription_with_double_opt_in_then_preferences_and_one_click_leave(
    task_queue: None, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    url = reverse("messaging:subscribe", args=[area(MEDINA_S1).pk])
    bad = client.post(
        url, {"channel": "email", "email": "nope", "topics": ["messages"], "rhythm": "now"}
    )
    assert bad.status_code == 400
    assert "adresse" in bad.content.decode() or "e-mail" in bad.content.decode()
    none = client.post(url, {"channel": "email", "email": "a@example.org", "rhythm": "now"})
    assert none.status_code == 400  # nothing chosen to hear about
    half = client.post(
        url,
        {
            "channel": "email",
            "email": "a@example.org",
            "topics": ["news"],
            "rhythm": "now",
            "quiet_start": "22:00",
        },
    )
    assert half.status_code == 400  # quiet hours need an end
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            url,
            {
                "channel": "email",
                "email": "nadia@example.org",
                "topics": ["messages", "appeals"],
                "rhythm": "daily",
            },
        )
    assert done.status_code == 302
    call_command("worker", batch=True)
    [confirmation] = mail.outbox
    link = next(w for w in str(confirmation.body).split() if "/confirm/" in w)
    path = "/" + link.split("/", 3)[3]
    subscription = AreaSubscription.objects.get(email="nadia@example.org")
    assert subscription.topic_list == ["messages", "appeals"]
    assert client.get(path).status_code == 200
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None  # a GET confirms nothing
    client.post(path)
    subscription.refresh_from_db()
    assert subscription.confirmed_at is not None
    # Preferences by token: weekly, news only.
    preferences = reverse("messaging:preferences", args=[subscription.token])
    assert client.get(preferences).status_code == 200
    empty = client.post(preferences, {"areas": [str(area(MEDINA_S1).pk)], "rhythm": "weekly"})
    assert empty.status_code == 400
    saved = client.post(
        preferences, {"areas": [str(area(MEDINA_S1).pk)], "topics": ["news"], "rhythm": "weekly"}
    )
    assert saved.status_code == 302
    subscription.refresh_from_db()
    assert (subscription.rhythm, subscription.topic_list) == ("weekly", ["news"])
    # One click, as a mail client does it.
    leave = reverse("messaging:unsubscribe", args=[subscription.token])
    assert Client(enforce_csrf_checks=True).post(leave).status_code == 200
    subscription.refresh_from_db()
    assert not subscription.active
    assert client.get(preferences).status_code == 404
    assert client.post(reverse("messaging:unsubscribe", args=["no-such-token"])).status_code == 404


def test_this_device_subscribes_and_only_its_keys_change_its_choices(
    push_server: PushServer,
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="ar")
    url = reverse("messaging:subscribe_push", args=[area(MEDINA).pk])
    device = Device("/phone")
    body: dict[str, Any] = {
        "subscription": device.subscription(push_server.base),
        "topics": ["messages"],
        "rhythm": "now",
    }
    for hostile in (
        b"{",
        b"[]",
        json.dumps({**body, "quiet_start": "25:99"}).encode(),
        json.dumps({**body, "topics": "x"}).encode(),
        b"[" * 100_000 + b"]" * 100_000,  # nested past Python's recursion limit
    ):
        assert client.post(url, hostile, content_type="application/json").status_code == 400
    answer = client.post(url, json.dumps(body), content_type="application/json")
    assert answer.status_code == 201
    assert answer.json()["unsubscribe"].startswith("/messages/subscriptions/")
    # Someone who knows the endpoint but not the keys changes nothing and learns nothing.
    stranger = dict(
        body,
        subscription=dict(body["subscription"], keys={"p256dh": "AAAA", "auth": "BBBB"}),
        topics=["news"],
    )
    other = client.post(url, json.dumps(stranger), content_type="application/json")
    assert other.status_code == 201
    assert "unsubscribe" not in other.json()
    subscription = AreaSubscription.objects.get(endpoint=body["subscription"]["endpoint"])
    assert subscription.topic_list == ["messages"]
    elsewhere = dict(
        body, subscription=dict(body["subscription"], endpoint="https://evil.example/x")
    )
    assert (
        client.post(url, json.dumps(elsewhere), content_type="application/json").status_code == 400
    )
    message = published()
    deliver()
    [received] = push_server.to("/phone")
    payload = json.loads(device.decrypt(received.body))
    # Following the notification's link counts the copy as opened.
    assert Client().get(payload["url"].split("8000", 1)[1]).status_code == 200
    page = Client().get(reverse("messaging:staff_message", args=[message.pk]))
    assert page.status_code == 302  # staff only
    counts = signed_in("chief.medina").get(reverse("messaging:staff_message", args=[message.pk]))
    assert "<td>1</td><td>0</td><td>1</td><td>0</td>" in counts.content.decode()


def test_a_message_page_shows_only_what_is_published() -> None:
    message = published(title="Conseils avant l'Aïd")
    assert Client().get(reverse("messaging:message", args=[message.pk])).status_code == 200
    assert (
        Client().get(reverse("messaging:message", args=[message.pk]) + "?r=forged").status_code
        == 200
    )
    draft = DistrictMessage.objects.create(
        area=area(MEDINA), kind="information", title_fr="Brouillon", body_fr="x"
    )
    assert Client().get(reverse("messaging:message", args=[draft.pk])).status_code == 404


def test_the_chief_writes_the_cell_approves_and_another_district_sees_nothing() -> None:
    chief, cell = signed_in("chief.medina"), signed_in("cell.fes")
    assert chief.get(reverse("messaging:staff_list")).status_code == 200
    form = chief.get(reverse("messaging:staff_new"))
    assert form.status_code == 200
    medina = area(MEDINA)
    invalid = chief.post(reverse("messaging:staff_new"), {"area": medina.pk, "kind": "information"})
    assert invalid.status_code == 400
    elsewhere = chief.post(
        reverse("messaging:staff_new"),
        {"area": area("032310101").pk, "kind": "information", "title_fr": "x", "body_fr": "y"},
    )
    assert elsewhere.status_code == 400  # not one of the chief's areas
    made = chief.post(
        reverse("messaging:staff_new"),
        {
            "area": medina.pk,
            "kind": "meeting",
            "title_ar": "لقاء مع السكان",
            "body_ar": "الخميس على الساعة السادسة",
        },
    )
    assert made.status_code == 302
    message = DistrictMessage.objects.get(title_ar="لقاء مع السكان")
    detail = reverse("messaging:staff_message", args=[message.pk])
    assert 'id="submit-button"' in chief.get(detail).content.decode()
    chief.post(reverse("messaging:staff_action", args=[message.pk, "submit"]))
    message.refresh_from_db()
    assert message.status == MessageStatus.REVIEW
    # Not the author's to approve; the cell's home lists it and the cell approves it.
    assert 'id="approve-button"' not in chief.get(detail).content.decode()
    assert detail in cell.get(reverse("staff_home")).content.decode()
    assert 'id="approve-button"' in cell.get(detail).content.decode()
    cell.post(reverse("messaging:staff_action", args=[message.pk, "approve"]))
    message.refresh_from_db()
    assert message.status == MessageStatus.PUBLISHED
    # Another district's chief: as if it did not exist.
    other = signed_in("chief.agdal")
    assert other.get(detail).status_code == 404
    assert (
        other.post(reverse("messaging:staff_action", args=[message.pk, "withdraw"])).status_code
        == 404
    )
    assert signed_in("resident").get(reverse("messaging:staff_list")).status_code == 404
    assert (
        chief.post(reverse("messaging:staff_action", args=[message.pk, "nonsense"])).status_code
        == 404
    )


def test_digest_command_sends_the_waiting_messages(task_queue: None) -> None:
    email_subscriber("karima@example.org", MEDINA, rhythm="daily")
    published(title="Marché nocturne")
    deliver()
    call_command("messages", "digest", "daily")
    call_command("worker", batch=True)
    [digest] = mail.outbox
    assert "Marché nocturne" in digest.body


def test_a_returned_message_is_changed_by_its_writer_and_sent_again() -> None:
    from qurb.messaging.services import message_review, message_submit
    from tests.messaging.conftest import user, written

    message = written(MEDINA_S1, author="officer.medina", title="Appel")
    message_submit(actor=user("officer.medina"), message=message)
    message_review(actor=user("chief.medina"), message=message, approve=False, note="Précisez.")
    officer = signed_in("officer.medina")
    edit = reverse("messaging:staff_new") + f"?message={message.pk}"
    page = officer.get(edit)
    assert page.status_code == 200
    assert "Précisez." in page.content.decode()
    assert 'value="Appel"' in page.content.decode()
    changed = officer.post(
        reverse("messaging:staff_new"),
        {
            "message": message.pk,
            "area": area(MEDINA_S1).pk,
            "kind": "appeal",
            "title_fr": "Appel à témoins, rue Talaa",
            "body_fr": "Samedi vers 22 h.",
        },
    )
    assert changed.status_code == 302
    message.refresh_from_db()
    assert (message.title_fr, message.kind) == ("Appel à témoins, rue Talaa", "appeal")
    for bad in ("x", "99999999999999999999", str(published().pk)):
        assert officer.get(reverse("messaging:staff_new") + f"?message={bad}").status_code == 404
    assert signed_in("chief.agdal").get(edit).status_code == 404


# Who reaches the staff's messaging pages (the writers: officers, chiefs, the cell), and who
# may open and withdraw a chief's published message in the Médina (its reviewers: the chief
# and the cell; an officer only their own). Every other account sees nothing.
STAFF_PAGES = {
    "chief.medina": (200, 200, "withdrawn"),
    "officer.medina": (200, 404, "published"),
    "cell.fes": (200, 200, "withdrawn"),
    "unit.fes": (404, 404, "published"),
    "analyst": (404, 404, "published"),
    "inspector": (404, 404, "published"),
    "resident": (404, 404, "published"),
}


@pytest.mark.parametrize(("username", "expected"), sorted(STAFF_PAGES.items()))
def test_the_staff_messaging_pages_by_role(username: str, expected: tuple[int, int, str]) -> None:
    pages, chiefs_message, after = expected
    message = published()
    client = signed_in(username)
    assert client.get(reverse("messaging:staff_list")).status_code == pages
    assert client.get(reverse("messaging:staff_new")).status_code == pages
    detail = client.get(reverse("messaging:staff_message", args=[message.pk]))
    assert detail.status_code == chiefs_message
    client.post(reverse("messaging:staff_action", args=[message.pk, "withdraw"]))
    message.refresh_from_db()
    assert message.status == after
