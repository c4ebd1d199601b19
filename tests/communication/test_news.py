"""News in three languages with a publication workflow, an Atom feed, and the newsletter:
double opt-in, sent once by a background task, one-click unsubscribe."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from qurb.accounts.models import User
from qurb.areas.models import Area
from qurb.communication.models import Article, NewsletterSubscriber
from qurb.communication.services import article_move, article_save, newsletter_send
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def _article(title: str) -> Article:
    return article_save(
        actor=User.objects.get(username="cell.fes"),
        area=Area.objects.get(code="03.231"),
        texts={
            "fr": {"title": title, "summary": "Résumé", "body": "Texte complet."},
            "ar": {"title": f"{title} (ع)", "body": "نص كامل."},
        },
    )


def test_workflow_draft_scheduled_published_withdrawn() -> None:
    cell = User.objects.get(username="cell.fes")
    article = _article("Campagne de sécurité routière")
    url = reverse("communication:article", args=[article.slug])
    assert Client().get(url).status_code == 404  # a draft is not public
    with pytest.raises(ValidationError):
        article_move(
            actor=cell,
            article=article,
            status="scheduled",
            publish_at=timezone.now() - timedelta(hours=1),
        )
    with pytest.raises(ValidationError):
        article_move(actor=cell, article=article, status="withdrawn")  # not from a draft
    article_move(
        actor=cell,
        article=article,
        status="scheduled",
        publish_at=timezone.now() + timedelta(hours=1),
    )
    assert Client().get(url).status_code == 404
    Article.objects.filter(pk=article.pk).update(publish_at=timezone.now() - timedelta(seconds=1))
    assert Client().get(url).status_code == 200  # its time has come: public, no job needed
    article.refresh_from_db()
    article_move(actor=cell, article=article, status="published")
    article_move(actor=cell, article=article, status="withdrawn")
    assert Client().get(url).status_code == 410
    with pytest.raises(ValidationError):
        article_save(
            actor=cell, area=article.area, texts={"fr": {"title": "Sans texte", "body": ""}}
        )


def test_news_page_links_a_valid_atom_feed() -> None:
    cell = User.objects.get(username="cell.fes")
    article = _article("Journée de la police")
    article_move(actor=cell, article=article, status="published")
    page = Client().get(reverse("communication:news")).content.decode()
    assert 'rel="alternate" type="application/atom+xml"' in page
    feed = Client().get(reverse("communication:news_feed"))
    root = ET.fromstring(feed.content)  # noqa: S314 - our own output
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    assert any(
        e.findtext(f"{ATOM}title") == "Journée de la police (ع)"
        or e.findtext(f"{ATOM}title") == "Journée de la police"
        for e in entries
    )
    for entry in entries:
        for required in ("id", "title", "updated", "link"):
            assert entry.find(f"{ATOM}{required}") is not None


def test_newsletter_double_opt_in_sent_once_and_one_click_unsubscribe(
    task_queue: None, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    assert client.post(reverse("communication:newsletter"), {"email": "nope"}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("communication:newsletter"), {"email": "nadia@example.org"})
    call_command("worker", batch=True)
    assert len(mail.outbox) == 1
    link = next(w for w in str(mail.outbox[0].body).split() if "/confirm/" in w)
    path = "/" + link.split("/", 3)[3]
    client.get(path)
    subscriber = NewsletterSubscriber.objects.get(email="nadia@example.org")
    assert subscriber.confirmed_at is None  # a GET (a mail scanner) confirms nothing
    client.post(path)
    subscriber.refresh_from_db()
    assert subscriber.confirmed_at is not None
    NewsletterSubscriber.objects.create(email="unconfirmed@example.org")
    cell = User.objects.get(username="cell.fes")
    article = _article("Bilan du trimestre")
    article_move(actor=cell, article=article, status="published")
    national = User.objects.get(username="admin")
    with pytest.raises(PermissionDenied):  # a prefecture's cell does not mail the whole force
        newsletter_send(actor=cell, subject="x", articles=[article])
    with pytest.raises(ValidationError):
        newsletter_send(actor=national, subject="x", articles=[_article("Brouillon")])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        newsletter_send(actor=national, subject="Lettre d'information", articles=[article])
    call_command("worker", batch=True)
    call_command("worker", batch=True)
    assert [m.to for m in mail.outbox] == [["nadia@example.org"]]
    sent = mail.outbox[0]
    assert "Bilan du trimestre" in str(sent.body)
    assert sent.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    leave = sent.extra_headers["List-Unsubscribe"].strip("<>")
    answer = Client(enforce_csrf_checks=True).post("/" + leave.split("/", 3)[3])
    assert answer.status_code == 200
    subscriber.refresh_from_db()
    assert not subscriber.active
    # Staff pages: the cell only.
    assert signed_in("cell.fes").get(reverse("communication:staff_news")).status_code == 200
    for username in ["chief.medina", "analyst", "resident"]:
        assert signed_in(username).get(reverse("communication:staff_news")).status_code == 404
