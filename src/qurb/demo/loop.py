"""The whole loop in Fès-Médina, where the README's example point (34.0618, -4.9751) lies:
priorities set on the evidence of residents' reports, with what the police did about them; a
public meeting held three weeks ago with its closing report (minutes, proposals and their
answers, actions); one that took place without its report recorded yet (the chief's work);
and the next public meeting.

Everything goes through the domain services (so it is audited, as any staff action), as the
district chief; each piece is added once, so ``qurb demo`` may run again.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from qurb.accounts.models import Association, User
from qurb.areas.models import Area
from qurb.engagement.models import ActionProgress, Meeting, Priority, ProposalAnswer
from qurb.engagement.services import (
    action_item_add,
    action_item_done,
    meeting_create,
    meeting_hold,
    priority_action_add,
    priority_set,
    proposal_add,
    proposal_answer,
)
from qurb.reports.models import Report

MEDINA = "032310107"

PRIORITIES: list[dict[str, Any]] = [
    {
        "title": {
            "ar": "بيع المخدرات قرب أبواب المدارس (تجريبي)",
            "fr": "Vente de drogue aux portes des écoles (démo)",
            "en": "Drug dealing at school gates (demo)",
        },
        "description": {
            "ar": "يشتكي السكان من بيع المخدرات أمام المدارس في أوقات خروج التلاميذ.",
            "fr": "Les habitants signalent la vente de drogue devant les écoles à la sortie "
            "des élèves.",
            "en": "Residents report drugs being sold outside schools as pupils come out.",
        },
        "category": "drugs",
        "set_days_ago": 75,
        "actions": [
            (
                60,
                {
                    "ar": "دوريات راجلة يومية في محيط المدارس عند أوقات الدخول والخروج.",
                    "fr": "Patrouilles à pied chaque jour autour des écoles aux heures d'entrée "
                    "et de sortie.",
                    "en": "Daily foot patrols around the schools as pupils arrive and leave.",
                },
                ActionProgress.DONE,
            ),
            (
                25,
                {
                    "ar": "حصص توعوية حول أضرار المخدرات في إعداديات الحي، "
                    "بشراكة مع جمعية أحياء المدينة.",
                    "fr": "Séances de prévention sur les drogues dans les collèges du quartier, "
                    "avec l'Association des quartiers de la Médina.",
                    "en": "Drug-awareness sessions in the neighbourhood's middle schools, with the "
                    "Medina neighbourhoods association.",
                },
                ActionProgress.IN_PROGRESS,
            ),
        ],
    },
    {
        "title": {
            "ar": "السرقة بالعنف في الأزقة المظلمة قرب السور (تجريبي)",
            "fr": "Vols avec violence dans les ruelles sombres près des remparts (démo)",
            "en": "Street robberies in the dark lanes by the ramparts (demo)",
        },
        "description": {
            "ar": "سرقات بالعنف في الدروب غير المضاءة، خاصة بعد صلاة العشاء.",
            "fr": "Vols avec violence dans les derbs non éclairés, surtout après la prière "
            "du soir.",
            "en": "Robberies in unlit lanes, mostly after the evening prayer.",
        },
        "category": "robbery",
        "set_days_ago": 40,
        "actions": [
            (
                30,
                {
                    "ar": "طلب إلى الجماعة لإصلاح الإنارة في الدروب المحددة مع السكان؛ أصلح نصفها.",
                    "fr": "Demande à la commune de réparer l'éclairage des derbs relevés avec les "
                    "habitants ; la moitié est réparée.",
                    "en": "Asked the municipality to repair the lighting in the lanes listed with "
                    "residents; half of it is repaired.",
                },
                ActionProgress.IN_PROGRESS,
            ),
        ],
    },
]

PLACE = {
    "ar": "دار الشباب البطحاء، فاس المدينة (تجريبي)",
    "fr": "Dar Chabab Batha, Fès-Médina (démo)",
    "en": "Batha youth centre, Fès-Médina (demo)",
}
HELD_TITLE = {
    "ar": "اللقاء التواصلي مع سكان فاس المدينة (تجريبي)",
    "fr": "Rencontre avec les habitants de Fès-Médina (démo)",
    "en": "Meeting with the residents of Fès-Médina (demo)",
}
HELD_AGENDA = {
    "ar": "1. الحصيلة منذ اللقاء الأخير\n2. الأولويات الحالية\n3. أسئلة السكان واقتراحاتهم",
    "fr": "1. Le bilan depuis la dernière rencontre\n2. Les priorités en cours\n"
    "3. Questions et propositions des habitants",
    "en": "1. What was done since the last meeting\n2. The current priorities\n"
    "3. Residents' questions and proposals",
}
# Minutes are written once, in the language of the meeting.
HELD_MINUTES = (
    "حضر اللقاء رئيس الدائرة الأمنية وشرطي الحي وممثلو جمعية أحياء المدينة وعدد من السكان.\n\n"
    "عرض رئيس الدائرة حصيلة الشهر: البلاغات الواردة حسب النوع، وما أُنجز بخصوص الأولويات "
    "الحالية (المخدرات قرب المدارس، والسرقة في الأزقة المظلمة).\n\n"
    "طالب السكان بمزيد من الحضور الأمني مساءً قرب باب بوجلود وبإصلاح الإنارة في الدروب. "
    "اتُّفق على موعد اللقاء المقبل وعلى متابعة الإجراءات أدناه."
)
HELD_PROPOSALS = [
    (
        "دورية مسائية قارة قرب باب بوجلود بين الثامنة والحادية عشرة ليلاً.",
        True,
        ProposalAnswer.ACCEPTED,
        "",
    ),
    (
        "وضع كاميرات مراقبة في كل دروب المدينة القديمة.",
        False,
        ProposalAnswer.REJECTED,
        "ليس من اختصاص الدائرة؛ أُحيل الطلب على الجماعة في إطار برنامج المدينة العتيقة.",
    ),
]
HELD_ACTIONS = [
    ("برمجة الدورية المسائية قرب باب بوجلود.", "رئيس الدائرة الأمنية", 7, True),
    ("مراسلة الجماعة بشأن الإنارة في الدروب المحددة.", "شرطي الحي", 21, False),
]

UNCLOSED_TITLE = {
    "ar": "لقاء مع تجار سوق العطارين (تجريبي)",
    "fr": "Rencontre avec les commerçants du souk Attarine (démo)",
    "en": "Meeting with the Attarine market traders (demo)",
}
UNCLOSED_PLACE = {
    "ar": "سوق العطارين، فاس المدينة (تجريبي)",
    "fr": "Souk Attarine, Fès-Médina (démo)",
    "en": "Attarine market, Fès-Médina (demo)",
}
UNCLOSED_AGENDA = {
    "ar": "السرقات في السوق وتنظيم الولوج في أيام الزحام",
    "fr": "Les vols dans le souk et l'accès les jours d'affluence",
    "en": "Thefts in the market and access on crowded days",
}
NEXT_TITLE = {
    "ar": "الاجتماع العمومي الشهري مع سكان فاس المدينة (تجريبي)",
    "fr": "Réunion publique mensuelle avec les habitants de Fès-Médina (démo)",
    "en": "Monthly public meeting with the residents of Fès-Médina (demo)",
}
NEXT_AGENDA = {
    "ar": "1. ما أُنجز منذ اللقاء الأخير: الدورية المسائية والإنارة\n"
    "2. الأولويات الحالية: المخدرات قرب المدارس، السرقة في الأزقة المظلمة\n"
    "3. أسئلة السكان واقتراحاتهم",
    "fr": "1. Ce qui a été fait depuis la dernière rencontre : patrouille du soir, éclairage\n"
    "2. Les priorités en cours : drogue près des écoles, vols dans les ruelles sombres\n"
    "3. Questions et propositions des habitants",
    "en": "1. What was done since the last meeting: the evening patrol, the lighting\n"
    "2. The current priorities: drugs near schools, robberies in the dark lanes\n"
    "3. Residents' questions and proposals",
}


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def demo_loop_load() -> None:
    medina = Area.objects.get(code=MEDINA)
    chief = User.objects.get(username="chief.medina")
    association = Association.objects.get(registration_number="DEMO-FES-0001")
    today = timezone.localdate()
    for spec in PRIORITIES:
        _priority(medina, chief, today, spec)
    _held_meeting(medina, chief, association, today)
    if not Meeting.objects.filter(area=medina, title_ar=UNCLOSED_TITLE["ar"]).exists():
        day = today - timedelta(days=3)
        meeting_create(
            area=medina,
            title=UNCLOSED_TITLE,
            starts_at=_at(day, 10),
            ends_at=_at(day, 11),
            location=UNCLOSED_PLACE,
            is_public=False,
            invited=[],
            agenda=UNCLOSED_AGENDA,
            language="ar",
            actor=chief,
        )
    if not Meeting.objects.filter(area=medina, title_ar=NEXT_TITLE["ar"]).exists():
        day = today + timedelta(days=5)
        meeting_create(
            area=medina,
            title=NEXT_TITLE,
            starts_at=_at(day, 18),
            ends_at=_at(day, 20),
            location=PLACE,
            capacity=80,
            agenda=NEXT_AGENDA,
            language="ar",
            actor=chief,
        )


def _priority(area: Area, chief: User, today: date, spec: dict[str, Any]) -> None:
    if Priority.objects.filter(area=area, title_ar=spec["title"]["ar"]).exists():
        return
    evidence = list(
        Report.objects.filter(district=area, category=spec["category"], is_synthetic=False)
        .order_by("pk")
        .values_list("pk", flat=True)[:5]
    )
    with transaction.atomic():
        priority = priority_set(
            area=area,
            title=spec["title"],
            description=spec["description"],
            category=spec["category"],
            set_on=today - timedelta(days=spec["set_days_ago"]),
            language="ar",
            evidence_reports=evidence,
            actor=chief,
        )
        for days_ago, text, progress in spec["actions"]:
            priority_action_add(
                priority=priority,
                description=text,
                done_on=today - timedelta(days=days_ago),
                progress=progress,
                actor=chief,
            )


def _held_meeting(area: Area, chief: User, association: Association, today: date) -> None:
    if Meeting.objects.filter(area=area, title_ar=HELD_TITLE["ar"]).exists():
        return
    day = today - timedelta(days=21)
    with transaction.atomic():
        meeting = meeting_create(
            area=area,
            title=HELD_TITLE,
            starts_at=_at(day, 18),
            ends_at=_at(day, 20),
            location=PLACE,
            capacity=80,
            agenda=HELD_AGENDA,
            language="ar",
            actor=chief,
        )
        meeting = meeting_hold(meeting=meeting, attended=[], minutes=HELD_MINUTES, actor=chief)
        # Recorded (and audited) now, held three weeks ago: the demo's timeline dates the
        # record to the meeting's end, so that "since the last meeting" (the drafted agenda)
        # means the last three weeks.
        Meeting.objects.filter(pk=meeting.pk).update(held_at=meeting.ends_at)
        for text, by_association, answer, reason in HELD_PROPOSALS:
            proposal = proposal_add(
                meeting=meeting,
                text=text,
                association=association if by_association else None,
                actor=chief,
            )
            proposal_answer(proposal=proposal, answer=answer, reason=reason, actor=chief)
        for text, owner, due_in, done in HELD_ACTIONS:
            item = action_item_add(
                meeting=meeting,
                text=text,
                owner=owner,
                due_on=day + timedelta(days=due_in),
                actor=chief,
            )
            if done:
                action_item_done(item=item, actor=chief)
