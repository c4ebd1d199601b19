import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from qurb.areas.formats import parse_boundaries, read_boundary_file
from qurb.areas.models import Area, Boundary, Generation
from qurb.areas.selectors import areas_at
from qurb.areas.services import areas_load
from qurb.audit.models import AuditEvent

DATA = Path(__file__).resolve().parents[2] / "src" / "qurb" / "areas" / "data" / "morocco"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages follow the user's language (Arabic by default); these tests read English."""
    with translation.override("en"):
        yield


def square(x: float, y: float, size: float = 0.01) -> list[list[list[float]]]:
    return [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]]


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def feature(code: str, coordinates: Any, **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"code": code, "name": f"Area {code}", **props},
        "geometry": {"type": "Polygon", "coordinates": coordinates},
    }


def counts() -> tuple[int, int, int]:
    return Area.objects.count(), Boundary.objects.count(), Generation.objects.count()


@pytest.mark.parametrize("name", ["arrondissements.geojson", "arrondissements.topojson"])
def test_shared_arrondissements_load_as_they_are(name: str) -> None:
    boundary_file = read_boundary_file(DATA / name)
    assert len(boundary_file.features) == 41
    report = areas_load(boundary_file=boundary_file, area_type="district", code_property="code")
    assert report.errors == []
    # The six Fès arrondissements exist already (demo); the other 35 cities' would be new.
    assert len(report.created) == 35
    assert sorted(report.changed + report.unchanged) == sorted(
        ["032310101", "032310105", "032310107", "032310109", "032310111", "032310113"]
    )


@pytest.mark.parametrize("name", ["region-03-communes.geojson", "region-03-communes.topojson"])
def test_shared_region_communes_load_as_they_are(name: str) -> None:
    report = areas_load(boundary_file=read_boundary_file(DATA / name), area_type="district")
    assert report.errors == []
    assert len(report.created) + len(report.changed) + len(report.unchanged) == 194


def test_topojson_and_geojson_decode_to_the_same_shapes() -> None:
    topo = read_boundary_file(DATA / "arrondissements.topojson")
    geo = read_boundary_file(DATA / "arrondissements.geojson")
    import shapely
    from shapely.geometry import shape

    by_code = {f.properties["code"]: shape(f.geojson) for f in geo.features}
    for f in topo.features:
        other = by_code[f.properties["code"]]
        assert shapely.normalize(shape(f.geojson)).equals_exact(shapely.normalize(other), 1e-6)


def test_dry_run_is_the_default_and_writes_nothing(tmp_path: Path) -> None:
    before = counts()
    path = tmp_path / "new.geojson"
    path.write_text(json.dumps(collection(feature("X1", square(-5.0, 33.5)))))
    call_command("load_areas", str(path), "--type", "prefecture")
    assert counts() == before


