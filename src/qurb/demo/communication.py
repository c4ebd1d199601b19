"""Demo communication: an open day in Fès with a programme, school sessions, and news."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from qurb.accounts.models import User
from qurb.areas.models import Area, Place, PlaceKind
from qurb.communication.models import Article, Event
from qurb.communication.services import (
    article_move,
    article_save,
    event_create,
    event_publish,
    programme_add,
    school_session_save,
    stand_add,
    venue_add,
)


def _at(day: object, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))  # type: ignore[arg-type]


def demo_communication_load() -> None:
    cell = User.objects.get(username="cell.fes")
    if not Event.objects.filter(slug__startswith="portes-ouvertes").exists():
        first = timezone.localdate() + timedelta(days=10)
        event = event_create(
            actor=cell,
            area=Area.objects.get(code="03.231"),
            kind="open_day",
            title="Portes ouvertes de la police — Fès (démo)",
            description=(
                "Stands, démonstrations et séminaires ouverts au public. Données de démonstration."
            ),
            starts_on=first,
            ends_on=first + timedelta(days=1),
            capacity=5000,
            language="fr",
        )
        venue = venue_add(
            actor=cell,
            event=event,
            name="Complexe sportif Fès",
            address="Route d'Imouzzer",
            lat=34.0630,
            lon=-4.9790,
        )
        for stand in [
            "Police scientifique",
            "Brigade cynophile",
            "Sécurité routière",
            "Cybercriminalité",
        ]:
            stand_add(actor=cell, venue=venue, name=stand)
        for day_offset, hour, title, speakers in [
            (0, 10, "Séminaire : la police de proximité", "Commissaire Karim Bennani"),
            (0, 15, "Démonstration : brigade cynophile", "Unité cynophile"),
            (1, 11, "Séminaire : les jeunes et la sécurité en ligne", "Cellule cybercriminalité"),
        ]:
            day = first + timedelta(days=day_offset)
            programme_add(
                actor=cell,
                event=event,
                venue=venue,
                title=title,
                speakers=speakers,
                place="Salle A",
                starts_at=_at(day, hour),
                ends_at=_at(day, hour + 1),
            )
        event_publish(actor=cell, event=event)
    schools = list(Place.objects.filter(kind=PlaceKind.SCHOOL, is_demo=True).order_by("pk")[:3])
    if schools and not schools[0].sessions.exists():
        today = timezone.localdate()
        for n, (school, topic) in enumerate(
            zip(schools, ["drugs", "road", "online"], strict=False)
        ):
            school_session_save(
                actor=cell,
                school=school,
                topic=topic,
                held_on=today - timedelta(days=20 + n),
                trainer="Brigade de proximité",
                pupils=120 + 30 * n,
            )
        school_session_save(
            actor=cell,
            school=schools[0],
            topic="citizenship",
            held_on=today + timedelta(days=14),
            trainer="Brigade de proximité",
        )
    if not Article.objects.exists():
        article = article_save(
            actor=cell,
            area=Area.objects.get(code="03.231"),
            texts={
                "ar": {
                    "title": "أيام الأبواب المفتوحة للشرطة بفاس (تجريبي)",
                    "summary": "أروقة وعروض وندوات مفتوحة للعموم.",
                    "body": "تنظم الشرطة أيام الأبواب المفتوحة بفاس. هذا نص تجريبي.",
                },
                "fr": {
                    "title": "Portes ouvertes de la police à Fès (démo)",
                    "summary": "Stands, démonstrations et séminaires ouverts à tous.",
                    "body": "La police organise ses portes ouvertes à Fès. Texte de démonstration.",
                },
            },
        )
        article_move(actor=cell, article=article, status="published")
