"""Fuzz of the readers of user tables (chips.csv, tiles.csv, polygon attributes): whatever a
user writes, the reader gives a MinescanInputError or a correct result, never another
exception."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minescan.chips.table import read_chips_table
from minescan.errors import MinescanInputError
from minescan.ml.folder import FOLDER_COLUMNS, read_tiles_table
from minescan.polygons.clean import clean_polygons
from minescan.tables import editor_line

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
CHIPS_COLUMNS = ["sample_id", "label", "category", "longitude", "latitude", "t0_path", "t1_path"]
# Cells a person might type, and some nobody should.
CELLS = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "1",
            "1.0",
            "-0",
            "2",
            "nan",
            "NA",
            "inf",
            "-91",
            "181",
            "45.5",
            "1e3",
            "images/a.npy",
            "../a.npy",
            "/etc/passwd",
            "images/../../x",
            "é",
            '"',
            ",",
            "x\ny",
        ]
    ),
    st.text(max_size=12),
    st.floats(allow_nan=True).map(str),
)


def _csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _table(columns: list[str]):
    optional = st.lists(st.sampled_from(columns), unique=True).map(
        lambda drop: [c for c in columns if c not in drop[:1]]  # sometimes one column missing
    )
    return optional.flatmap(
        lambda header: st.tuples(
            st.just(header),
            st.lists(st.lists(CELLS, min_size=len(header), max_size=len(header)), max_size=6),
        )
    )


def _inside(folder: Path, path: Path) -> bool:
    return Path(os.path.normpath(path)).is_relative_to(Path(os.path.normpath(folder.absolute())))


@pytest.mark.slow
@FUZZ
@given(table=_table(CHIPS_COLUMNS), raw=st.none() | st.binary(max_size=64))
def test_chips_table_reader(table, raw):
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        target = folder / "chips.csv"
        target.write_bytes(raw) if raw is not None else target.write_text(_csv(*table))
        try:
            result = read_chips_table(folder)
        except MinescanInputError as error:
            assert str(error).startswith(str(target)) or str(folder) in str(error)
            return
        assert set(result["label"]) <= {0, 1}
        assert result["longitude"].between(-180, 180).all()
        assert result["latitude"].between(-90, 90).all()
        assert result["sample_id"].is_unique and (result["sample_id"] != "").all()
        assert all(_inside(folder, p) for t in ("t0", "t1") for p in result[f"{t}_file"])


@pytest.mark.slow
@FUZZ
@given(table=_table(list(FOLDER_COLUMNS)), raw=st.none() | st.binary(max_size=64))
def test_tiles_table_reader(table, raw):
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "images").mkdir()
        (folder / "images" / "a.npy").write_bytes(b"")  # one file that exists
        target = folder / "tiles.csv"
        target.write_bytes(raw) if raw is not None else target.write_text(_csv(*table))
        try:
            result = read_tiles_table(folder)
        except MinescanInputError as error:
            assert str(folder) in str(error)
            return
        assert np.isfinite(result[["longitude", "latitude"]].to_numpy()).all()
        assert result["tile"].is_unique
        for column in ("image_file", "mask_file"):
            assert all(_inside(folder, p) and p.is_file() for p in result[column])


ATTRIBUTES = st.one_of(
    st.none(), st.integers(-5, 5), st.floats(allow_nan=True), st.text(max_size=5)
)


@FUZZ
@given(
    codes=st.lists(ATTRIBUTES, min_size=1, max_size=4),
    areas=st.lists(ATTRIBUTES, min_size=4, max_size=4),
    schema=st.sampled_from(["auto", "maus_v1", "tang", "generic", "maus_v2"]),
    sizes=st.lists(st.sampled_from([0.0, 1e-9, 0.001, 0.01]), min_size=4, max_size=4),
)
@pytest.mark.slow
def test_polygon_attributes(codes, areas, schema, sizes):
    n = len(codes)
    geometries = [
        shapely.box(117 + i, -0.3, 117 + i + s, -0.3 + s) for i, s in enumerate(sizes[:n])
    ]
    frame = gpd.GeoDataFrame(
        {"ISO3_CODE": codes, "AREA": areas[:n], "ISO3": codes}, geometry=geometries, crs=4326
    )
    try:
        clean, report = clean_polygons(frame, "fuzz.gpkg", schema)
    except MinescanInputError as error:
        assert str(error).startswith("fuzz.gpkg")
        return
    assert len(clean) >= 1 and (clean["area_km2"] > 0).all()
    countries = clean["country"].dropna()
    assert countries.str.fullmatch(r"[A-Z]{3}").all()


def test_editor_lines_count_the_header():
    assert editor_line(0) == 2
