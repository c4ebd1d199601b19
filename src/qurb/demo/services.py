"""`qurb demo`: the Fès–Meknès demo geography, schools, associations and an account per role."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from qurb.accounts.mfa import totp_enrol
from qurb.accounts.models import Association, Rank, Role, User
from qurb.accounts.services import (
    association_member_add,
    association_register,
    association_verify,
    officer_profile_set,
    role_grant,
    user_create,
)
from qurb.areas.models import Area, PlaceKind
from qurb.areas.selectors import areas_at
from qurb.areas.services import LoadReport, area_type_ensure, areas_load, place_upsert
from qurb.demo.alerts import demo_alert_load
from qurb.demo.communication import demo_communication_load
from qurb.demo.engagement import demo_engagement_load
from qurb.demo.geography import (
    DEMO_SOURCE,
    LANDMARKS,
    OSM_SOURCE,
    demo_boundaries,
    demo_neighbourhoods,
    demo_school_points,
)
from qurb.demo.loop import demo_loop_load
from qurb.demo.reports import demo_reports_load

DEMO_PASSWORD = "qurb-demo-2026"  # noqa: S105 - printed to whoever runs the demo; demo only

AREA_TYPES = [
    (
        "prefecture",
        1,
        {"ar": "ولاية الأمن", "fr": "Préfecture de police", "en": "Police prefecture"},
    ),
    (
        "district",
        2,
        {"ar": "الدائرة الأمنية", "fr": "Arrondissement de police", "en": "Police district"},
    ),
    ("neighbourhood", 3, {"ar": "الحي", "fr": "Quartier", "en": "Neighbourhood"}),
]


@dataclass
class DemoAccount:
    username: str
    role: str
    area: str
    totp_key_base32: str
    backup_code: str


@dataclass
class DemoAccountSpec:
    username: str
    name: str
    role: Role
    area_code: str | None
    rank: Rank | None = None
    phone: str = ""


ACCOUNTS = [
    DemoAccountSpec("admin", "مدير المنصة · Administrateur", Role.ADMINISTRATOR, None),
    DemoAccountSpec("inspector", "المفتش · Inspecteur", Role.INSPECTOR, None),
    DemoAccountSpec("analyst", "محللة المديرية · Analyste DGSN", Role.HQ_ANALYST, None),
    DemoAccountSpec(
        "cell.fes",
        "خلية التواصل فاس · Cellule de communication Fès",
        Role.COMMUNICATION_CELL,
        "03.231",
    ),
    # A second member of the Fès cell: a message to the whole prefecture (more than one
    # district) is published once someone other than its author approves it.
    DemoAccountSpec(
        "cell.fes2",
        "Leila Fassi · ليلى الفاسي",
        Role.COMMUNICATION_CELL,
        "03.231",
    ),
    DemoAccountSpec(
        "unit.fes",
        "وحدة التحقق من التنبيهات فاس · Unité de validation des alertes Fès",
        Role.ALERT_VALIDATOR,
        "03.231",
    ),
    DemoAccountSpec(
        "cell.meknes",
        "خلية التواصل مكناس · Cellule de communication Meknès",
        Role.COMMUNICATION_CELL,
        "03.061",
    ),
    DemoAccountSpec(
        "chief.medina",
        "Karim Bennani · كريم بناني",
        Role.DISTRICT_CHIEF,
        "032310107",
        Rank.COMMISSAIRE,
        "+212 535 00 00 10",
    ),
    DemoAccountSpec(
        "chief.agdal",
        "Nadia El Idrissi · نادية الإدريسي",
        Role.DISTRICT_CHIEF,
        "032310101",
        Rank.COMMISSAIRE,
        "+212 535 00 00 20",
    ),
    DemoAccountSpec(
        "chief.mechouar",
        "Hicham Alaoui · هشام العلوي",
        Role.DISTRICT_CHIEF,
        "032310103",
        Rank.OFFICIER,
        "+212 535 00 00 30",
    ),
    DemoAccountSpec(
        "chief.meknes",
        "Samira Tazi · سميرة التازي",
        Role.DISTRICT_CHIEF,
        "030610101",
        Rank.COMMISSAIRE,
        "+212 535 00 00 40",
    ),
    DemoAccountSpec(
        "officer.medina",
        "Youssef El Amrani · يوسف العمراني",
        Role.NEIGHBOURHOOD_OFFICER,
        "032310107-S1",
        Rank.INSPECTEUR,
        "+212 535 00 00 11",
    ),
    DemoAccountSpec(
        "officer.agdal",
        "Fatima Zahra Berrada · فاطمة الزهراء برادة",
        Role.NEIGHBOURHOOD_OFFICER,
        "032310101-S1",
        Rank.BRIGADIER,
        "+212 535 00 00 21",
    ),
]


def _demo_totp_key(username: str) -> tuple[str, str]:
    """A per-account demo TOTP key: hex for django-otp, base32 for an authenticator app."""
    raw = hashlib.sha256(f"qurb-demo-totp:{username}".encode()).digest()[:20]
    return raw.hex(), base64.b32encode(raw).decode()


def _backup_code(username: str) -> str:
    return hashlib.sha256(f"qurb-demo-backup:{username}".encode()).hexdigest()[:8]


def demo_load(
    *, progress: Callable[[int, int], None] | None = None
) -> tuple[list[LoadReport], list[DemoAccount]]:
    for code, level, names in AREA_TYPES:
        area_type_ensure(code=code, level=level, names=names)
    reports = [
        areas_load(
            boundary_file=demo_boundaries(),
            commit=True,
            source=OSM_SOURCE,
            description="Demo: Fès and Meknès",
            progress=progress,
        ),
    ]
    neighbourhoods = demo_neighbourhoods()
    reports.append(
        areas_load(
            boundary_file=neighbourhoods,
            commit=True,
            activate=True,
            is_demo=True,
            source=DEMO_SOURCE,
            description="Demo: Fès and Meknès",
            progress=progress,
        )
    )
    for report in reports:
        if not report.ok:
            raise RuntimeError("\n".join(report.errors))
    areas = {a.code: a for a in Area.objects.all()}
    for n, (code, parent_code, lat, lon) in enumerate(demo_school_points(neighbourhoods), start=1):
        place_upsert(
            code=code,
            kind=PlaceKind.SCHOOL,
            lat=lat,
            lon=lon,
            area=areas[parent_code],
            is_demo=True,
            names={
                "ar": f"مدرسة تجريبية {n}",
                "fr": f"École de démonstration {n}",
                "en": f"Demo school {n}",
            },
        )
    for code, kind, lat, lon, names in LANDMARKS:
        inside = areas_at(lat=lat, lon=lon)
        place_upsert(
            code=code,
            kind=PlaceKind(kind),
            lat=lat,
            lon=lon,
            area=inside[-1] if inside else None,
            names=names,
        )
    accounts = _demo_accounts(areas)
    demo_reports_load()
    demo_alert_load()
    demo_communication_load()
    demo_engagement_load()
    demo_loop_load()
    return reports, accounts


def _demo_accounts(areas: dict[str, Area]) -> list[DemoAccount]:
    out: list[DemoAccount] = []
    with transaction.atomic():
        for spec in ACCOUNTS:
            user = User.objects.filter(username=spec.username).first() or user_create(
                username=spec.username,
                password=DEMO_PASSWORD,
                display_name=spec.name,
                email=f"{spec.username}@demo.qurb.invalid",
            )
            area = areas.get(spec.area_code) if spec.area_code else None
            role_grant(user=user, role=spec.role, area=area)
            if spec.rank:
                officer_profile_set(
                    user=user,
                    rank=spec.rank,
                    public_phone=spec.phone,
                    public_email=f"{spec.username}@demo.qurb.invalid",
                    is_demo=True,
                    notes={
                        "ar": "ضابط(ة) تجريبي(ة) للعرض.",
                        "fr": "Agent fictif de démonstration.",
                        "en": "Fictitious officer for the demo.",
                    },
                )
            key_hex, key_b32 = _demo_totp_key(spec.username)
            totp_enrol(user=user, key_hex=key_hex, backup_codes=[_backup_code(spec.username)])
            out.append(
                DemoAccount(
                    spec.username,
                    str(spec.role.label),
                    area.name if area else "—",
                    key_b32,
                    _backup_code(spec.username),
                )
            )
        association = Association.objects.filter(registration_number="DEMO-FES-0001").first()
        if association is None:
            association = association_register(
                names={
                    "ar": "جمعية أحياء المدينة (تجريبية)",
                    "fr": "Association des quartiers de la Médina (démo)",
                    "en": "Medina neighbourhoods association (demo)",
                },
                registration_number="DEMO-FES-0001",
                area=areas["032310107"],
                is_demo=True,
                contact_email="contact@demo.qurb.invalid",
                contact_person="Amina Lahlou · أمينة لحلو",
            )
        member = User.objects.filter(username="association").first() or user_create(
            username="association", password=DEMO_PASSWORD, display_name="Amina Lahlou · أمينة لحلو"
        )
        association_member_add(user=member, association=association)
        if not member.association_lead:
            # The demo member is the contact person: she manages the association's members.
            member.association_lead = True
            member.save(update_fields=["association_lead"])
        if association.status != "verified":
            association_verify(association=association, actor=User.objects.get(username="cell.fes"))
        out.append(
            DemoAccount("association", str(Role.ASSOCIATION_MEMBER.label), association.name, "", "")
        )
        resident = User.objects.filter(username="resident").first() or user_create(
            username="resident", password=DEMO_PASSWORD, display_name="Omar · عمر"
        )
        role_grant(user=resident, role=Role.RESIDENT)
        out.append(DemoAccount("resident", str(Role.RESIDENT.label), "—", "", ""))
    return out
