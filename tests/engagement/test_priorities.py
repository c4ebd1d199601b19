"""A priority's assessment is computed from the reports, not typed: the same measure before
and after the response began, over equal periods, with its significance."""

from datetime import date, timedelta

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from qurb.accounts.models import User
from qurb.areas.models import Area
from qurb.audit.models import AuditEvent
from qurb.engagement.selectors import priority_assessment
from qurb.engagement.services import priority_action_add, priority_close, priority_set
from qurb.insights.selectors import today
from tests.insights.conftest import plant, uniform_points

pytestmark = pytest.mark.django_db

MEDINA = "032310107"


def _hood() -> Area:
    hood = Area.objects.filter(parent__code=MEDINA).order_by("code").first()
    assert hood is not None
    return hood


def _days(rng: np.random.Generator, n: int, first: date, span: int) -> list[date]:
    return [first + timedelta(days=int(d)) for d in rng.integers(0, span, n)]


def _plant(hood: Area, n: int, first: date, span: int, seed: int, category: str = "drugs") -> None:
    rng = np.random.default_rng(seed)
    district = hood.parent
    assert district is not None
    plant(
        district,
        uniform_points(hood, n, rng),
        days=_days(rng, n, first, span),
        hours=[None] * n,
        category=category,
    )


def test_assessment_counts_before_and_after_and_tests_the_change() -> None:
    hood = _hood()
    chief = User.objects.get(username="chief.medina")
    end = today()
    start = end - timedelta(days=60)
    priority = priority_set(
        area=hood,
        title="بيع المخدرات قرب المدرسة",
        category="drugs",
        set_on=start - timedelta(days=70),
        actor=chief,
    )
    assert priority_assessment(priority, today=end) is None  # no response yet
    # 40 drug reports in the 60 days before the first action, 10 in the 60 days after; theft
    # reports and reports before the window do not count.
    _plant(hood, 40, start - timedelta(days=60), 60, 1)
    _plant(hood, 10, start, 60, 2)
    _plant(hood, 25, start - timedelta(days=60), 120, 3, category="theft")
    _plant(hood, 30, start - timedelta(days=90), 25, 4)
    priority_action_add(
        priority=priority,
        description="دوريات راجلة عند الخروج من المدرسة",
        done_on=start,
        actor=chief,
    )
    priority.refresh_from_db()
    assert priority.response_started_on == start
    result = priority_assessment(priority, today=end)
    assert result is not None
    assert (result.days, result.before, result.after) == (60, 40, 10)
    assert result.before_since == start - timedelta(days=60)
    assert result.change_percent == -75
    assert result.p < 0.001
    assert result.significant
    assert AuditEvent.objects.filter(action="engagement.add_priority_action").exists()


def test_an_unchanged_rate_is_not_significant() -> None:
    hood = _hood()
    chief = User.objects.get(username="chief.medina")
    end = today()
    start = end - timedelta(days=30)
    priority = priority_set(
        area=hood,
        title="Vols à l'arraché",
        category="robbery",
        set_on=start - timedelta(days=40),
        language="fr",
        actor=chief,
    )
    _plant(hood, 20, start - timedelta(days=30), 30, 5, category="robbery")
    _plant(hood, 18, start, 30, 6, category="robbery")
    priority_action_add(
        priority=priority, description="Éclairage réparé", done_on=start, actor=chief
    )
    result = priority_assessment(priority, today=end)
    assert result is not None
    assert (result.before, result.after) == (20, 18)
    assert not result.significant


def test_only_staff_of_the_area_set_priorities_and_bad_input_is_explained() -> None:
    hood = _hood()
    with pytest.raises(PermissionDenied):
        priority_set(
            area=hood, title="x", set_on=today(), actor=User.objects.get(username="chief.agdal")
        )
    chief = User.objects.get(username="chief.medina")
    with pytest.raises(ValidationError) as error:
        priority_set(area=hood, title=" ", category="nonsense", set_on=today(), actor=chief)
    assert set(error.value.message_dict) == {"title", "category"}
    priority = priority_set(area=hood, title="Harcèlement", set_on=today(), actor=chief)
    with pytest.raises(ValidationError):
        priority_action_add(
            priority=priority, description="x", done_on=today() - timedelta(days=3), actor=chief
        )
    priority_close(priority=priority, actor=chief)
    assert priority.status == "closed"


