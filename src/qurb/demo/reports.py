"""Demo concern reports: written like residents write (MSA, Darija in both scripts, French)."""

from __future__ import annotations

import hashlib
import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from shapely.geometry import shape

from qurb.accounts.models import User
from qurb.areas.models import Area, Boundary
from qurb.reports.apikeys import api_key_hash
from qurb.reports.models import ApiKey, Report
from qurb.reports.services import ReportInput, report_status_change, report_submit

# (district code, category, flags, when, text, status to reach)
DEMO_REPORTS = [
    (
        "032310107",
        "drugs",
        ["near_school"],
        "recurring",
        "كاين واحد كيبيع الحشيش قدام المدرسة فوقت الخروج، الدراري الصغار كيشوفو كلشي",
        "investigating",
    ),
    (
        "032310107",
        "robbery",
        [],
        "moment",
        "تعرضت للسرقة بالعنف فالزنقة المظلمة حدا السور، جوج دراري على موطور",
        "acknowledged",
    ),
    (
        "032310107",
        "harassment",
        ["minor_involved"],
        "recurring",
        "Des jeunes harcèlent les filles à l'arrêt de bus tous les soirs après 18h",
        "received",
    ),
    (
        "032310107",
        "disorder",
        [],
        "recurring",
        "kayn chi drari kaysekro f jnan kol lil o kaydiro l9ar9ouba 7ta l 3 d sba7",
        "received",
    ),
    (
        "032310107",
        "weapons",
        ["weapon"],
        "moment",
        "شفت واحد هاز جنوي كبير وكيهدد الناس فالسوق",
        "action_planned",
    ),
    (
        "032310107",
        "theft",
        [],
        "moment",
        "On m'a volé mon téléphone dans le bus n°9, le pickpocket est monté à Bab Boujloud",
        "resolved",
    ),
    (
        "032310101",
        "road",
        ["near_school"],
        "recurring",
        "الموطورات كيدوزو بسرعة كبيرة قدام الإعدادية فوقت الدخول، خطر على التلاميذ",
        "investigating",
    ),
    (
        "032310101",
        "vandalism",
        [],
        "moment",
        "3awtani 7r9o les poubelles f derb, had chi kay3awd kol weekend",
        "received",
    ),
    (
        "032310101",
        "drugs",
        [],
        "recurring",
        "Des dealers s'installent dans le parc derrière la pharmacie chaque soir",
        "received",
    ),
    (
        "032310101",
        "hooliganism",
        [],
        "recurring",
        "بعد كل ماتش كيتجمعو المشجعين ويكسرو الطوموبيلات فالشارع",
        "acknowledged",
    ),
    ("032310103", "theft", [], "moment", "سرقوا ليا الموطور من قدام الدار فالليل", "received"),
    (
        "032310103",
        "other",
        [],
        "unknown",
        "الضو ديال الزنقة طافي من شهر والناس خايفين يدوزو فالليل",
        "not_police",
    ),
    (
        "030610101",
        "drugs",
        ["minor_involved", "near_school"],
        "recurring",
        "wa7ed kaybi3 l7chich l drari sghar 9dam l'école primaire f wa9t l khrouj",
        "investigating",
    ),
    (
        "030610101",
        "robbery",
        ["weapon"],
        "moment",
        "Agression au couteau près de la gare, deux individus ont pris le sac d'une dame",
        "acknowledged",
    ),
]

DEMO_API_KEY_NAME = "Demo partner (Open311 and API)"


def demo_api_key() -> str:
    """A fixed demo key (like the demo TOTP keys), so the README and scripts can use it."""
    digest = hashlib.sha256(b"qurb-demo-api-key").hexdigest()
    return f"qurb_demo0000_{digest[:40]}"


def _point_in(area: Area, rng: random.Random) -> tuple[float, float]:
    child = Area.objects.filter(parent=area).order_by("code")
    pick = rng.choice(list(child)) if child.exists() else area
    boundary = Boundary.objects.filter(area=pick, generation__active=True).first()
    if boundary is None:
        boundary = Boundary.objects.get(area=area, generation__active=True)
    p = shape(boundary.geometry).representative_point()
    return p.y, p.x


def demo_reports_load() -> tuple[int, str]:
    """Load the demo reports once and ensure the demo partner key; returns (count, key)."""
    key = demo_api_key()
    with transaction.atomic():
        if not ApiKey.objects.filter(key_hash=api_key_hash(key)).exists():
            ApiKey.objects.create(
                name=DEMO_API_KEY_NAME, prefix="demo0000", key_hash=api_key_hash(key), is_demo=True
            )
    if Report.objects.filter(is_demo=True).exists():
        return Report.objects.filter(is_demo=True).count(), key
    rng = random.Random(2026)  # noqa: S311 - demo placement, not security
    chiefs = {
        "032310107": "chief.medina",
        "032310101": "chief.agdal",
        "032310103": "chief.mechouar",
        "030610101": "chief.meknes",
    }
    path = ["acknowledged", "investigating", "action_planned", "resolved"]
    for n, (code, category, flags, when, text, target) in enumerate(DEMO_REPORTS):
        district = Area.objects.get(code=code)
        lat, lon = _point_in(district, rng)
        report, _created = report_submit(
            data=ReportInput(
                category=category,
                description=text,
                lat=lat,
                lon=lon,
                channel="association" if n % 5 == 4 else "web",
                flags=flags,
                when=when,
                occurred_at=(
                    timezone.now() - timedelta(hours=rng.randint(3, 200))
                    if when == "moment"
                    else None
                ),
                recurrence_days="school_days" if when == "recurring" else "",
                language="fr" if any(c in text for c in "éèàç") else "ar",
                idempotency_key=f"demo:{n}",
                is_demo=True,
            )
        )
        chief = User.objects.get(username=chiefs[code])
        steps = [target] if target in {"not_police", "acknowledged"} else []
        if target in path and target != "acknowledged":
            steps = path[: path.index(target) + 1]
        for step in steps:
            report_status_change(
                report=report,
                to_status=step,
                actor=chief,
                public_note=(
                    "تم التوصل ببلاغكم وتتبعه من طرف الدائرة."
                    if report.language == "ar"
                    else "Votre signalement est suivi par l'arrondissement."
                ),
            )
    return Report.objects.filter(is_demo=True).count(), key
