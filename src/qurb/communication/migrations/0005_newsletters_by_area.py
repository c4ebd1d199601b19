"""Existing subscribers chose no area: they receive the national edition, as before (nothing
to change). Existing newsletters were national, and queued when they were made: each
keeps its subject in the field of the language it is written in, and its articles become its
items, in their order, each with its title, summary and link."""

from typing import Any

from django.db import migrations
from django.urls import NoReverseMatch, reverse

from qurb.core.text import FIELD_LANGUAGES, written_in


def _link(slug: str) -> str:
    try:
        return reverse("communication:article", args=[slug])
    except NoReverseMatch:  # a slug the URL no longer takes: the title stays, unlinked
        return ""


def forwards(apps: Any, schema_editor: Any) -> None:
    Newsletter = apps.get_model("communication", "Newsletter")
    item_model = apps.get_model("communication", "NewsletterItem")
    for newsletter in Newsletter.objects.filter(queued_at__isnull=True).order_by("pk"):
        if newsletter.subject and not any(
            getattr(newsletter, f"subject_{c}") for c in FIELD_LANGUAGES
        ):
            setattr(newsletter, f"subject_{written_in(newsletter.subject)}", newsletter.subject)
        newsletter.queued_at = newsletter.created_at
        newsletter.save(update_fields=["subject_ar", "subject_fr", "subject_en", "queued_at"])
        if item_model.objects.filter(newsletter=newsletter).exists():
            continue
        items = []
        for position, article in enumerate(newsletter.articles.order_by("pk"), start=1):
            texts: dict[str, str] = {}
            for code in FIELD_LANGUAGES:
                title = getattr(article, f"title_{code}")
                summary = getattr(article, f"summary_{code}") or getattr(article, f"body_{code}")
                texts[f"title_{code}"] = title[:200]
                texts[f"body_{code}"] = summary[:2000] if title else ""
            items.append(
                item_model(
                    newsletter=newsletter,
                    position=position,
                    kind="article",
                    source=f"article:{article.pk}",
                    link=_link(article.slug),
                    **texts,
                )
            )
        item_model.objects.bulk_create(items)


def backwards(apps: Any, schema_editor: Any) -> None:
    """The article list and the single subject again (0006 reversed brought them back empty);
    the areas subscribers chose are dropped with their table when 0004 is reversed."""
    Newsletter = apps.get_model("communication", "Newsletter")
    item_model = apps.get_model("communication", "NewsletterItem")
    for newsletter in Newsletter.objects.order_by("pk"):
        subjects = [getattr(newsletter, f"subject_{c}") for c in FIELD_LANGUAGES]
        newsletter.subject = next((s for s in subjects if s), "")
        newsletter.save(update_fields=["subject"])
        sources = item_model.objects.filter(newsletter=newsletter, source__startswith="article:")
        ids = [int(s.split(":", 1)[1]) for s in sources.values_list("source", flat=True)]
        newsletter.articles.set(ids)


class Migration(migrations.Migration):
    dependencies = [("communication", "0004_area_newsletters")]

    operations = [migrations.RunPython(forwards, backwards)]
