"""Malformed boundary files end `qurb load-areas` with a one-line error, never a traceback."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from qurb.areas.models import Area, Boundary, Generation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


FES = [[[-5.0, 34.0], [-4.99, 34.0], [-4.99, 34.01], [-5.0, 34.01], [-5.0, 34.0]]]


def _collection(geometry: Any, **extra: Any) -> str:
    feature = {"type": "Feature", "properties": {"code": "X1", "type": "district"}}
    if geometry is not ...:
        feature["geometry"] = geometry
    feature.update(extra)
    return json.dumps({"type": "FeatureCollection", "features": [feature]})


def _topology(arcs: Any, polygon_arcs: Any, **extra: Any) -> str:
    return json.dumps(
        {
            "type": "Topology",
            "arcs": arcs,
            "objects": {"a": {"type": "Polygon", "arcs": polygon_arcs, "id": "X1"}},
            **extra,
        }
    )


# name -> (file content: text or bytes; a word the message must contain)
MALFORMED: dict[str, tuple[str | bytes, str]] = {
    "not-json": ("this is not JSON at all", "not valid JSON"),
    "huge-number": (
        _collection({"type": "Polygon", "coordinates": [[[1e999, 34]] * 4]}),
        "not a JSON number",
    ),
    "type-is-a-list": (_collection({"type": ["Polygon"], "coordinates": FES}), "problem(s)"),
    "no-coordinates": (_collection({"type": "Polygon"}), "problem(s)"),
    "truncated": (_collection({"type": "Polygon", "coordinates": FES})[:40], "not valid JSON"),
    "empty": (b"", "not valid JSON"),
    "binary": (bytes(range(256)) * 4, "not UTF-8"),
    "not-utf8": (
        '{"type": "Feature", "properties": {"name": "F\xe8s"}}'.encode("latin-1"),
        "UTF-8",
    ),
    "array": ("[1, 2, 3]", "GeoJSON or TopoJSON"),
    "wrong-type": ('{"type": "Point", "coordinates": [1, 2]}', "Unsupported type"),
    "features-not-list": ('{"type": "FeatureCollection", "features": 3}', "list of features"),
    "no-geometry": (_collection(...), "problem(s)"),
    "no-properties": (
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": FES}}
                ],
            }
        ),
        "problem(s) found",
    ),
    "point-geometry": (_collection({"type": "Point", "coordinates": [-5, 34]}), "problem(s)"),
    "text-coordinates": (
        _collection({"type": "Polygon", "coordinates": [[["a", "b"], ["c", "d"]]]}),
        "problem(s)",
    ),
    "nan-coordinates": (
        _collection({"type": "Polygon", "coordinates": "RING"}).replace(
            '"RING"', "[[[NaN, 34], [-4.99, Infinity], [-4.99, 34.01], [NaN, 34]]]"
        ),
        "NaN is not a JSON number",
    ),
    "coordinates-not-list": (_collection({"type": "Polygon", "coordinates": 7}), "problem(s)"),
    "unclosed-ring": (
        _collection({"type": "Polygon", "coordinates": [[[-5.0, 34.0], [-4.99, 34.0]]]}),
        "problem(s)",
    ),
    "topojson-bad-arc-index": (_topology([[[-5.0, 34.0], [-4.99, 34.0]]], [[5]]), "arc"),
    "topojson-arcs-not-numbers": (_topology([["x", "y"]], [[0]]), "arc"),
    "topojson-bad-transform": (_topology([[[1, 2]]], [[0]], transform={"scale": 3}), "transform"),
    "deep-nesting": ("[" * 100_000 + "]" * 100_000, "not valid JSON"),
}


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / f"{name}.geojson"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def _counts() -> tuple[int, int, int]:
    return Area.objects.count(), Boundary.objects.count(), Generation.objects.count()


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_file_is_a_one_line_error(tmp_path: Path, name: str) -> None:
    content, expected = MALFORMED[name]
    path = _write(tmp_path, name, content)
    before = _counts()
    with pytest.raises(CommandError) as caught:
        call_command("load_areas", str(path), "--commit", "--type", "district")
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message
    assert len(message) < 400
    assert _counts() == before


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No such file"):
        call_command("load_areas", str(tmp_path / "nowhere.geojson"))
    with pytest.raises(CommandError, match="is a directory"):
        call_command("load_areas", str(tmp_path))


def _run_cli(path: Path, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QURB_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "qurb.cli", "load-areas", str(path)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )


@pytest.mark.parametrize("name", ["binary", "deep-nesting", "directory"])
def test_command_line_exits_1_without_traceback(tmp_path: Path, name: str) -> None:
    path = tmp_path if name == "directory" else _write(tmp_path, name, MALFORMED[name][0])
    result = _run_cli(path, tmp_path / "data")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    # The last line is the error (a library may log a line of its own before it).
    assert result.stderr.strip().splitlines()[-1].startswith("CommandError:")
