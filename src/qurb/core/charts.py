"""Chart geometry for server-drawn SVG (no chart script: pages work with scripts off).

Every figure is computed here and drawn by the templates with plain SVG attributes, which
the content security policy allows (inline style attributes it would not).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

PALETTE = ("#b3261e", "#0b5d3b", "#1d4ed8", "#a16207", "#7e22ce", "#0e7490")


@dataclass(frozen=True)
class HeatCell:
    day: int
    hour: int
    count: int
    opacity: float
    x: int
    y: int


def heatmap(hours: np.ndarray, *, cell: int = 22, left: int = 0) -> dict[str, Any]:
    """A 7 × 24 grid (rows: Monday first) with opacity by count."""
    top = int(hours.max()) if hours.size else 0
    cells = [
        HeatCell(
            day=h // 24,
            hour=h % 24,
            count=int(hours[h]),
            opacity=round(0.06 + 0.94 * hours[h] / top, 3) if top else 0.0,
            x=left + (h % 24) * cell,
            y=(h // 24) * cell,
        )
        for h in range(168)
    ]
    return {
        "cells": cells,
        "size": cell,
        "width": left + 24 * cell,
        "height": 7 * cell,
        "max": top,
        "hour_ticks": [(left + h * cell + cell // 2, h) for h in range(0, 24, 3)],
    }


@dataclass(frozen=True)
class Line:
    label: str
    colour: str
    points: str
    last: int
    total: int


def lines(
    series: Mapping[str, Sequence[int]],
    labels: Mapping[str, str],
    *,
    width: int = 560,
    height: int = 160,
    top_n: int = 5,
) -> dict[str, Any]:
    """Polylines for the ``top_n`` largest series, on a shared scale."""
    chosen = sorted(series, key=lambda k: -sum(series[k]))[:top_n]
    length = max((len(series[k]) for k in chosen), default=0)
    peak = max((max(series[k]) for k in chosen if series[k]), default=0) or 1
    step = width / max(length - 1, 1)
    out = []
    for i, key in enumerate(chosen):
        values = series[key]
        pts = " ".join(
            f"{round(j * step, 1)},{round(height - v / peak * (height - 10), 1)}"
            for j, v in enumerate(values)
        )
        out.append(
            Line(labels.get(key, key), PALETTE[i % len(PALETTE)], pts, values[-1], sum(values))
        )
    return {"lines": out, "width": width, "height": height, "peak": peak}


def hex_map(
    rings: Sequence[tuple[list[list[float]], dict[str, Any]]],
    outline: list[list[list[float]]],
    *,
    width: int = 560,
) -> dict[str, Any]:
    """Project lon/lat rings (equirectangular, corrected for latitude) into an SVG box."""
    points = [p for ring, _ in rings for p in ring] + [p for ring in outline for p in ring]
    if not points:
        return {"paths": [], "outline": [], "width": width, "height": 0}
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    k = math.cos(math.radians(sum(lats) / len(lats)))
    minx, maxx = min(lons) * k, max(lons) * k
    miny, maxy = min(lats), max(lats)
    scale = width / max(maxx - minx, 1e-9)
    height = int((maxy - miny) * scale) + 1

    def path(ring: list[list[float]]) -> str:
        return (
            "M"
            + "L".join(
                f"{round(p[0] * k * scale - minx * scale, 1)},{round((maxy - p[1]) * scale, 1)}"
                for p in ring
            )
            + "Z"
        )

    return {
        "paths": [dict(props, d=path(ring)) for ring, props in rings],
        "outline": [path(ring) for ring in outline],
        "width": width,
        "height": height,
    }


def bars(values: Sequence[int | None], *, width: int = 240, height: int = 60) -> dict[str, Any]:
    """Monthly bars; a withheld value (None) is drawn as a low hatched stub."""
    peak = max((v for v in values if v is not None), default=0) or 1
    step = width / max(len(values), 1)
    out = []
    for i, v in enumerate(values):
        h = height * 0.12 if v is None else height * v / peak
        out.append(
            {
                "x": round(i * step + 1, 1),
                "y": round(height - h, 1),
                "w": round(step - 2, 1),
                "h": round(h, 1),
                "value": v,
            }
        )
    return {"bars": out, "width": width, "height": height}


def site_map(
    outline: list[list[list[float]]],
    points: Sequence[tuple[float, float, str]],
    *,
    width: int = 320,
) -> dict[str, Any]:
    """An area's outline and labelled points (lon, lat, label) in an SVG box: a plan that
    needs no map tiles, so it works offline."""
    base = hex_map([], [*outline, [[lon, lat] for lon, lat, _ in points]], width=width)
    if not base["height"]:
        return {"outline": [], "points": [], "width": width, "height": 0}
    everything = [p for ring in outline for p in ring] + [[lon, lat] for lon, lat, _ in points]
    lats = [p[1] for p in everything]
    k = math.cos(math.radians(sum(lats) / len(lats)))
    minx = min(p[0] for p in everything) * k
    maxx = max(p[0] for p in everything) * k
    maxy = max(lats)
    scale = width / max(maxx - minx, 1e-9)
    return {
        "outline": base["outline"][: len(outline)],
        "points": [
            {
                "x": round(lon * k * scale - minx * scale, 1),
                "y": round((maxy - lat) * scale, 1),
                "label": label,
                "n": n,
            }
            for n, (lon, lat, label) in enumerate(points, 1)
        ],
        "width": width,
        "height": base["height"],
    }
