"""Transfer of a gallery chip model to the other real chips, through the scoring command.

- ``amazon_s2_change``: the presence task (t1 of mining pairs against both chips of the other
  pairs) on B4, B3, B2, leaving out pairs within 0.5 km of a located gallery chip (shared
  places). Those chips are Level-2A surface reflectance, the gallery Level-1C top of
  atmosphere; scored as they are, and with a per-band offset that moves the chips' darkest
  percentile onto the gallery's (path radiance, which Level-2A removes, is roughly additive;
  the offset is estimated from pixels alone, never from labels).
- ``brazil_tailings``: 48 px chips centred on each labelled tailings facility (Level-1C, as
  the gallery) against windows drawn at random from the two real mine-free Level-1C scenes.

    python experiments/chips_gallery/transfer.py --model resources/models/chip_rgb/model.pt \\
        --out results/experiments/chips_gallery/transfer
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import rasterio
from PIL import Image
from scipy import ndimage
from scipy.spatial import cKDTree

from minescan.chips.gallery import GALLERY_SCALE, GRID_COLUMNS, load_gallery
from minescan.chips.scoring import score_folder
from minescan.chips.table import CHIP_BANDS

DATA = Path("../shared/data")
GALLERY = DATA / "chips" / "amw_gallery"
PAIRS = DATA / "chips" / "amazon_s2_change"
TAILINGS = DATA / "tiles" / "brazil_tailings"
SCENES = {
    "virginia": DATA / "sentinel2" / "virginia_l1c" / "s2_{band}.tif",
    "brandenburg": DATA / "sentinel2" / "brandenburg_l1c" / "IMG_DATA" / "T33UUU_20170216T102101_{band}.jp2",
}
RGB = ("B04", "B03", "B02")
SHARED_KM, DARK_PERCENTILE, NEGATIVES_PER_SCENE, SEED = 0.5, 1.0, 300, 0


def km_xy(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return np.column_stack([lon * 111.32 * np.cos(np.radians(lat)), lat * 110.57])


def pairs_folder(out: Path, offsets: dict[str, float] | None) -> Path:
    """The pair folder without shared places; with ``offsets``, B2-B4 shifted by them."""
    table = pd.read_csv(PAIRS / "chips.csv")
    gallery = pd.read_csv(GALLERY / "chips.csv").dropna(subset=["longitude"])
    tree = cKDTree(km_xy(gallery["longitude"].to_numpy(), gallery["latitude"].to_numpy()))
    distance = tree.query(km_xy(table["longitude"].to_numpy(), table["latitude"].to_numpy()))[0]
    kept = table[distance > SHARED_KM]
    folder = out / ("amazon_s2_change_toa_offset" if offsets else "amazon_s2_change_unshared")
    (folder / "images").mkdir(parents=True, exist_ok=True)
    for column in ("t0_path", "t1_path"):
        for relative in kept[column]:
            array = np.load(PAIRS / relative)
            if offsets:
                array = array.astype(np.float32)
                for band, offset in offsets.items():
                    array[..., CHIP_BANDS.index(band)] += offset
                array = np.clip(np.round(array), 0, 32767).astype(np.int16)
            np.save(folder / relative, array)
    kept.to_csv(folder / "chips.csv", index=False)
    print(f"{folder.name}: {len(kept)} of {len(table)} pairs (no gallery chip within {SHARED_KM} km)")
    return folder


def dark_offsets() -> dict[str, float]:
    """Per band, the gallery's darkest-percentile DN minus the pair chips' (both unlabelled)."""
    gallery = load_gallery(GALLERY)
    arrays = [np.load(PAIRS / p) for p in pd.read_csv(PAIRS / "chips.csv")["t1_path"]]
    pairs = np.stack(arrays).astype(np.float32)
    out = {}
    for band in ("B4", "B3", "B2"):
        g = np.percentile(gallery.data[..., gallery.bands.index(band)], DARK_PERCENTILE)
        p = np.percentile(pairs[..., CHIP_BANDS.index(band)], DARK_PERCENTILE)
        out[band] = float(g - p)
    print("dark-object offsets (DN) added to the Level-2A chips:", out)
    return out


def to_png_cells(chips: list[np.ndarray]) -> np.ndarray:
    """(n, 48, 48, 3) digital numbers in B4, B3, B2 order as one gallery grid image."""
    rows = -(-len(chips) // GRID_COLUMNS)
    grid = np.zeros((rows * 48, GRID_COLUMNS * 48, 3), dtype=np.uint8)
    for k, chip in enumerate(chips):
        r, c = k // GRID_COLUMNS * 48, k % GRID_COLUMNS * 48
        grid[r : r + 48, c : c + 48] = np.clip(chip / GALLERY_SCALE, 0, 1) * 255
    return grid


def tailings_folder(out: Path) -> Path:
    """Tailings facilities (positives) and mine-free scene windows (negatives), gallery layout."""
    rng = np.random.default_rng(SEED)
    positives, rows = [], []
    for tile in pd.read_csv(TAILINGS / "tiles.csv").itertuples():
        with rasterio.open(TAILINGS / tile.image) as src:
            names = list(src.descriptions)
            image = np.stack([src.read(names.index(b) + 1) for b in ("B4", "B3", "B2")], -1)
        with rasterio.open(TAILINGS / tile.mask) as src:
            mask = src.read(1) > 0
        labels, n = ndimage.label(mask)
        largest = 1 + int(np.argmax(ndimage.sum(mask, labels, range(1, n + 1))))
        r, c = (int(round(v)) for v in ndimage.center_of_mass(labels == largest))
        r = min(max(r - 24, 0), image.shape[0] - 48)
        c = min(max(c - 24, 0), image.shape[1] - 48)
        positives.append(image[r : r + 48, c : c + 48].astype(np.float32))
        rows.append({"chip_id": tile.tile, "label": 1, "source": "tailings_facility",
                     "longitude": tile.longitude, "latitude": tile.latitude})
    negatives = []
    for scene, pattern in SCENES.items():
        bands = []
        for band in RGB:
            with rasterio.open(str(pattern).format(band=band)) as src:
                bands.append(src.read(1))
        image = np.stack(bands, -1).astype(np.float32)
        taken = 0
        while taken < NEGATIVES_PER_SCENE:
            r = rng.integers(0, image.shape[0] - 48)
            c = rng.integers(0, image.shape[1] - 48)
            window = image[r : r + 48, c : c + 48]
            if (window > 0).all(axis=-1).mean() < 1.0:
                continue
            negatives.append(window)
            rows.append({"chip_id": f"{scene}_{taken:03d}", "label": 0,
                         "source": f"mine_free_{scene}", "longitude": "", "latitude": ""})
            taken += 1
    folder = out / "tailings_vs_mine_free"
    (folder / "images").mkdir(parents=True, exist_ok=True)
    Image.fromarray(to_png_cells(positives + negatives)).save(folder / "images" / "chips.png")
    table = pd.DataFrame(rows).assign(image="images/chips.png", index=range(len(rows)))
    table.to_csv(folder / "chips.csv", index=False)
    print(f"{folder.name}: {len(positives)} tailings chips, {len(negatives)} mine-free windows")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--bootstrap", type=int, default=500)
    args = parser.parse_args()
    out = Path(args.out)
    shutil.rmtree(out / "data", ignore_errors=True)
    folders = [
        pairs_folder(out / "data", None),
        pairs_folder(out / "data", dark_offsets()),
        tailings_folder(out / "data"),
    ]
    tables = []
    for folder in folders:
        metrics = score_folder(
            model=args.model, folder=folder, out=out / folder.name, bootstrap=args.bootstrap
        )
        tables.append(metrics.assign(folder=folder.name))
    table = pd.concat(tables, ignore_index=True)
    table.to_csv(out / "transfer.csv", index=False)
    shown = ["folder", "n", "positives", "chance_pr_auc", "pr_auc", "roc_auc",
             "sensitivity_at_specificity_0.99", "sensitivity_at_validation_threshold_0.99",
             "specificity_at_validation_threshold_0.99"]
    print(table[[c for c in shown if c in table]].round(3).to_string(index=False))


if __name__ == "__main__":
    main()
