"""A labelled tile folder (the layout of ``brazil_tailings``) read as a user may have written it.

``tiles.csv`` names one tile per line (``tile``, ``image``, ``mask``, ``longitude``,
``latitude``; optional ``shard``, ``country``, ``climate``); images and masks must lie inside
the folder. ``check_labelled_folder`` runs before any job and opens every file's header:
readable, georeferenced, bands named, the mask on its image's grid.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import rasterio
from rasterio.errors import RasterioError

from minescan.errors import MinescanInputError
from minescan.imagery.bands import MINE_BAND
from minescan.tables import inside, lines, numbers, read_table, unique_names

FOLDER_COLUMNS = ("tile", "image", "mask", "longitude", "latitude")
LAYOUT = "labelled tiles (tiles.csv, images/, masks/, see tiles/brazil_tailings)"


def read_tiles_table(folder: str | Path) -> pd.DataFrame:
    """``tiles.csv`` with unique ``tile`` names, float coordinates and the files' paths
    inside the folder in ``image_file``/``mask_file``; a bad cell names its line."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MinescanInputError(folder, "labelled folder not found", f"give a folder of {LAYOUT}")
    path = folder / "tiles.csv"
    table = read_table(path, FOLDER_COLUMNS, LAYOUT)
    names = unique_names(table, "tile", path, "give every tile its own name")
    degrees = "give the tile centre in degrees (EPSG:4326) on every line"
    table = table.assign(
        tile=names,
        longitude=numbers(table, "longitude", path, -180, 180, degrees),
        latitude=numbers(table, "latitude", path, -90, 90, degrees),
    )
    for column in ("image", "mask"):
        files = [
            inside(folder, value, path, index, column) for index, value in table[column].items()
        ]
        absent = [
            index for index, file in zip(table.index, files, strict=True) if not file.is_file()
        ]
        if absent:
            raise MinescanInputError(
                path,
                f"{lines(absent)}: {column} {table[column][absent[0]]} not found",
                "paths are relative to the folder of tiles.csv",
            )
        table[f"{column}_file"] = files
    return table


def _header(file: Path):
    try:
        with rasterio.open(file) as src:
            return tuple(src.descriptions), src.crs, (src.height, src.width)
    except RasterioError as error:
        raise MinescanInputError(
            file, f"cannot be read as a raster ({error})", "replace the corrupt file"
        ) from None


def folder_bands(folder: str | Path) -> tuple[str, ...]:
    """The bands of a labelled folder's images (the first image's; the check makes them one)."""
    first = read_tiles_table(folder)["image_file"].iloc[0]
    return tuple(n for n in _header(first)[0] if n not in (None, MINE_BAND))


def check_labelled_folder(folder: str | Path) -> tuple[str, ...]:
    """Before any job: every line's image and mask readable and matching; the images' bands."""
    table = read_tiles_table(folder)
    bands: tuple[str, ...] | None = None
    for _, row in table.iterrows():
        names, crs, shape = _header(row["image_file"])
        if crs is None:
            raise MinescanInputError(
                row["image_file"], "has no CRS", "georeference it (gdal_edit.py -a_srs EPSG:...)"
            )
        if any(n is None for n in names):
            raise MinescanInputError(
                row["image_file"], "bands have no descriptions", "name the bands (B2, B3, ...)"
            )
        names = tuple(n for n in names if n != MINE_BAND)
        if bands is None:
            bands = names
        elif names != bands:
            raise MinescanInputError(
                row["image_file"],
                f"bands {list(names)} differ from the first image's {list(bands)}",
                "give every image of a folder the same bands",
            )
        _, mask_crs, mask_shape = _header(row["mask_file"])
        if mask_shape != shape or (mask_crs is not None and mask_crs != crs):
            raise MinescanInputError(
                row["mask_file"],
                f"mask {mask_shape} in {mask_crs} is not on its image's grid {shape} in {crs}",
                "write each mask on its image's pixel grid",
            )
    return bands or ()


__all__ = [
    "FOLDER_COLUMNS",
    "check_labelled_folder",
    "folder_bands",
    "read_tiles_table",
]
