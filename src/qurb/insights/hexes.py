"""Hexagons: a district's cells at the hotspot resolution, their neighbours and outlines."""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

import h3
import numpy as np
import shapely
from shapely.geometry import Polygon, shape

_study: dict[tuple[int, int], list[int]] = {}
_cover: dict[tuple[int, int], float] = {}
_shapes: dict[int, Any] = {}
# A hexagon holding reports although (almost) none of it is inside the area still gets a
# small share, so that its expected count is never zero.
MIN_COVERAGE = 0.05
_lock = threading.Lock()


def to_str(cell: int) -> str:
    return str(h3.int_to_str(cell))


@lru_cache(maxsize=200_000)
def disk(cell: int) -> tuple[int, ...]:
    """The cell and its six neighbours (fewer next to a pentagon)."""
    return tuple(int(h3.str_to_int(c)) for c in h3.grid_disk(h3.int_to_str(cell), 1))


@lru_cache(maxsize=50_000)
def centre(cell: int) -> tuple[float, float]:
    lat, lon = h3.cell_to_latlng(h3.int_to_str(cell))
    return float(lat), float(lon)


@lru_cache(maxsize=50_000)
def outline(cell: int) -> list[list[float]]:
    """A closed GeoJSON ring (lon, lat) around the cell."""
    ring = [[round(lon, 6), round(lat, 6)] for lat, lon in h3.cell_to_boundary(to_str(cell))]
    return [*ring, ring[0]]


def cells_covering(boundary_id: int, geometry: dict[str, Any], resolution: int) -> list[int]:
    """Cells whose centre lies in the boundary (computed once per boundary and resolution)."""
    key = (boundary_id, resolution)
    with _lock:
        found = _study.get(key)
    if found is None:
        found = sorted(int(h3.str_to_int(c)) for c in h3.geo_to_cells(geometry, resolution))
        with _lock:
            _study[key] = found
    return found


def neighbour_matrix(cells: list[int]) -> np.ndarray:
    """(n, 7) indices of each cell's neighbourhood within ``cells``, -1 where outside."""
    where = {c: i for i, c in enumerate(cells)}
    matrix = np.full((len(cells), 7), -1, dtype=np.int64)
    for i, cell in enumerate(cells):
        for j, other in enumerate(disk(cell)):
            matrix[i, j] = where.get(other, -1)
    return matrix


def coverage(boundary_id: int, geometry: dict[str, Any], cells: list[int]) -> np.ndarray:
    """The share of each cell's area inside the boundary (remembered per boundary and cell)."""
    with _lock:
        area = _shapes.get(boundary_id)
    if area is None:
        area = shape(geometry)
        shapely.prepare(area)
        with _lock:
            _shapes[boundary_id] = area
    out = np.empty(len(cells))
    for i, cell in enumerate(cells):
        key = (boundary_id, cell)
        value = _cover.get(key)
        if value is None:
            hexagon = Polygon([(lon, lat) for lat, lon in h3.cell_to_boundary(to_str(cell))])
            if area.contains(hexagon):
                value = 1.0
            else:
                value = max(area.intersection(hexagon).area / hexagon.area, MIN_COVERAGE)
            _cover[key] = value
        out[i] = value
    return out
