"""Automatic items from communication: an article made public (published at once, or a
scheduled one when the workers' sweep finds its time has come) becomes a news item of its
area; a yearly report published becomes a figures item. Each reaches the subscribers who chose
that topic, once, however many sweepers run at the same instant."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from qurb.areas.models import Area
from qurb.audit.models import AuditEvent
from qurb.communication import selectors as communication_selectors
from qurb.communication.models import Article, ArticleStatus, YearlyReportPublication
from qurb.communication.services import (
    _announce_article,
    article_move,
    article_save,
    articles_publish_due,
    yearly_report_publish,
)
from qurb.communication.tasks import sweep
from qurb.core.errors import Invalid
from qurb.messaging.delivery import deliver
from qurb.messaging.models import DistrictMessage, MessageKind, MessageStatus
from tests.alerts.pushserver import Device, PushServer
from tests.conftest import signed_in
from tests.messaging.conftest import FES, MEDINA, area, push_subscriber, user

pytestmark = pytest.mark.django_db

MEKNES = "03.061"


def draft(code: str = FES, title: str = "Campagne de prévention routière") -> Article:
    return article_save(
        actor=user("cell.fes" if code != MEKNES else "cell.meknes"),
        area=area(code),
        texts={
            "fr": {"title": title, "summary": "Des contrôles toute la semaine.", "body": "Texte."},
            "ar": {"title": "حملة للوقاية الطرقية", "body": "مراقبة طيلة الأسبوع."},
        },
    )


def test_an_article_published_is_news_for_those_who_chose_news_in_its_area(
    push_server: PushServer, django_capture_on_commit_callbacks: Any
) -> None:
    push_subscriber(push_server, Device("/news"), MEDINA, topics=["news"])
    push_subscriber(push_server, Device("/meetings"), MEDINA, topics=["meetings"])
    push_subscriber(push_server, Device("/meknes"), "030610101", topics=["news"])
    article = draft()
    with django_capture_on_commit_callbacks(execute=True):
        article_move(actor=user("cell.fes"), article=article, status="published")
    item = DistrictMessage.objects.get(source=f"article:{article.pk}")
    assert (item.kind, item.status, item.area.code) == (
        MessageKind.NEWS,
        MessageStatus.PUBLISHED,
        FES,
    )
    assert item.title_fr == "Campagne de prévention routière"
    assert item.title_ar == "حملة للوقاية الطرقية"
    assert item.title_en == ""  # none in English: the reader gets Arabic, as everywhere
    link = reverse("communication:article", args=[article.slug])
    assert item.body_fr.startswith("Des contrôles toute la semaine.")
    assert link in item.body_fr
    assert "مراقبة طيلة الأسبوع." in item.body_ar
    assert deliver().sent == 1
    assert len(push_server.to("/news")) == 1
    assert not push_server.to("/meetings")
    assert not push_server.to("/meknes")
    # Withdrawn and published again, or announced twice: still one item.
    with django_capture_on_commit_callbacks(execute=True):
        article_move(actor=user("cell.fes"), article=article, status="withdrawn")
        article_move(actor=user("cell.fes"), article=article, status="draft")
        article_move(actor=user("cell.fes"), article=article, status="published")
    _announce_article(article.pk)
    assert DistrictMessage.objects.filter(source__startswith=f"article:{article.pk}").count() == 1


def test_a_national_article_is_news_in_every_top_level_area(
    django_capture_on_commit_callbacks: Any,
) -> None:
    admin = user("admin")
    article = article_save(
        actor=admin, area=None, texts={"fr": {"title": "Journée nationale", "body": "Texte."}}
    )
    with django_capture_on_commit_callbacks(execute=True):
        article_move(actor=admin, article=article, status="published")
    told = DistrictMessage.objects.filter(source__startswith=f"article:{article.pk}:")
    tops = Area.objects.filter(parent__isnull=True, boundaries__generation__active=True)
    assert sorted(m.area_id for m in told) == sorted(set(tops.values_list("pk", flat=True)))
    assert {m.kind for m in told} == {MessageKind.NEWS}
    assert all(
        m.body_fr.endswith(reverse("communication:article", args=[article.slug])) for m in told
    )


def test_a_scheduled_article_is_published_and_told_once_when_its_time_comes(
    django_capture_on_commit_callbacks: Any,
) -> None:
    article = draft()
    soon = timezone.now() + timedelta(hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        article_move(actor=user("cell.fes"), article=article, status="scheduled", publish_at=soon)
        assert articles_publish_due() == []  # not yet
    assert not DistrictMessage.objects.filter(source=f"article:{article.pk}").exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert articles_publish_due(now=soon + timedelta(seconds=1)) == [article.pk]
    with django_capture_on_commit_callbacks(execute=True):
        assert articles_publish_due(now=soon + timedelta(minutes=1)) == []  # once
    article.refresh_from_db()
    assert article.status == ArticleStatus.PUBLISHED
    assert article.publish_at == soon  # the time it was scheduled for
    assert DistrictMessage.objects.filter(source=f"article:{article.pk}").count() == 1
    event = AuditEvent.objects.filter(
        action="communication.move_article", object_id=str(article.pk)
    ).latest("pk")
    assert (event.actor_id, event.actor_label) == (None, "system")
    assert event.details == {"changes": {"status": {"old": "scheduled", "new": "published"}}}


def test_the_sweep_is_registered_for_every_worker(settings: Any) -> None:
    assert "qurb.communication.tasks.sweep" in settings.WORKER_SWEEPS
    article = draft()
    Article.objects.filter(pk=article.pk).update(
        status=ArticleStatus.SCHEDULED, publish_at=timezone.now() - timedelta(minutes=1)
    )
    assert sweep() == 1
    assert sweep() == 0


@pytest.mark.django_db(transaction=True)
def test_two_sweepers_at_the_same_instant_write_one_item(
    committed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both sweepers list the article before either takes it (a barrier between the listing
    and the taking): one publishes and announces it, the other finds it taken."""
    article = draft(title="Annonce programmée")
    Article.objects.filter(pk=article.pk).update(
        status=ArticleStatus.SCHEDULED, publish_at=timezone.now() - timedelta(seconds=5)
    )
    barrier = threading.Barrier(2)
    listed = communication_selectors.articles_due

    def both_list_first(moment: Any, limit: int = 500) -> list[int]:
        found = listed(moment, limit)
        barrier.wait(20)
        return found

    monkeypatch.setattr(communication_selectors, "articles_due", both_list_first)
    results: list[list[int]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(articles_publish_due())
        except BaseException as exc:  # shown below, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    # The test database of SQLite lives in memory, where a second writer is refused at once
    # ("table is locked") instead of waiting: that sweeper gives up and the next sweep finds
    # nothing left. PostgreSQL makes the second wait for the first's commit, then skip.
    locked = [e for e in errors if connection.vendor == "sqlite" and "locked" in str(e)]
    assert errors == locked, errors
    assert sorted(results) in ([[], [article.pk]], [[article.pk]])
    assert len(results) + len(locked) == 2
    assert listed(timezone.now()) == []  # nothing left for the next sweep
    assert DistrictMessage.objects.filter(source=f"article:{article.pk}").count() == 1
    published = AuditEvent.objects.filter(
        action="communication.move_article", object_id=str(article.pk), actor__isnull=True
    )
    assert published.count() == 1


# --- the yearly report ---------------------------------------------------------------------------


def test_a_yearly_report_published_is_figures_for_those_who_chose_figures(
    push_server: PushServer, django_capture_on_commit_callbacks: Any
) -> None:
    push_subscriber(push_server, Device("/figures"), MEDINA, topics=["figures"])
    push_subscriber(push_server, Device("/news"), MEDINA, topics=["news"])
    year = timezone.localdate().year - 1
    with django_capture_on_commit_callbacks(execute=True):
        publication = yearly_report_publish(actor=user("cell.fes"), area=area(FES), year=year)
    item = DistrictMessage.objects.get(source=f"yearly:{area(FES).pk}:{year}")
    assert (item.kind, item.area.code) == (MessageKind.FIGURES, FES)
    assert all(str(year) in t for t in (item.title_ar, item.title_fr, item.title_en))
    assert "Public meetings held:" in item.body_en
    assert "Rencontres publiques tenues" in item.body_fr
    assert reverse("insights:yearly", args=[area(FES).pk, year]) in item.body_ar
    assert deliver().sent == 1
    assert len(push_server.to("/figures")) == 1
    assert not push_server.to("/news")
    event = AuditEvent.objects.get(
        action="communication.publish_yearly_report", object_id=str(publication.pk)
    )
    assert (event.actor_label, event.area_id, event.details) == (
        "cell.fes",
        area(FES).pk,
        {"year": year},
    )
    with pytest.raises(Invalid) as again:
        yearly_report_publish(actor=user("cell.fes"), area=area(FES), year=year)
    assert again.value.stable_code == "already_published"


def test_a_yearly_report_is_published_by_its_areas_cell_for_a_year_that_is_over() -> None:
    this_year = timezone.localdate().year
    cases = [
        ("cell.meknes", FES, this_year - 1, PermissionDenied),
        ("chief.medina", MEDINA, this_year - 1, PermissionDenied),
        ("cell.fes", FES, this_year, Invalid),  # not over yet
        ("cell.fes", FES, 1999, Invalid),
        ("cell.fes", "032310107-S1", this_year - 1, Invalid),  # a neighbourhood
    ]
    for username, code, year, refusal in cases:
        with pytest.raises(refusal):
            yearly_report_publish(actor=user(username), area=area(code), year=year)
    assert not YearlyReportPublication.objects.exists()


def test_the_yearly_page_offers_publication_to_the_cell_only() -> None:
    year = timezone.localdate().year - 1
    fes = area(FES)
    page = reverse("insights:yearly", args=[fes.pk, year])
    publish = reverse("communication:yearly_publish", args=[fes.pk, year])
    listed = signed_in("cell.fes").get(reverse("communication:staff_newsletter")).content.decode()
    assert page in listed  # the cell's list of last year's reports leads to the page
    assert reverse("insights:yearly", args=[area(MEDINA).pk, year]) in listed
    assert reverse("insights:yearly", args=[area(MEKNES).pk, year]) not in listed
    assert 'id="yearly-publish"' not in Client().get(page).content.decode()
    assert 'id="yearly-publish"' not in signed_in("cell.meknes").get(page).content.decode()
    current = reverse("insights:yearly", args=[fes.pk, year + 1])
    assert 'id="yearly-publish"' not in signed_in("cell.fes").get(current).content.decode()
    cell = signed_in("cell.fes")
    assert 'id="yearly-publish"' in cell.get(page, HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    for username in ("cell.meknes", "chief.medina", "resident", "analyst"):
        assert signed_in(username).post(publish).status_code == 404, username
    assert Client().post(publish).status_code == 302  # signed out: to the sign-in page
    assert not YearlyReportPublication.objects.exists()
    for hostile in (
        f"/staff/areas/{10**30}/report/{year}/publish/",
        f"/staff/areas/{fes.pk}/report/99999/publish/",
    ):
        cell.raise_request_exception = False
        assert cell.post(hostile).status_code in (302, 404), hostile
    answer = cell.post(publish)
    assert answer.status_code == 302
    assert YearlyReportPublication.objects.filter(area=fes, year=year).count() == 1
    shown = cell.get(page, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert 'id="yearly-published"' in shown
    assert 'id="yearly-publish"' not in shown
    assert "Publié le" in shown
    again = cell.post(publish, follow=True, HTTP_ACCEPT_LANGUAGE="fr")
    assert "Ce rapport annuel est déjà publié." in again.content.decode()


@pytest.mark.django_db(transaction=True)
def test_publishing_commits_the_publication_its_event_and_then_its_item(committed: None) -> None:
    """As in production, without a transaction around the call: the item is written after
    the commit, by the receiver, and the publication stands even so."""
    year = timezone.localdate().year - 1
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    publication = yearly_report_publish(actor=user("cell.fes"), area=area(FES), year=year)
    assert not connection.in_atomic_block
    assert [e.action for e in AuditEvent.objects.filter(pk__gt=last)] == [
        "communication.publish_yearly_report"
    ]
    assert YearlyReportPublication.objects.filter(pk=publication.pk).exists()
    assert (
        DistrictMessage.objects.filter(
            source=f"yearly:{area(FES).pk}:{year}", kind=MessageKind.FIGURES
        ).count()
        == 1
    )
