from collections.abc import Callable
from typing import Any

import pytest
from django.urls import resolve
from shapely.geometry import shape

from qurb.areas.models import Area, Boundary
from qurb.reports.models import Report
from qurb.reports.services import ReportInput, idempotency_scope, report_submit
from qurb.web.guards.intake import DEVICE_COOKIE, pow_challenge, pow_solve


def point_in(code: str) -> tuple[float, float]:
    """A point inside the area (its first neighbourhood when it has some), as (lat, lon)."""
    area = Area.objects.get(code=code)
    child = Area.objects.filter(parent=area).order_by("code").first() or area
    boundary = Boundary.objects.filter(area=child, generation__active=True).first()
    assert boundary is not None
    p = shape(boundary.geometry).representative_point()
    return p.y, p.x


@pytest.fixture
def medina_point() -> tuple[float, float]:
    return point_in("032310107")


@pytest.fixture
def agdal_point() -> tuple[float, float]:
    return point_in("032310101")


def sent_report(response: Any) -> Report:
    """The report a form submission stored, from where the form sent the browser."""
    return Report.objects.get(tracking_code=resolve(response["Location"]).kwargs["code"])


def web_key(client: Any, key: str) -> str:
    """How the report form's idempotency key is stored: within the browser's device cookie."""
    return idempotency_scope(f"w:{client.cookies[DEVICE_COOKIE].value}", key)


def solved() -> str:
    return pow_solve(pow_challenge())


@pytest.fixture
def make_report() -> Callable[..., Any]:
    def make(code: str = "032310107", **overrides: Any) -> Any:
        lat, lon = point_in(code)
        fields: dict[str, Any] = {
            "category": "drugs",
            "description": "كاين واحد كيبيع الحشيش قدام المدرسة كل نهار",
            "lat": lat,
            "lon": lon,
            "channel": "web",
        }
        fields.update(overrides)
        report, _created = report_submit(data=ReportInput(**fields))
        return report

    return make