def test_published_on_the_neighbourhood_page_and_in_the_api() -> None:
    from django.test import Client

    hood = _hood()
    chief = User.objects.get(username="chief.medina")
    start = today() - timedelta(days=45)
    priority = priority_set(
        area=hood,
        title="Drug dealing at the school gate",
        category="drugs",
        set_on=start - timedelta(days=10),
        language="en",
        actor=chief,
    )
    _plant(hood, 30, start - timedelta(days=45), 45, 7)
    _plant(hood, 6, start, 45, 8)
    priority_action_add(
        priority=priority, description="Foot patrols at school exit", done_on=start, actor=chief
    )
    client = Client()
    page = client.get(f"/neighbourhoods/{hood.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "You said" in page
    assert "Foot patrols at school exit" in page
    assert "A real fall, beyond chance." in page
    data = client.get(f"/api/v1/neighbourhoods/{hood.pk}/priorities").json()
    mine = next(p for p in data if p["id"] == priority.pk)
    assert mine["action"] == "Foot patrols at school exit"
    assert mine["action_date"] == start.isoformat()
    assert mine["progress"] == "done"
    assert mine["assessment"]["reports_before"] == 30
    assert mine["assessment"]["reports_after"] == 6
    assert mine["assessment"]["significant"] is True


def _points_in(cell: int, n: int, rng: np.random.Generator) -> list[tuple[float, float]]:
    """``n`` points within 25 m of the centre of a hotspot hexagon."""
    from qurb.insights.hexes import centre

    lat0, lon0 = centre(cell)
    return [
        (lat0 + dy / 111_320, lon0 + dx / (111_320 * np.cos(np.radians(lat0))))
        for dy, dx in rng.uniform(-25, 25, size=(n, 2))
    ]


def test_evidence_hotspots_are_measured_before_and_after_and_reports_are_linked() -> None:
    from django.conf import settings

    from qurb.insights.hexes import to_str
    from qurb.reports import rollup
    from qurb.reports.models import Report

    hood = _hood()
    district = hood.parent
    assert district is not None
    chief = User.objects.get(username="chief.medina")
    end = today()
    start = end - timedelta(days=40)
    rng = np.random.default_rng(11)
    anchor = uniform_points(hood, 1, rng)[0]
    cell = rollup.parent_of(rollup.cell_of(*anchor), settings.HOTSPOT_H3_RESOLUTION)
    # In the hexagon: 24 reports before the action, 3 after. Elsewhere in the neighbourhood:
    # 10 before and 12 after (the neighbourhood as a whole falls less).
    inside_before = plant(
        district,
        _points_in(cell, 24, rng),
        days=_days(rng, 24, start - timedelta(days=40), 40),
        hours=[None] * 24,
    )
    plant(district, _points_in(cell, 3, rng), days=_days(rng, 3, start, 40), hours=[None] * 3)
    elsewhere = [
        p
        for p in uniform_points(hood, 60, rng)
        if rollup.parent_of(rollup.cell_of(*p), settings.HOTSPOT_H3_RESOLUTION) != cell
    ]
    plant(
        district,
        elsewhere[:10],
        days=_days(rng, 10, start - timedelta(days=40), 40),
        hours=[None] * 10,
    )
    plant(district, elsewhere[10:22], days=_days(rng, 12, start, 40), hours=[None] * 12)
    far = Report.objects.exclude(area__in=[hood]).exclude(area__parent=hood).first()
    assert far is not None
    # Reports from elsewhere and hexagons that are not at the hotspot resolution are refused.
    with pytest.raises(ValidationError) as error:
        priority_set(
            area=hood,
            title="Vente de drogue",
            category="drugs",
            set_on=start - timedelta(days=5),
            evidence_reports=[inside_before[0].pk, far.pk],
            hotspot_cells=[to_str(cell), "8a3836ab40fffff", "not-a-cell"],
            actor=chief,
        )
    assert set(error.value.message_dict) == {"evidence_reports", "hotspot_cells"}
    assert str(far.pk) in error.value.message_dict["evidence_reports"][0]
    assert len(error.value.message_dict["hotspot_cells"]) == 2
    priority = priority_set(
        area=hood,
        title="Vente de drogue",
        category="drugs",
        set_on=start - timedelta(days=5),
        evidence_reports=[r.pk for r in inside_before[:5]],
        hotspot_cells=[to_str(cell)],
        actor=chief,
    )
    assert priority.evidence_reports.count() == 5
    priority_action_add(priority=priority, description="Patrouilles", done_on=start, actor=chief)
    result = priority_assessment(priority, today=end)
    assert result is not None
    assert (result.before, result.after) == (34, 15)
    assert (result.hotspot_before, result.hotspot_after) == (24, 3)
    assert result.hotspot_p is not None
    assert result.hotspot_p < 0.001
    assert result.hotspot_significant


def test_residents_rate_a_priority_once_each_and_the_figures_show() -> None:
    from django.test import Client
    from django.urls import reverse

    from qurb.engagement.services import priority_rate

    hood = _hood()
    chief = User.objects.get(username="chief.medina")
    priority = priority_set(
        area=hood, title="Éclairage", set_on=today() - timedelta(days=20), actor=chief
    )
    with pytest.raises(ValidationError):  # nothing done yet: nothing to rate
        priority_rate(priority=priority, score=4, identity="device:a")
    priority_action_add(
        priority=priority,
        description="Lampadaires réparés",
        done_on=today() - timedelta(days=10),
        actor=chief,
    )
    for i, score in enumerate([4, 5, 3, 4]):
        priority_rate(priority=priority, score=score, identity=f"device:{i}")
    with pytest.raises(ValidationError):
        priority_rate(priority=priority, score=1, identity="device:0")  # once each
    with pytest.raises(ValidationError):
        priority_rate(priority=priority, score=9, identity="device:9")
    result = priority_assessment(priority)
    assert result is not None
    assert result.rating is not None
    assert result.rating.n == 4
    assert result.rating.mean == 4.0
    # t(0.975, 3) = 3.182; sd = 0.8165; half-width = 1.299
    assert result.rating.low == pytest.approx(2.701, abs=1e-3)
    assert result.rating.high == 5.0  # clipped to the scale
    # Through the page: a device cookie, one answer, then a refusal that says why.
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = client.get(reverse("neighbourhoods:detail", args=[hood.pk]))
    assert "How well is this being dealt with?" in page.content.decode()
    url = reverse("neighbourhoods:priority_rate", args=[priority.pk])
    first = client.post(url, {"score": "2", "back": str(hood.pk)}, follow=True)
    assert "your rating is recorded" in first.content.decode()
    again = client.post(url, {"score": "5", "back": str(hood.pk)}, follow=True)
    assert "You have already rated this priority." in again.content.decode()
    assert "5 ratings" in again.content.decode()
    api = Client().get(f"/api/v1/neighbourhoods/{hood.pk}/priorities").json()
    rating = next(p for p in api if p["id"] == priority.pk)["assessment"]["residents_rating"]
    assert rating["n"] == 5
    assert rating["mean"] == 3.6
