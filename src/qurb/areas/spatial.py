"""Exact point-in-area lookups, fast enough to run on every request.

``PointIndex`` lays a regular grid over the areas. For every cell it records which areas cover
the whole cell (any point in it is inside them: no geometry test needed) and which only touch
it (an exact test against the prepared polygon, holes included, decides). Most points fall in
cells that are wholly inside or outside every area, so a lookup is usually two integer
divisions and a list lookup.

Semantics are those of ``shapely.intersects``: a point on a boundary belongs to the area.
``naive_lookup`` gives the same answers by testing every polygon and is the reference the
benchmark and the tests compare against.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

Key = Hashable


@dataclass(frozen=True)
class _Cell:
    full: tuple[Key, ...] = ()
    partial: tuple[tuple[Key, BaseGeometry], ...] = ()


_EMPTY = _Cell()


@dataclass
class PointIndex:
    """Built once from (key, geometry) pairs; keys come back in the order they were given."""

    entries: Sequence[tuple[Key, BaseGeometry]]
    # None: chosen from the number of areas (more, smaller areas want finer cells).
    max_cells_per_side: int | None = None
    min_x: float = field(init=False, default=0.0)
    min_y: float = field(init=False, default=0.0)
    cell: float = field(init=False, default=1.0)
    nx: int = field(init=False, default=0)
    ny: int = field(init=False, default=0)
    cells: list[_Cell] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        entries = [(k, g) for k, g in self.entries if g is not None and not g.is_empty]
        if not entries:
            return
        geoms = [g for _, g in entries]
        bounds = shapely.bounds(np.array(geoms, dtype=object))
        self.min_x, self.min_y = float(bounds[:, 0].min()), float(bounds[:, 1].min())
        max_x, max_y = float(bounds[:, 2].max()), float(bounds[:, 3].max())
        span = max(max_x - self.min_x, max_y - self.min_y) or 1e-9
        side = self.max_cells_per_side or min(768, max(256, int(16 * math.sqrt(len(entries)))))
        self.cell = span / side
        self.nx = max(1, math.ceil((max_x - self.min_x) / self.cell) + 1)
        self.ny = max(1, math.ceil((max_y - self.min_y) / self.cell) + 1)
        full: dict[int, list[Key]] = {}
        partial: dict[int, list[tuple[Key, BaseGeometry]]] = {}
        for (key, geom), (bx0, by0, bx1, by1) in zip(entries, bounds, strict=True):
            shapely.prepare(geom)
            ix0, iy0 = self._ix(bx0), self._iy(by0)
            ix1, iy1 = self._ix(bx1), self._iy(by1)
            grid_x, grid_y = np.meshgrid(np.arange(ix0, ix1 + 1), np.arange(iy0, iy1 + 1))
            ixs, iys = grid_x.ravel(), grid_y.ravel()
            x0 = self.min_x + ixs * self.cell
            y0 = self.min_y + iys * self.cell
            boxes = shapely.box(x0, y0, x0 + self.cell, y0 + self.cell)
            touches = shapely.intersects(geom, boxes)
            # A cell counts as covered only if a slightly larger box is covered, so that a
            # point put in the neighbouring cell by floating-point rounding is still inside.
            pad = self.cell * 1e-6
            grown = shapely.box(x0 - pad, y0 - pad, x0 + self.cell + pad, y0 + self.cell + pad)
            covers = shapely.covers(geom, grown) & touches
            for ix, iy, t, c in zip(ixs, iys, touches, covers, strict=True):
                if not t:
                    continue
                idx = int(iy) * self.nx + int(ix)
                if c:
                    full.setdefault(idx, []).append(key)
                else:
                    partial.setdefault(idx, []).append((key, geom))
        self.cells = [_EMPTY] * (self.nx * self.ny)
        for idx in set(full) | set(partial):
            self.cells[idx] = _Cell(tuple(full.get(idx, ())), tuple(partial.get(idx, ())))
        self._order = {key: n for n, (key, _) in enumerate(entries)}

    def _ix(self, x: float) -> int:
        return min(self.nx - 1, max(0, int((x - self.min_x) / self.cell))) if self.nx else 0

    def _iy(self, y: float) -> int:
        return min(self.ny - 1, max(0, int((y - self.min_y) / self.cell))) if self.ny else 0

    def lookup(self, x: float, y: float) -> Sequence[Key]:
        """Keys of every area containing the point (x = longitude, y = latitude)."""
        if not self.cells:
            return ()
        fx = (x - self.min_x) / self.cell
        fy = (y - self.min_y) / self.cell
        if not (0 <= fx < self.nx and 0 <= fy < self.ny):
            return ()
        cell = self.cells[int(fy) * self.nx + int(fx)]
        if not cell.partial:
            return cell.full
        found = list(cell.full)
        for key, geom in cell.partial:
            if shapely.intersects_xy(geom, x, y):
                found.append(key)
        if cell.full:
            found.sort(key=self._order.__getitem__)
        return tuple(found)

    def __len__(self) -> int:
        return len(self._order) if self.cells else 0


def naive_lookup(entries: Sequence[tuple[Key, BaseGeometry]], x: float, y: float) -> Sequence[Key]:
    """The reference: test the point against every polygon, in order, with no index."""
    point = shapely.Point(x, y)
    return tuple(key for key, geom in entries if geom.intersects(point))
