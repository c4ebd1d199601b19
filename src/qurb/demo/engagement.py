"""Demo engagement: an invitation-only meeting in Fès-Médina for the demo association (with an
online link), and an association's application waiting for the Fès communication cell, its
statutes attached as a PDF."""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta

from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from qurb.accounts.models import Association, User
from qurb.accounts.services import association_register
from qurb.areas.models import Area
from qurb.engagement.models import Invitation, Meeting, MeetingMode
from qurb.engagement.services import meeting_create

MEETING_TITLE = "Rencontre des associations de Fès-Médina (démo, sur invitation)"
MEETING_ONLINE_URL = "https://visio.demo.qurb.invalid/medina-associations?pwd=demo-2026"
PENDING_NUMBER = "DEMO-FES-0002"
PENDING_AREA = "032310113"  # Zouagha, in the Fès prefecture: cell.fes verifies it

STATUTES = [
    "STATUTS — Collectif des riverains de Zouagha (démo)",
    "",
    "Document de démonstration : association fictive, aucune valeur juridique.",
    "",
    "Article 1 — Dénomination",
    "Il est créé, conformément au dahir n° 1-58-376 réglementant le droit",
    "d'association, une association dénommée « Collectif des riverains de",
    "Zouagha ».",
    "",
    "Article 2 — Objet",
    "L'association a pour objet de représenter les habitants du quartier",
    "auprès des autorités, de contribuer à la sécurité et à la qualité de",
    "vie du quartier et d'organiser des activités pour les jeunes.",
    "",
    "Article 3 — Siège",
    "Le siège de l'association est fixé à Zouagha, Fès.",
    "",
    "Article 4 — Membres",
    "Peut être membre toute personne résidant dans le quartier qui adhère",
    "aux présents statuts et s'acquitte de sa cotisation annuelle.",
    "",
    "Article 5 — Bureau",
    "L'association est administrée par un bureau de sept membres élus pour",
    "trois ans par l'assemblée générale.",
    "",
    "Fait à Fès, en deux exemplaires.",
]


def statutes_pdf() -> bytes:
    """An A4 page of statutes at 100 dpi, as a PDF holding one image (Pillow's PDF writer:
    no script, action, form or attached file)."""
    page = Image.new("L", (827, 1169), 255)
    draw = ImageDraw.Draw(page)
    try:
        font: ImageFont.FreeTypeFont | ImageFont.ImageFont = ImageFont.load_default(size=19)
    except (ImportError, OSError):  # Pillow built without FreeType: the small bitmap font
        font = ImageFont.load_default()
    y = 90
    for n, line in enumerate(STATUTES):
        draw.text((80, y), line, fill=0, font=font)
        y += 40 if n == 0 else 30
    out = io.BytesIO()
    page.save(out, "PDF", resolution=100.0, title="Statuts (démo)")
    return out.getvalue()


def _at(day: object, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))  # type: ignore[arg-type]


def demo_engagement_load() -> None:
    medina = Area.objects.get(code="032310107")
    invited = Association.objects.get(registration_number="DEMO-FES-0001")
    if not Meeting.objects.filter(area=medina, title_fr=MEETING_TITLE).exists():
        day = timezone.localdate() + timedelta(days=12)
        meeting = meeting_create(
            area=medina,
            title={
                "ar": "لقاء تواصلي مع جمعيات فاس المدينة (تجريبي، بدعوة)",
                "fr": MEETING_TITLE,
                "en": "Meeting with the associations of Fès-Médina (demo, by invitation)",
            },
            starts_at=_at(day, 17),
            ends_at=_at(day, 19),
            location={
                "ar": "دار الشباب البطحاء، فاس المدينة (تجريبي)",
                "fr": "Dar Chabab Batha, Fès-Médina (démo)",
                "en": "Batha youth centre, Fès-Médina (demo)",
            },
            mode=MeetingMode.HYBRID,
            online_url=MEETING_ONLINE_URL,
            capacity=30,
            is_public=False,
            invited=[invited],
            agenda={
                "ar": (
                    "1. إنارة الدروب وأمنها حول باب بوجلود\n"
                    "2. أبواب المدارس: ترتيبات الدخول المدرسي\n"
                    "3. مقترحات الجمعيات المدعوة"
                ),
                "fr": (
                    "1. Éclairage et sécurité des derbs autour de Bab Boujloud\n"
                    "2. Sorties d'écoles : le dispositif de la rentrée\n"
                    "3. Propositions des associations invitées"
                ),
                "en": (
                    "1. Lighting and safety of the lanes around Bab Boujloud\n"
                    "2. School gates: arrangements for the new school year\n"
                    "3. Proposals from the invited associations"
                ),
            },
            actor=User.objects.get(username="chief.medina"),
        )
        # Demo data writes to no one (as for the demo association's verification): the
        # invitation counts as sent, so the queued e-mail task finds nothing to send.
        Invitation.objects.filter(meeting=meeting, sent_at__isnull=True).update(
            sent_at=timezone.now()
        )
    if not Association.objects.filter(registration_number=PENDING_NUMBER).exists():
        association_register(
            names={
                "ar": "تجمع سكان زواغة (تجريبي)",
                "fr": "Collectif des riverains de Zouagha (démo)",
                "en": "Zouagha residents' collective (demo)",
            },
            registration_number=PENDING_NUMBER,
            area=Area.objects.get(code=PENDING_AREA),
            contact_email="zouagha@demo.qurb.invalid",
            contact_person="Rachid Benjelloun · رشيد بنجلون",
            language="fr",
            documents=[io.BytesIO(statutes_pdf())],
            is_demo=True,
        )
