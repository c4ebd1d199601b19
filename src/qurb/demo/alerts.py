"""The demo's one missing-child alert: an exercise, marked as such everywhere (CAP status
Exercise, a banner on the page and in every notification)."""

from __future__ import annotations

import io
from datetime import timedelta

from django.utils import timezone
from PIL import Image, ImageDraw

from qurb.accounts.models import User
from qurb.alerts.models import AlertCase, CaseStatus
from qurb.alerts.services import case_open, case_validate


def _drawing() -> io.BytesIO:
    """A drawn figure, not a photo of anyone."""
    image = Image.new("RGB", (360, 480), (226, 232, 240))
    draw = ImageDraw.Draw(image)
    draw.ellipse((130, 70, 230, 170), fill=(100, 116, 139))
    draw.rounded_rectangle((105, 185, 255, 400), radius=40, fill=(71, 85, 105))
    draw.rectangle((0, 430, 360, 480), fill=(185, 28, 28))
    draw.text((120, 445), "EXERCISE", fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    out.seek(0)
    return out


def demo_alert_load() -> AlertCase:
    existing = AlertCase.objects.filter(is_exercise=True, child_first_name="Yasmine").first()
    if existing is not None and existing.status == CaseStatus.PUBLISHED:
        return existing
    now = timezone.now()
    case = case_open(
        actor=User.objects.get(username="officer.medina"),
        child_first_name="Yasmine",
        child_age=9,
        description="تمرين: طفلة نحيفة، طولها حوالي 1.30 م، شعر أسود طويل مربوط.",
        clothing="وزرة مدرسية زرقاء، حذاء رياضي أبيض، محفظة وردية",
        places="مكتبة الحي، حديقة جنان السبيل",
        photo=_drawing(),
        last_seen_at=now - timedelta(hours=2),
        lat=34.0651,
        lon=-4.9796,
        last_seen_place="باب بوجلود، فاس",
        guardian_name="Demo Guardian (exercise)",
        guardian_relation="mother",
        guardian_document="cnie",
        guardian_document_number="DEMO-0000",
        guardian_phone="+212 500 000 000",
        guardian_checked=True,
        language="ar",
        is_exercise=True,
    )
    return case_validate(
        actor=User.objects.get(username="unit.fes"),
        case=case,
        approve=True,
        criteria={
            "criteria_minor": True,
            "criteria_confirmed": True,
            "criteria_helpful": True,
            "criteria_safe": True,
        },
    )
