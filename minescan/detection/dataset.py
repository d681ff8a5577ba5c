"""YOLO datasets from labelled tiles: minescan tiles of a zoom level or any labelled folder.

Two sources, one table and one dataset:

- the tiles of a zoom level (``_mine`` band inside each tile; cells table for position,
  country, climate and shard), and
- a folder in the layout of ``brazil_tailings`` (``tiles.csv`` with ``tile``, ``image``,
  ``mask``, ``longitude``, ``latitude``; ``images/*.tif`` with band descriptions; ``masks/*.tif``
  with 1 = labelled object on the image's grid).

Both become a table of tiles (``minescan.ml.tile_tables``), which ``build_dataset`` turns into the
ultralytics layout: ``images/<tile>.tif`` (uint8, one channel per configured band or index;
three channels as one colour page, any other number as one page per channel, the form
ultralytics reads with ``channels: N``), ``labels/<tile>.txt`` (boxes, empty for tiles without
mine), ``polygons/<tile>.txt`` (the regions' outlines), list files per split and fold, and a
dataset yaml for the final model and each fold.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pandas as pd
import yaml

from minescan.atomic import atomic_path
from minescan.errors import MinescanInputError
from minescan.ml.background import background_tiles
from minescan.ml.boxes import windows
from minescan.ml.channels import Scaling, channel_stack, resolve_channels
from minescan.ml.labels import mine_regions, yolo_boxes, yolo_polygons
from minescan.ml.splits import assign_splits, spatial_groups
from minescan.ml.tiles import pixel_area_km2, read_image
from minescan.outputs import write_csv, write_json, write_text

LOG = logging.getLogger(__name__)
CLASS_NAMES = {0: "mine"}


def chip_offsets(shape: tuple[int, int], chip_px: int) -> list[tuple[int, int]]:
    """Top-left corners of the chips of an image (one chip when it fits)."""
    return [(y, x) for y in windows(shape[0], chip_px, 0) for x in windows(shape[1], chip_px, 0)]


def write_image(path: str | Path, image: np.ndarray) -> None:
    """A (row, col, channel) uint8 image as TIFF: one colour page for 3 channels, else one page
    per channel (``cv2.imwritemulti``), which ultralytics reads with ``channels: N``."""
    with atomic_path(path) as tmp:
        if image.shape[2] in (1, 3):
            ok = cv2.imwrite(str(tmp), image if image.shape[2] == 3 else image[..., 0])
        else:
            ok = cv2.imwritemulti(str(tmp), [image[..., i] for i in range(image.shape[2])])
        if not ok:
            raise OSError(f"OpenCV could not write {path}")


def negative_chips(
    folder: str | Path, features: Sequence, scaling: Scaling, chip_px: int, out: Path, folds: int
) -> list[dict]:
    """Mine-free training chips (empty labels) cut from the real scenes of ``folder`` (read as
    ``background.background_tiles`` reads them), scaled as the tiles are; they join the last
    training fold, never the first, which validates the final model."""
    bands = sorted({b for f in features for b in f.bands})
    rows = []
    for tile_id, image in background_tiles(folder, bands, chip_px):
        if image.valid.mean() < 0.5:
            continue
        name = f"negative_{tile_id}"
        pixels = scaling.apply(channel_stack(image.data, image.bands, features), image.valid)
        write_image(out / "images" / f"{name}.tif", pixels)
        write_text("", out / "labels" / f"{name}.txt")
        write_text("", out / "polygons" / f"{name}.txt")
        rows.append(
            {
                "tile": name,
                "split": "train",
                "fold": int(folds) - 1,
                "path": f"images/{name}.tif",
                "objects": 0,
            }
        )
    if not rows:
        raise MinescanInputError(
            folder, "no mine-free scene tile with data", "give a folder of real mine-free scenes"
        )
    LOG.info("%d mine-free training chips from %s", len(rows), folder)
    return rows


def _dataset_yaml(train: list[str], val: str, test: str | None, channels: int) -> str:
    record: dict[str, Any] = {
        "train": train if len(train) > 1 else train[0],
        "val": val,
        "nc": 1,
        "names": CLASS_NAMES,
        "channels": channels,
    }
    if test:
        record["test"] = test
    return yaml.safe_dump(record, sort_keys=False)


def build_dataset(
    *,
    tiles: pd.DataFrame,
    out_dir: str | Path,
    table_out: str | Path,
    scaling_out: str | Path,
    summary_out: str | Path,
    channels: Sequence[str],
    min_object_pixels: int,
    split_by: str,
    block_km: float,
    folds: int,
    test_fraction: float,
    seed: int,
    percentiles: Sequence[float],
    chip_px: int,
    provenance: dict,
    name: str = "dataset",
    per_tile_scaling: bool = False,
    negatives: str | Path | None = None,
) -> pd.DataFrame:
    """The ultralytics dataset of ``tiles``; returns the tile table with splits and counts.

    Tiles larger than ``chip_px`` (the detector's image size) are cut into chips of that size
    (the last row and column shifted back inside the tile), so that the detector trains on
    pixels at their own size, as it sees them in the prediction windows; a region cut by a
    chip border gets a box in each chip.
    """
    out = Path(out_dir)
    if tiles.empty:
        raise MinescanInputError(name, "no tiles", "build the tiles first or check the folder")
    rows, features = [], None
    for record in tiles.to_dict("records"):
        image = read_image(record["image"], record["mask"])
        if features is None:
            features = resolve_channels(channels, image.bands, "detection.channels")
        if not image.valid.any():
            LOG.warning("%s: no valid pixels; skipped", record["image"])
            continue
        regions = mine_regions(image.mine & image.valid, min_object_pixels)
        height, width = image.shape
        rows.append(
            {
                **record,
                "width": width,
                "height": height,
                "objects": len(regions),
                "mine_pixels": int(image.mine.sum()),
                "valid_fraction": float(image.valid.mean()),
                "area_km2": float(image.valid.sum() * pixel_area_km2(image)),
            }
        )
    table = pd.DataFrame(rows)
    if table.empty:
        raise MinescanInputError(name, "no tile has valid pixels", "check the imagery")
    if table["objects"].sum() == 0:
        raise MinescanInputError(
            name,
            f"no tile has a mine region of at least {min_object_pixels} pixels",
            "lower detection.min_object_pixels, or use a zoom level with positive tiles",
        )
    table["group"] = spatial_groups(table, split_by, block_km)
    table["split"], table["fold"] = assign_splits(table["group"], folds, test_fraction, seed)

    names = [f.name for f in features]
    scaling = Scaling.fit(
        (
            (channel_stack(img.data, img.bands, features), img.valid)
            for img in (
                read_image(r["image"], r["mask"])
                for _, r in table[table.split == "train"].iterrows()
            )
        ),
        names,
        percentiles,
        seed,
        per_tile_scaling,
    )
    chips = []
    for record in table.to_dict("records"):
        image = read_image(record["image"], record["mask"])
        pixels = scaling.apply(channel_stack(image.data, image.bands, features), image.valid)
        for y, x in chip_offsets(image.shape, chip_px):
            name = (
                record["tile"]
                if image.shape[0] <= chip_px and image.shape[1] <= chip_px
                else (f"{record['tile']}_r{y}_c{x}")
            )
            window = (slice(y, y + chip_px), slice(x, x + chip_px))
            valid = image.valid[window]
            if not valid.any():
                continue
            regions = mine_regions(image.mine[window] & valid, min_object_pixels)
            height, width = valid.shape
            write_image(out / "images" / f"{name}.tif", pixels[window])
            write_text(
                yolo_boxes(regions, width, height, record["image"]), out / "labels" / f"{name}.txt"
            )
            write_text(yolo_polygons(regions, width, height), out / "polygons" / f"{name}.txt")
            chips.append(
                {
                    "tile": record["tile"],
                    "split": record["split"],
                    "fold": record["fold"],
                    "path": f"images/{name}.tif",
                    "objects": len(regions),
                }
            )
    if negatives:
        chips += negative_chips(negatives, features, scaling, chip_px, out, folds)
    chip_table = pd.DataFrame(chips)
    table["chips"] = table["tile"].map(chip_table.groupby("tile").size()).fillna(0).astype(int)

    def listing(mask: pd.Series, file: str) -> str:
        write_text("".join(f"./{p}\n" for p in chip_table.loc[mask, "path"]), out / file)
        return file

    test = (
        listing(chip_table.split == "test", "test.txt") if (table.split == "test").any() else None
    )
    for fold in range(folds):
        train = listing((chip_table.fold >= 0) & (chip_table.fold != fold), f"fold{fold}_train.txt")
        val = listing(chip_table.fold == fold, f"fold{fold}_val.txt")
        write_text(_dataset_yaml([train], val, None, len(names)), out / f"fold{fold}.yaml")
    # The final model trains on every fold; fold 0 only monitors it (its last epoch is kept).
    everything = listing(chip_table.fold >= 0, "train_all.txt")
    write_text(_dataset_yaml([everything], "fold0_val.txt", test, len(names)), out / "dataset.yaml")
    write_csv(table, table_out)
    scaling.save(
        scaling_out, provenance, features=[f.to_dict() for f in features], bands=list(image.bands)
    )
    counts = chip_table.groupby("split").agg(images=("tile", "size"), objects=("objects", "sum"))
    summary = {
        "tiles": int(len(tiles)),
        "skipped_no_data": int(len(tiles) - len(table)),
        "channels": names,
        "folds": int(folds),
        "splits": {
            str(split): {
                "images": int(r.images),
                "objects": int(r.objects),
                "empty_images": int(
                    ((chip_table.split == split) & (chip_table.objects == 0)).sum()
                ),
                "tiles": int((table.split == split).sum()),
            }
            for split, r in counts.iterrows()
        },
    }
    write_json(summary, summary_out, provenance)
    LOG.info("dataset %s: %s", name, summary["splits"])
    return table
