"""Labelled tiles for segmentation: checked masks, the detection stage's splits, pixels in memory.

Tiles come from the tables the detection stage builds (a zoom level's tiles with their ``_mine``
band, or a folder in the layout of ``brazil_tailings``) and get the detection stage's spatial
splits and folds (same functions, same options: with the same seed a tile lands in the same
split in both stages, so their figures compare). Masks are checked before anything is trained
or written: same shape, grid and CRS as the image, values 0 and 1 only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import rasterio
from rasterio.errors import RasterioError

from minescan.errors import MinescanInputError
from minescan.ml.channels import Scaling, channel_stack, resolve_channels
from minescan.ml.labels import mine_regions
from minescan.ml.splits import assign_splits, spatial_groups
from minescan.ml.tiles import pixel_area_km2, read_image
from minescan.pixelmodels.features import Feature

LOG = logging.getLogger(__name__)


def check_mask(image: str | Path, mask: str | Path) -> None:
    """A separate mask must lie on its image's grid and hold only 0 and 1."""
    try:
        with rasterio.open(image) as img, rasterio.open(mask) as msk:
            if (msk.height, msk.width) != (img.height, img.width):
                raise MinescanInputError(
                    mask,
                    f"mask is {msk.height} x {msk.width} px, its image {image} "
                    f"{img.height} x {img.width}",
                    "export the mask on the image's grid",
                )
            if msk.crs != img.crs:
                raise MinescanInputError(
                    mask,
                    f"mask CRS {msk.crs} differs from its image's {img.crs} ({image})",
                    "reproject the mask onto the image's grid",
                )
            if not msk.transform.almost_equals(img.transform):
                raise MinescanInputError(
                    mask,
                    f"mask grid {tuple(msk.transform)[:6]} differs from its image's "
                    f"{tuple(img.transform)[:6]}",
                    "export the mask on the image's grid",
                )
            values = np.unique(msk.read(1))
    except RasterioError as error:
        raise MinescanInputError(mask, f"cannot be read as a raster ({error})") from error
    other = [v for v in values.tolist() if v not in (0, 1)]
    if other:
        raise MinescanInputError(
            mask,
            f"mask holds values {other[:5]} besides 0 and 1",
            "write 1 for the labelled object and 0 elsewhere",
        )


def labelled_tiles(
    tiles: pd.DataFrame,
    *,
    min_object_pixels: int,
    split_by: str | None = None,
    block_km: float = 0.0,
    folds: int = 2,
    test_fraction: float = 0.0,
    seed: int = 0,
) -> pd.DataFrame:
    """``tiles`` with valid pixels, their mine pixels, objects, area and (with ``split_by``)
    the detection stage's split and fold."""
    if tiles.empty:
        raise MinescanInputError("footprints", "no tiles", "build the tiles or check the folder")
    rows = []
    for record in tiles.to_dict("records"):
        mask = record.get("mask") if isinstance(record.get("mask"), str) else None
        if mask:
            check_mask(record["image"], mask)
        image = read_image(record["image"], mask)
        if not image.valid.any():
            LOG.warning("%s: no valid pixels; skipped", record["image"])
            continue
        rows.append(
            {
                **record,
                "height": image.shape[0],
                "width": image.shape[1],
                "mine_pixels": int((image.mine & image.valid).sum()),
                "objects": len(mine_regions(image.mine & image.valid, min_object_pixels)),
                "area_km2": float(image.valid.sum() * pixel_area_km2(image)),
            }
        )
    table = pd.DataFrame(rows)
    if table.empty or table["mine_pixels"].sum() == 0:
        raise MinescanInputError(
            "footprints", "no tile has mine pixels", "use a zoom level or folder with mines"
        )
    if split_by:
        table["group"] = spatial_groups(table, split_by, block_km)
        table["split"], table["fold"] = assign_splits(table["group"], folds, test_fraction, seed)
    return add_places(table)


def add_places(table: pd.DataFrame) -> pd.DataFrame:
    """Country and climate from the tile centre where the tiles carry none (labelled folders)."""
    from minescan.grid.ancillary import climate_class, country_iso3

    lon, lat = table["longitude"].to_numpy(float), table["latitude"].to_numpy(float)
    for column, lookup in (("country", country_iso3), ("climate", climate_class)):
        if column not in table or table[column].isna().all():
            table[column] = lookup(lon, lat)
    return table


@dataclass
class TilePixels:
    """One tile as the network sees it: (channel, row, col) uint8 (0 = no data), mask, grid."""

    tile: str
    pixels: np.ndarray
    mine: np.ndarray
    valid: np.ndarray
    transform: object
    crs: object


def resolve(channels: Sequence[str], first_image: str | Path) -> list[Feature]:
    return resolve_channels(channels, read_image(first_image, need_mine=False).bands, "channels")


def fit_scaling(
    table: pd.DataFrame, features: Sequence[Feature], percentiles: Sequence[float], seed: int
) -> Scaling:
    """The detection stage's uint8 scaling, fitted on the training tiles only."""
    stacks = (
        (channel_stack(img.data, img.bands, features), img.valid)
        for img in (_read(r) for r in table.to_dict("records"))
    )
    return Scaling.fit(stacks, [f.name for f in features], percentiles, seed)


def _read(record: dict):
    mask = record.get("mask")
    return read_image(record["image"], mask if isinstance(mask, str) else None)


def load_pixels(
    table: pd.DataFrame, features: Sequence[Feature], scaling: Scaling
) -> list[TilePixels]:
    """Every tile of ``table`` scaled to the network's input."""
    out = []
    for record in table.to_dict("records"):
        image = _read(record)
        scaled = scaling.apply(channel_stack(image.data, image.bands, features), image.valid)
        out.append(
            TilePixels(
                str(record["tile"]),
                np.ascontiguousarray(np.moveaxis(scaled, -1, 0)),
                image.mine & image.valid,
                image.valid,
                image.transform,
                image.crs,
            )
        )
    return out
