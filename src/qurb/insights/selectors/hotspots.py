"""Hotspots: Gi* over the hexagons of a district, and the district's picture (its hotspots
and hour-of-week profile over a period)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Sum

from qurb.areas.models import Area, Boundary
from qurb.insights import hexes, stats
from qurb.insights.selectors.hours import hour_counts
from qurb.insights.selectors.periods import Period, _filters
from qurb.reports.models import CellDay


@dataclass(frozen=True)
class HexStat:
    cell: int
    count: int
    neighbourhood: int
    expected: float
    z: float
    p: float
    q: float
    hot: bool

    @property
    def h3(self) -> str:
        return hexes.to_str(self.cell)


@dataclass
class Picture:
    """One district's hotspots and hour-of-week pattern over a period."""

    district_id: int
    period: Period
    category: str
    hexes: list[HexStat]
    hours: np.ndarray  # 168 counts, Monday 0h first

    @property
    def hotspots(self) -> list[HexStat]:
        return sorted((h for h in self.hexes if h.hot), key=lambda h: (-h.count, h.q, h.cell))

    @property
    def total(self) -> int:
        return sum(h.count for h in self.hexes)


@dataclass(frozen=True)
class StudyArea:
    """A district's outline and the hexagons whose centre lies inside it."""

    boundary_id: int
    geometry: dict[str, Any]
    cells: list[int]


def study_area(district: Area) -> StudyArea | None:
    row = (
        Boundary.objects.filter(area=district, generation__active=True)
        .values_list("pk", "geometry")
        .first()
    )
    if row is None:
        return None
    cells = hexes.cells_covering(row[0], row[1], settings.HOTSPOT_H3_RESOLUTION)
    return StudyArea(row[0], row[1], cells)


def hotspot_analysis(counts: dict[int, int], study: StudyArea | None) -> list[HexStat]:
    """Gi* over the district's cells (plus any cell holding reports just over its edge)."""
    cells = sorted(set(study.cells if study else []) | set(counts))
    if not cells:
        return []
    x = np.array([counts.get(c, 0) for c in cells], dtype=float)
    cover = hexes.coverage(study.boundary_id, study.geometry, cells) if study else None
    result = stats.gi_star(x, hexes.neighbour_matrix(cells), cover)
    fdr = settings.HOTSPOT_FDR
    least = settings.HOTSPOT_MIN_COUNT
    out = []
    for i, cell in enumerate(cells):
        if x[i] == 0 and result.neighbourhood[i] == 0:
            continue
        out.append(
            HexStat(
                cell=cell,
                count=int(x[i]),
                neighbourhood=int(result.neighbourhood[i]),
                expected=round(float(result.expected[i]), 6),
                z=round(float(result.z[i]), 6),
                p=float(result.p[i]),
                q=float(result.q[i]),
                hot=bool(result.q[i] <= fdr and result.z[i] > 0 and x[i] >= least),
            )
        )
    return out


def hex_counts(district_id: int, period: Period, category: str = "") -> dict[int, int]:
    rows = (
        CellDay.objects.filter(_filters([district_id], period, category))
        .values("cell")
        .annotate(total=Sum("n"))
        .values_list("cell", "total")
    )
    return {cell: total for cell, total in rows if total}


def district_picture(district: Area, period: Period, category: str = "") -> Picture:
    return Picture(
        district_id=district.pk,
        period=period,
        category=category,
        hexes=hotspot_analysis(hex_counts(district.pk, period, category), study_area(district)),
        hours=hour_counts([district.pk], period, category),
    )