def test_commit_creates_a_pending_generation_and_activate_makes_it_live(
    tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    live_before = Generation.objects.get(active=True)
    path = tmp_path / "new.geojson"
    path.write_text(json.dumps(collection(feature("XNEW", square(-5.0, 33.5), type="prefecture"))))
    call_command("load_areas", str(path), "--commit")
    pending = Generation.objects.filter(active=False, activated_at__isnull=True).get()
    assert Generation.objects.get(active=True) == live_before
    # The pending generation is a full copy plus the change; lookups still use the live one.
    assert Boundary.objects.filter(generation=pending).count() == (
        Boundary.objects.filter(generation=live_before).count() + 1
    )
    assert areas_at(lat=33.505, lon=-4.995) == []
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_areas", str(path), "--commit", "--activate")
    assert Generation.objects.get(active=True) == pending
    assert [a.code for a in areas_at(lat=33.505, lon=-4.995)] == ["XNEW"]
    assert AuditEvent.objects.filter(action="areas.load").exists()
    assert AuditEvent.objects.filter(
        action="areas.activate_generation", object_id=str(pending.pk)
    ).exists()


def test_reloading_identical_boundaries_changes_nothing() -> None:
    before = counts()
    report = areas_load(
        boundary_file=read_boundary_file(DATA / "arrondissements.geojson"),
        area_type="district",
        commit=True,
    )
    assert report.errors == []
    fes = {"032310101", "032310105", "032310107", "032310109", "032310111", "032310113"}
    # Only the demo cut the Méchouar enclave out of these; the raw file differs, so "changed".
    assert set(report.changed) | set(report.unchanged) == fes
    assert counts()[0] == before[0] + 35


def _expect_rejection(data: dict[str, Any], *fragments: str, **kwargs: Any) -> None:
    before = counts()
    report = areas_load(boundary_file=parse_boundaries(data), commit=True, **kwargs)
    assert not report.ok
    text = "\n".join(report.errors)
    for fragment in fragments:
        assert fragment in text
    assert counts() == before


def test_self_intersecting_polygon_is_rejected_naming_the_feature() -> None:
    bow_tie = [[[-5.0, 34.0], [-4.9, 34.1], [-4.9, 34.0], [-5.0, 34.1], [-5.0, 34.0]]]
    _expect_rejection(
        collection(feature("OK1", square(-5.2, 34.0)), feature("BAD7", bow_tie)),
        "BAD7",
        "self-intersecting",
        area_type="district",
        parent_code="03.231",
    )


def test_unknown_parent_is_rejected() -> None:
    _expect_rejection(
        collection(feature("C1", square(-5.0, 34.0), parent="NOPE")),
        "C1",
        "unknown parent NOPE",
        area_type="district",
    )


def test_overlapping_siblings_are_rejected() -> None:
    _expect_rejection(
        collection(
            feature("A1", square(-5.0, 34.0, 0.02)), feature("A2", square(-4.99, 34.0, 0.02))
        ),
        "A1",
        "A2",
        "overlaps",
        area_type="district",
        parent_code="03.231",
    )


def test_overlap_with_an_existing_sibling_is_rejected() -> None:
    # A new district on top of Fès-Médina (already loaded) under the same prefecture.
    _expect_rejection(
        collection(feature("D9", square(-4.98, 34.06, 0.01))),
        "D9",
        "032310107",
        "overlaps",
        area_type="district",
        parent_code="03.231",
    )


def test_latitude_longitude_swapped_is_rejected() -> None:
    swapped = [[[34.0, -5.0], [34.0, -4.99], [34.01, -4.99], [34.01, -5.0], [34.0, -5.0]]]
    _expect_rejection(
        collection(feature("S1", swapped)),
        "S1",
        "wrong order",
        area_type="district",
        parent_code="03.231",
    )


def test_one_bad_feature_blocks_the_whole_file() -> None:
    bad = {
        "type": "Feature",
        "properties": {"code": "G2"},
        "geometry": {"type": "Point", "coordinates": [0, 0]},
    }
    _expect_rejection(
        collection(feature("G1", square(-5.3, 33.7)), bad), "G2", "Point", area_type="prefecture"
    )


def test_missing_code_and_unknown_type_are_reported() -> None:
    nameless = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Polygon", "coordinates": square(-5, 34)},
    }
    _expect_rejection(collection(nameless), "'code'", area_type="district")
    _expect_rejection(
        collection(feature("T1", square(-5.3, 33.7))), "unknown area type 'ward'", area_type="ward"
    )


def test_unreadable_file_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.geojson"
    path.write_text("{not json")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("load_areas", str(path))
    with pytest.raises(CommandError, match="No such file"):
        call_command("load_areas", str(tmp_path / "missing.geojson"))


def test_command_reports_problems_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(collection(feature("C1", square(-5.0, 34.0), parent="NOPE"))))
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("load_areas", str(path), "--type", "district", "--commit")
    assert "unknown parent NOPE" in capsys.readouterr().err


def test_progress_is_reported_on_large_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("load_areas", str(DATA / "region-03-communes.geojson"), "--type", "district")
    err = capsys.readouterr().err
    assert "194/194 features checked (100%)" in err
