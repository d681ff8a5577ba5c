"""The table of labelled tiles every learning stage starts from, from either source: the tiles
of a zoom level (the cells table gives position, shard, country, climate) or a labelled folder
(``tiles.csv``). One row per tile: ``tile``, ``image``, ``mask``, ``longitude``, ``latitude``,
``shard``, ``country``, ``climate``, ``cell_id``, ``zoom``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from minescan.cells import read_cells
from minescan.ml.folder import read_tiles_table


def tile_table_from_zoom(
    cells: str | Path, statuses: Sequence[str | Path], tile_dirs: Sequence[str | Path]
) -> pd.DataFrame:
    """The tiles of a zoom level (status ``ok``) with their cell's position and metadata."""
    table = read_cells(cells)
    frames = []
    for status, folder in zip(statuses, tile_dirs, strict=True):
        frame = pd.read_csv(status)
        frame = frame[frame["status"] == "ok"]
        frame = frame.assign(image=[str(Path(folder) / t) for t in frame["tile"]])
        frames.append(frame[["cell_id", "image"]])
    tiles = pd.concat(frames, ignore_index=True).merge(table, on="cell_id", how="left")
    return pd.DataFrame(
        {
            "tile": tiles["cell_id"],
            "image": tiles["image"],
            "mask": None,
            "longitude": tiles["centroid_lon"],
            "latitude": tiles["centroid_lat"],
            "shard": tiles["shard"].astype(str),
            "country": tiles.get("country"),
            "climate": tiles.get("climate"),
            "cell_id": tiles["cell_id"],
            "zoom": tiles["zoom"],
        }
    )


def tile_table_from_folder(folder: str | Path) -> pd.DataFrame:
    """The tiles of a labelled folder (``tiles.csv``; paths inside the folder)."""
    table = read_tiles_table(folder)
    return pd.DataFrame(
        {
            "tile": table["tile"],
            "image": table["image_file"].astype(str),
            "mask": table["mask_file"].astype(str),
            "longitude": table["longitude"],
            "latitude": table["latitude"],
            "shard": table["shard"].str.strip().replace("", "all") if "shard" in table else "all",
            "country": table["country"].replace("", None) if "country" in table else None,
            "climate": table["climate"].replace("", None) if "climate" in table else None,
            "cell_id": table["tile"],
            "zoom": None,
        }
    ).reset_index(drop=True)  # the table's index numbers its lines, blank ones skipped
