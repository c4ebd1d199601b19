"""Point lookups: the indexed lookup against a naive loop over every polygon, in one run.

Areas: the Fès–Meknès region with the three levels Qurb models (the nine provinces and
prefectures as unions of their communes; the 194 communes of région 03 as districts, with the
Fès arrondissements in place of the Fès commune; each district cut into neighbourhoods the
way the demo cuts its own), which is where the target is checked. For comparison the same
run measures the real boundaries alone (two levels) and the demo geography Qurb ships. The
naive loop is linear in the number of areas and the index is not, so the ratio grows with the
number of areas. 100,000 uniformly random points over the region's bounding box; every point
must get the same answer from both methods.

    python bench/point_lookup.py [--points N] [--seed S] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `bench.smoke`
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qurb.config.settings")

from bench.smoke import add_smoke
from qurb.areas.spatial import PointIndex, naive_lookup
from qurb.demo.geography import demo_boundaries, demo_neighbourhoods, sectors

DATA = Path(__file__).resolve().parents[1] / "src" / "qurb" / "areas" / "data" / "morocco"

Entries = list[tuple[str, BaseGeometry]]


def region_areas(*, with_neighbourhoods: bool = False) -> Entries:
    communes = json.loads((DATA / "region-03-communes.geojson").read_text())["features"]
    arrondissements = json.loads((DATA / "arrondissements.geojson").read_text())["features"]
    by_province: dict[str, list[BaseGeometry]] = defaultdict(list)
    leaves: Entries = []
    for f in communes:
        code, geom = f["properties"]["code"], shape(f["geometry"])
        province = "003231" if code == "003231010" else code[:5]
        by_province[province].append(geom)
        if code != "003231010":  # the Fès commune is represented by its arrondissements
            leaves.append((code, geom))
    leaves += [
        (f["properties"]["code"], shape(f["geometry"]))
        for f in arrondissements
        if f["properties"]["code"].startswith("0323101")
    ]
    provinces = [
        (f"P{code}", shapely.union_all(geoms)) for code, geoms in sorted(by_province.items())
    ]
    neighbourhoods: Entries = []
    if with_neighbourhoods:
        # The third level of the hierarchy, cut the way the demo cuts its districts.
        for code, geom in leaves:
            neighbourhoods += [
                (f"{code}-S{n}", part) for n, part in enumerate(sectors(geom), start=1)
            ]
    return provinces + sorted(leaves) + neighbourhoods


def demo_areas() -> Entries:
    out: Entries = []
    for boundary_file in (demo_boundaries(), demo_neighbourhoods()):
        out += [(f.properties["code"], shape(f.geojson)) for f in boundary_file.features]
    return out


def copy(entries: Entries) -> Entries:
    """Fresh geometry objects, so the naive loop never sees the index's prepared ones."""
    return [(key, shapely.from_wkb(shapely.to_wkb(geom))) for key, geom in entries]


def run(name: str, entries: Entries, points: list[tuple[float, float]]) -> dict[str, float]:
    naive_entries = copy(entries)
    started = time.perf_counter()
    index = PointIndex(copy(entries))
    build = time.perf_counter() - started

    started = time.perf_counter()
    indexed = [index.lookup(x, y) for x, y in points]
    t_index = time.perf_counter() - started

    started = time.perf_counter()
    naive = [naive_lookup(naive_entries, x, y) for x, y in points]
    t_naive = time.perf_counter() - started

    mismatches = sum(1 for a, b in zip(indexed, naive, strict=True) if a != b)
    hits = sum(1 for a in indexed if a)
    figures = {
        "areas": len(entries),
        "points": len(points),
        "points_in_some_area": hits,
        "index_build_s": round(build, 3),
        "indexed_lookups_per_s": round(len(points) / t_index),
        "naive_lookups_per_s": round(len(points) / t_naive),
        "speedup": round(t_naive / t_index, 1),
        "mismatches": mismatches,
    }
    print(f"\n{name}")
    for key, value in figures.items():
        print(f"  {key:<22} {value}")
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    add_smoke(parser, points=2_000)
    args = parser.parse_args()

    region = region_areas()
    x0, y0, x1, y1 = shapely.bounds(shapely.union_all([g for k, g in region if k.startswith("P")]))
    rng = random.Random(args.seed)
    points = [(rng.uniform(x0, x1), rng.uniform(y0, y1)) for _ in range(args.points)]
    print(
        f"{args.points} random points over the Fès–Meknès region bbox "
        f"({x0:.3f},{y0:.3f})–({x1:.3f},{y1:.3f}), one core, seed {args.seed}"
    )

    results = [
        run(
            "Fès–Meknès region, three levels: provinces, communes/arrondissements as districts, "
            "generated neighbourhoods",
            region_areas(with_neighbourhoods=True),
            points,
        ),
        run(
            "Fès–Meknès region, real boundaries only: provinces, communes, Fès arrondissements",
            region,
            points,
        ),
        run(
            "Qurb demo geography: prefectures, districts, demo neighbourhoods", demo_areas(), points
        ),
    ]
    region_result = results[0]  # the full three-level region
    ok = (
        all(r["mismatches"] == 0 for r in results)
        and region_result["speedup"] >= 50
        and region_result["indexed_lookups_per_s"] >= 20_000
    )
    print(
        "\ntargets (region): identical answers, >= 50x the naive loop,"
        " >= 20,000 lookups/s per core:",
        "met" if ok else "NOT met",
    )
    if args.smoke:  # tiny sizes: only a wrong answer fails
        return 0 if all(r["mismatches"] == 0 for r in results) else 1
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
