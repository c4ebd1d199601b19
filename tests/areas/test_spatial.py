import json
import random
from collections.abc import Hashable
from pathlib import Path

import shapely
from shapely.geometry import Polygon, shape
from shapely.geometry.base import BaseGeometry

from qurb.areas.spatial import PointIndex, naive_lookup

DATA = Path(__file__).resolve().parents[2] / "src" / "qurb" / "areas" / "data" / "morocco"


def _entries(prefixes: tuple[str, ...]) -> list[tuple[Hashable, BaseGeometry]]:
    out: list[tuple[Hashable, BaseGeometry]] = []
    for name in ("region-03-communes.geojson", "arrondissements.geojson"):
        for f in json.loads((DATA / name).read_text())["features"]:
            if f["properties"]["code"].startswith(prefixes):
                out.append((f["properties"]["code"], shape(f["geometry"])))
    return out


def test_index_answers_exactly_like_testing_every_polygon() -> None:
    entries = _entries(("0323", "00323", "0306"))
    reference = _entries(("0323", "00323", "0306"))
    index = PointIndex(entries)
    x0, y0, x1, y1 = shapely.bounds(shapely.union_all([g for _, g in entries]))
    rng = random.Random(7)
    points = [(rng.uniform(x0, x1), rng.uniform(y0, y1)) for _ in range(5000)]
    # Vertices are the hardest points: exactly on boundaries.
    fes = dict(entries)["003231010"]
    assert isinstance(fes, Polygon)
    points += [(x, y) for x, y in list(fes.exterior.coords)[::25]]
    mismatches = [(x, y) for x, y in points if index.lookup(x, y) != naive_lookup(reference, x, y)]
    assert mismatches == []


def test_hole_is_respected() -> None:
    index = PointIndex(_entries(("003231010", "032310103")))
    assert index.lookup(-4.9946, 34.0551) == ("032310103",)  # Méchouar, in the Fès commune's hole
    assert index.lookup(-4.9751, 34.0618) == ("003231010",)


def test_points_outside_every_area_find_nothing() -> None:
    index = PointIndex(_entries(("0323",)))
    assert index.lookup(-8.0, 35.5) == ()
    assert index.lookup(200.0, 95.0) == ()
    assert PointIndex([]).lookup(-5.0, 34.0) == ()


def test_results_keep_the_given_order_of_nested_areas() -> None:
    commune = _entries(("003231010",))[0][1]
    medina = dict(_entries(("032310107",)))["032310107"]
    index = PointIndex([("outer", commune), ("inner", medina)])
    assert index.lookup(-4.9751, 34.0618) == ("outer", "inner")
    reversed_index = PointIndex([("inner", medina), ("outer", commune)])
    assert reversed_index.lookup(-4.9751, 34.0618) == ("inner", "outer")
