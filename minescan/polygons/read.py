"""Reading a user's mining polygon file (any OGR format or GeoParquet, one layer) and naming
its rows the way a user can find them: feature order from 0, and the GeoPackage fid where the
file has one."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from minescan.errors import MinescanInputError

log = logging.getLogger(__name__)
_SHOWN_ROWS = 5


def _rows(rows: np.ndarray, fids: np.ndarray | None = None, verb: bool = True) -> str:
    """'row 3 (...) is' / 'rows 1, 2 (...) are': the offending rows for messages, counted in
    feature order from 0, with their feature ids (a GeoPackage's fid, from 1) where the file
    has ids of its own."""
    rows = np.asarray(rows, np.int64)
    shown = ", ".join(str(r) for r in rows[:_SHOWN_ROWS])
    more = f" and {len(rows) - _SHOWN_ROWS} more" if len(rows) > _SHOWN_ROWS else ""
    note = "feature order from 0"
    if fids is not None and not np.array_equal(fids[rows], rows):
        ids = ", ".join(str(f) for f in fids[rows][:_SHOWN_ROWS])
        note += f"; fid {ids}"
    single = len(rows) == 1
    text = f"row {shown} ({note})" if single else f"rows {shown}{more} ({note})"
    return f"{text} {'is' if single else 'are'}" if verb else text


def _feature_ids(frame: gpd.GeoDataFrame) -> np.ndarray | None:
    """The file's own feature ids (read as the index by ``read_polygons``), if numbers."""
    index = frame.index
    return index.to_numpy(np.int64) if pd.api.types.is_integer_dtype(index) else None


def read_polygons(
    path: str | Path, layer: str | None = None, key: str = "polygons.path"
) -> gpd.GeoDataFrame:
    """Read any OGR vector format or GeoParquet; raise a clear error if that is impossible.
    ``key`` is the setting that named the file, for the message."""
    path = Path(path)
    if not path.exists():
        raise MinescanInputError(path, "file does not exist", f"check {key}")
    try:
        if path.suffix.lower() in {".parquet", ".geoparquet"}:
            frame = gpd.read_parquet(path)
        else:
            # Feature ids as the index: messages give a GeoPackage's fid beside the row.
            frame = pyogrio.read_dataframe(path, layer=layer, fid_as_index=True)
    except pyogrio.errors.DataLayerError as error:
        raise MinescanInputError(
            path, f"has no layer {layer!r}", f"set polygons.layer to one of {_layers(path)}"
        ) from error
    except Exception as error:  # GDAL, pyarrow and geopandas raise many types
        raise MinescanInputError(
            path,
            f"cannot be read as polygons ({type(error).__name__}: {error})",
            "give a GeoPackage, Shapefile, GeoJSON, FlatGeobuf or GeoParquet file",
        ) from error
    if not isinstance(frame, gpd.GeoDataFrame):
        # A CSV of coordinates reads as a plain table: points are no mining areas.
        raise MinescanInputError(
            path,
            f"is a table without geometries (columns {list(frame.columns)[:8]})",
            "give the mining areas as polygons: GeoPackage, Shapefile, GeoJSON, FlatGeobuf "
            "or GeoParquet (a lon/lat table has points, not areas)",
        )
    if len(frame) == 0:
        raise MinescanInputError(
            path, "holds no features", "point polygons.path at mining polygons"
        )
    if frame.crs is None:
        raise MinescanInputError(
            path,
            "has no coordinate reference system",
            "assign one, e.g. `ogr2ogr -a_srs EPSG:4326 fixed.gpkg input.gpkg`",
        )
    return frame


def _layers(path: Path) -> list[str]:
    try:
        return [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception:  # the file's own error was reported already; any listing failure here
        return []


def detect_schema(columns: list[str]) -> str:
    if {"ISO3_CODE", "COUNTRY_NAME"} <= set(columns):
        return "maus_v2"
    if "ISO3_CODE" in columns:
        return "maus_v1"
    if "ISO3" in columns:
        return "tang"
    return "generic"
