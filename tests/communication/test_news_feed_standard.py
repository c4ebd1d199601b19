"""The news feed is Atom as RFC 4287 defines it: checked with jing against the RFC's RELAX NG
schema and its Schematron rules, in each language and from two addresses (tests/atom.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from qurb.accounts.models import User
from qurb.areas.models import Area
from qurb.communication.models import Article
from qurb.communication.services import article_move, article_save
from tests.atom import NS, check_feed

pytestmark = pytest.mark.django_db


def test_news_feed_is_valid_atom_with_an_author_and_ids_that_never_change() -> None:
    cell = User.objects.get(username="cell.fes")
    article = article_save(
        actor=cell,
        area=Area.objects.get(code="03.231"),
        texts={
            "fr": {"title": "Journée de la police", "summary": "Résumé", "body": "Texte."},
            "ar": {"title": "يوم الشرطة", "body": "نص."},
            "en": {"title": "Police day", "body": "Text."},
        },
    )
    article_move(actor=cell, article=article, status="published")
    # Written long before its publication: its entry is updated when it is published.
    written = timezone.now() - timedelta(days=3)
    Article.objects.filter(pk=article.pk).update(
        updated_at=written, publish_at=written + timedelta(days=2)
    )
    feeds = check_feed(reverse("communication:news_feed"))
    assert feeds["fr"].xpath("string(atom:author/atom:name)", namespaces=NS) == (
        "Police nationale — Qurb"
    )
    entry_id = f"tag:qurb.ma,2026:news/{article.pk}"
    (entry,) = feeds["en"].xpath(f"atom:entry[atom:id='{entry_id}']", namespaces=NS)
    assert entry.xpath("string(atom:updated)", namespaces=NS) == entry.xpath(
        "string(atom:published)", namespaces=NS
    )
    # The id stays when the address of the article changes.
    Article.objects.filter(pk=article.pk).update(slug="journee-de-la-police-2026")
    assert entry_id in check_feed(reverse("communication:news_feed"))["ar"].xpath(
        "atom:entry/atom:id/text()", namespaces=NS
    )


def test_the_author_comes_from_the_settings(settings: object) -> None:
    settings.FORCE_NAME = "Direction générale de la Sûreté nationale"  # type: ignore[attr-defined]
    feeds = check_feed(reverse("communication:news_feed"))
    for root in feeds.values():
        assert root.xpath("string(atom:author/atom:name)", namespaces=NS) == (
            "Direction générale de la Sûreté nationale"
        )
