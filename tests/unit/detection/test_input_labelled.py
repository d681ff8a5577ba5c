"""Labelled tile folders and imagery folders a user gets wrong, named before any job; and
detection.channels null on a labelled folder taking the ranking's channels it can make."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import rasterio
from fixtures.detection import labelled_folder
from rasterio.transform import from_origin

from minescan.detection.check import check_detection_inputs
from minescan.errors import MinescanInputError
from minescan.imagery.check import check_imagery_inputs
from minescan.ml.channels import ranked_channels_for
from minescan.ml.folder import check_labelled_folder
from minescan.ml.tile_tables import tile_table_from_folder


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    return labelled_folder(tmp_path_factory.mktemp("labelled") / "tiles", count=4, size=32)


@pytest.fixture
def folder(pristine, tmp_path):
    import shutil

    return shutil.copytree(pristine, tmp_path / "tiles")


def _edit(folder, row: int, **values) -> None:
    table = pd.read_csv(folder / "tiles.csv", dtype=str, keep_default_na=False)
    for column, value in values.items():
        table.loc[row, column] = value
    table.to_csv(folder / "tiles.csv", index=False)


def _refused(folder, message: str) -> MinescanInputError:
    with pytest.raises(MinescanInputError, match=message) as error:
        check_labelled_folder(folder)
    return error.value


def test_the_folder_passes_and_gives_its_bands(folder):
    assert check_labelled_folder(folder) == ("B2", "B3", "B4")


@pytest.mark.parametrize(("column", "value"), [("latitude", ""), ("longitude", "n/a")])
def test_a_blank_coordinate_is_refused_with_its_line(folder, column, value):
    _edit(folder, 2, **{column: value})
    _refused(folder, f"tiles.csv: line 4: {column} '{value}' is not a number")
    with pytest.raises(MinescanInputError, match="line 4"):
        tile_table_from_folder(folder)  # the job's reader says the same


@pytest.mark.parametrize("path", ["../../etc/passwd", "/etc/hostname", "masks/../../x.tif"])
def test_a_path_outside_the_folder_is_refused(folder, path):
    _edit(folder, 1, mask=path)
    _refused(folder, f"line 3: mask '{path}' points outside the folder")


def test_missing_and_duplicate_tiles_name_their_line(folder):
    (folder / "images" / "tile_003.tif").unlink()
    _refused(folder, "line 5: image images/tile_003.tif not found")
    _edit(folder, 3, tile="tile_000")
    _refused(folder, "line 5: tile 'tile_000' appears on an earlier line")


def test_a_mask_off_its_image_grid_is_named(folder):
    profile = {"driver": "GTiff", "width": 16, "height": 16, "count": 1, "dtype": "uint8"}
    with rasterio.open(folder / "masks" / "tile_001.tif", "w", crs="EPSG:4326", **profile) as dst:
        dst.write(np.zeros((1, 16, 16), np.uint8))
    _refused(folder, r"tile_001.tif: mask \(16, 16\) .* is not on its image's grid \(32, 32\)")


def test_an_image_without_crs_or_band_names_or_readable_pixels_is_named(folder):
    profile = {"driver": "GTiff", "width": 32, "height": 32, "count": 3, "dtype": "uint16"}
    image = folder / "images" / "tile_002.tif"
    with rasterio.open(image, "w", transform=from_origin(0, 0, 1, 1), **profile) as dst:
        dst.write(np.ones((3, 32, 32), np.uint16))
    _refused(folder, "tile_002.tif: has no CRS")
    with rasterio.open(image, "w", crs="EPSG:4326", **profile) as dst:
        dst.write(np.ones((3, 32, 32), np.uint16))
    _refused(folder, "tile_002.tif: bands have no descriptions")
    image.write_bytes(b"II*\x00garbage")
    _refused(folder, "tile_002.tif: cannot be read as a raster")


def test_configured_channels_are_checked_against_the_folder_bands(folder):
    detection = {"enabled": True, "labelled": {"mine": str(folder)}, "channels": ["B4", "B11"]}
    with pytest.raises(
        MinescanInputError, match=r"detection.labelled.mine .*unknown channel 'B11'"
    ):
        check_detection_inputs(detection)
    check_detection_inputs({**detection, "channels": ["B4", "B3", "B2"]})
    check_detection_inputs({**detection, "channels": None})


def test_null_channels_take_the_best_ranked_ones_the_folder_can_make(tmp_path):
    ranking = tmp_path / "channels.json"
    record = {
        "detection_channels": [{"name": "B11"}, {"name": "NDVI"}, {"name": "B4"}],
        "ranking": [{"feature": f} for f in ["B11", "NDVI", "B4", "ND_B2_B3", "B12", "B3", "B2"]],
    }
    ranking.write_text(json.dumps(record))
    assert ranked_channels_for(ranking, ("B2", "B3", "B4"), "x") == ["B4", "ND_B2_B3", "B3"]
    assert ranked_channels_for(ranking, ("B4", "B8", "B11"), "x") == ["B11", "NDVI", "B4"]
    with pytest.raises(MinescanInputError, match="set detection.channels"):
        ranked_channels_for(ranking, ("B5",), "x")


def _imagery(path):
    return {"backend": "local", "bands": ["B2", "B3", "B4"], "local": {"path": path}}


def test_a_missing_or_empty_local_imagery_folder_stops_before_any_job(tmp_path):
    with pytest.raises(MinescanInputError, match="imagery.local.path is not set"):
        check_imagery_inputs(_imagery(None))
    with pytest.raises(
        MinescanInputError, match=r"imagery.local.path /no/s2 is not a folder \(it does not"
    ):
        check_imagery_inputs(_imagery("/no/s2"))
    (tmp_path / "file.tif").write_bytes(b"")
    with pytest.raises(MinescanInputError, match=r"is not a folder \(it is a file\)"):
        check_imagery_inputs(_imagery(str(tmp_path / "file.tif")))
    (tmp_path / "empty").mkdir()
    with pytest.raises(MinescanInputError, match=r"no rasters matching .*\(imagery.local.path\)"):
        check_imagery_inputs(_imagery(str(tmp_path / "empty")))
    check_imagery_inputs({**_imagery(None), "backend": "synthetic"})  # not read: not checked


def test_a_local_folder_without_the_configured_bands_is_named(folder):
    check_imagery_inputs(_imagery(str(folder / "images")))
    with pytest.raises(MinescanInputError, match=r"missing everywhere: \['B8'\]"):
        check_imagery_inputs({**_imagery(str(folder / "images")), "bands": ["B4", "B8"]})


def test_a_missing_background_folder_is_named(folder):
    detection = {"enabled": True, "labelled": {}, "channels": None, "background": "/no/scenes"}
    with pytest.raises(MinescanInputError, match="detection.background /no/scenes is not a folder"):
        check_detection_inputs(detection)


def _blank_line_after(table, line: int) -> None:
    lines = table.read_text().splitlines()
    lines.insert(line, "")
    table.write_text("\n".join(lines) + "\n\n")


def test_a_blank_line_does_not_shift_the_line_named(folder):
    _edit(folder, 2, latitude="")  # line 4 as written
    _blank_line_after(folder / "tiles.csv", 2)  # now line 5 in an editor
    _refused(folder, "tiles.csv: line 5: latitude '' is not a number")


def test_a_folder_with_blank_lines_reads_every_tile_once(folder):
    _blank_line_after(folder / "tiles.csv", 3)
    assert check_labelled_folder(folder) == ("B2", "B3", "B4")
    table = tile_table_from_folder(folder)
    assert table.index.tolist() == [0, 1, 2, 3]
