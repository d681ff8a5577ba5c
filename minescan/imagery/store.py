"""The tile store: every fetched and validated tile, kept outside Snakemake's outputs.

Snakemake deletes a job's outputs before it reruns it and after it fails, so a shard killed
after 200 of 256 cells would fetch all 256 again. Tiles are therefore written to a store first,
``<root>/<request key>/<cell_id>.tif`` with the cell's status row beside it as JSON, and
hard-linked into the shard's output folder. A rerun takes every tile the store holds that still
validates and fetches only the rest. The key hashes what the pixels depend on (the tile request,
the pixel size and minescan's version), so a changed request never reuses a tile.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.errors import RasterioError

from minescan import __version__
from minescan.cells import Cell
from minescan.imagery.bands import MINE_BAND
from minescan.outputs import PROVENANCE_KEY, write_text


def request_key(request: Mapping[str, Any], pixel_size: float) -> str:
    """A short hash of what a tile's pixels depend on."""
    text = json.dumps(
        {"request": request, "pixel_size_m": float(pixel_size), "version": __version__},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def tile_problem(
    path: str | Path, cell: Cell, bands: tuple[str, ...], request: Mapping[str, Any]
) -> str | None:
    """Why the tile at ``path`` cannot be used for ``cell``, or None when it can.

    It must open and decode, hold ``bands`` and the mine band in order, lie on the cell's CRS,
    size and pixel, record the same request in its provenance, and be a valid Cloud-Optimized
    GeoTIFF.
    """
    from rio_cogeo.cogeo import cog_validate

    try:
        with rasterio.open(path) as src:
            if tuple(src.descriptions) != (*bands, MINE_BAND):
                return f"bands {src.descriptions} are not {(*bands, MINE_BAND)}"
            if src.crs is None or src.crs.to_epsg() != cell.epsg:
                return f"CRS {src.crs} is not EPSG:{cell.epsg}"
            if (src.height, src.width) != cell.shape:
                return f"size {src.height}x{src.width} is not {cell.shape[0]}x{cell.shape[1]}"
            if not np.allclose(src.transform[:6], cell.transform[:6]):
                return f"grid {tuple(src.transform)[:6]} is not the cell's"
            recorded = json.loads(src.tags().get(PROVENANCE_KEY, "{}"))
            src.read()  # every block decodes: a truncated file fails here, not downstream
    except (RasterioError, json.JSONDecodeError) as error:
        return f"does not open ({error})"
    if recorded.get("params", {}).get("imagery") != json.loads(json.dumps(request)):
        return "its provenance records another imagery request"
    valid, errors, _ = cog_validate(str(path), quiet=True)
    return None if valid else f"not a valid COG ({'; '.join(errors)})"


class TileStore:
    """Tiles and status rows of one request and pixel size, under ``root``."""

    def __init__(self, root: str | Path, request: Mapping[str, Any], pixel_size: float) -> None:
        self.request = dict(request)
        self.folder = Path(root) / request_key(request, pixel_size)
        self.folder.mkdir(parents=True, exist_ok=True)

    def tile(self, cell_id: str) -> Path:
        return self.folder / f"{cell_id}.tif"

    def _row_path(self, cell_id: str) -> Path:
        return self.folder / f"{cell_id}.json"

    def cached_row(self, cell: Cell, bands: tuple[str, ...]) -> dict[str, Any] | None:
        """The cell's status row when the store has its outcome: a tile that validates, or a
        recorded lack of imagery (not covered, cloudy, no data). Failures are not kept."""
        path = self._row_path(cell.cell_id)
        if not path.exists():
            return None
        row = json.loads(path.read_text())
        if row["status"] != "ok":
            return row
        tile = self.tile(cell.cell_id)
        if not tile.exists() or tile_problem(tile, cell, bands, self.request) is not None:
            return None
        return row

    def keep(self, row: Mapping[str, Any]) -> None:
        """Record a cell's outcome (after its tile, if any, is in the store)."""
        write_text(
            json.dumps(dict(row), sort_keys=True, default=str), self._row_path(row["cell_id"])
        )

    def link(self, cell_id: str, out_dir: Path) -> Path:
        """The stored tile in ``out_dir``, hard-linked (copied where links are not possible)."""
        target = out_dir / f"{cell_id}.tif"
        target.unlink(missing_ok=True)
        try:
            os.link(self.tile(cell_id), target)
        except OSError:
            shutil.copy2(self.tile(cell_id), target)
        return target
