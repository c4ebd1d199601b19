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

STANDS = [
    {"ar": "الشرطة العلمية", "fr": "Police scientifique", "en": "Forensic science"},
    {"ar": "فرقة الكلاب البوليسية", "fr": "Brigade cynophile", "en": "Dog unit"},
    {"ar": "السلامة الطرقية", "fr": "Sécurité routière", "en": "Road safety"},
    {"ar": "محاربة الجريمة الإلكترونية", "fr": "Cybercriminalité", "en": "Cybercrime"},
]

# day of the event, hour, title, speakers
PROGRAMME = [
    (
        0,
        10,
        {
            "ar": "ندوة: شرطة القرب",
            "fr": "Séminaire : la police de proximité",
            "en": "Seminar: community policing",
        },
        {
            "ar": "عميد الشرطة كريم بناني",
            "fr": "Commissaire Karim Bennani",
            "en": "Superintendent Karim Bennani",
        },
    ),
    (
        0,
        15,
        {
            "ar": "عرض: فرقة الكلاب البوليسية",
            "fr": "Démonstration : brigade cynophile",
            "en": "Demonstration: the dog unit",
        },
        {"ar": "وحدة الكلاب البوليسية", "fr": "Unité cynophile", "en": "Dog unit"},
    ),
    (
        1,
        11,
        {
            "ar": "ندوة: الشباب والأمن على الإنترنت",
            "fr": "Séminaire : les jeunes et la sécurité en ligne",
            "en": "Seminar: young people and online safety",
        },
        {
            "ar": "خلية محاربة الجريمة الإلكترونية",
            "fr": "Cellule de lutte contre la cybercriminalité",
            "en": "Cybercrime unit",
        },
    ),
]


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
            title={
                "ar": "الأيام المفتوحة للشرطة — فاس (تجريبي)",
                "fr": "Portes ouvertes de la police — Fès (démo)",
                "en": "Police open days — Fès (demo)",
            },
            description={
                "ar": "أروقة وعروض وندوات مفتوحة للعموم. معطيات تجريبية.",
                "fr": (
                    "Stands, démonstrations et séminaires ouverts au public. "
                    "Données de démonstration."
                ),
                "en": "Stands, demonstrations and seminars open to the public. Demo data.",
            },
            starts_on=first,
            ends_on=first + timedelta(days=1),
            capacity=5000,
        )
        venue = venue_add(
            actor=cell,
            event=event,
            name={
                "ar": "المركب الرياضي بفاس",
                "fr": "Complexe sportif Fès",
                "en": "Fès sports complex",
            },
            address={
                "ar": "طريق إيموزار",
                "fr": "Route d'Imouzzer",
                "en": "Route d'Imouzzer",
            },
            lat=34.0630,
            lon=-4.9790,
        )
        for stand in STANDS:
            stand_add(actor=cell, venue=venue, name=stand)
        for day_offset, hour, title, speakers in PROGRAMME:
            day = first + timedelta(days=day_offset)
            programme_add(
                actor=cell,
                event=event,
                venue=venue,
                title=title,
                speakers=speakers,
                place={"ar": "القاعة أ", "fr": "Salle A", "en": "Room A"},
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
                "en": {
                    "title": "Police open days in Fès (demo)",
                    "summary": "Stands, demonstrations and seminars open to all.",
                    "body": "The police hold their open days in Fès. Demo text.",
                },
            },
        )
        article_move(actor=cell, article=article, status="published")
