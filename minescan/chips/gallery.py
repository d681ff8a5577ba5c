"""Single-date labelled chips in the layout of Amazon Mining Watch's training gallery.

A gallery folder holds ``chips.csv`` (one row per chip: ``chip_id``, ``image``, ``index``,
``label`` 1 mining / 0 not, ``source``; optional ``longitude``/``latitude`` (blank where the
chip is not located), ``period_start``/``period_end``, ``clear``) and the PNG grids it names:
chip ``index`` k sits at row k // 32, column k % 32 of ``chip_px`` (48) pixel cells.

Pixels are ``uint8(clip([B4, B3, B2] / 3000, 0, 1) * 255)`` of Level-1C top-of-atmosphere
composites; they are read back to digital numbers (reflectance x 10000, saturated at 3000) so
that every chip model sees one unit whatever folder it reads. The chips come out as
``Chips`` of one date (``t1``): the presence task of the pair layout applies unchanged.

Places: the same place appears in clear and cloudy composites and in several periods, so
splits go by ``place``: located chips by their rounded centre, unlocated ones by their
``source`` with its clear-threshold suffix removed (the clear and cloudy sets of one sampling
share their places).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from minescan.chips.load import Chips
from minescan.errors import MinescanInputError
from minescan.tables import binary_labels, inside, lines, numbers, read_table, unique_names

LOG = logging.getLogger(__name__)
GALLERY_BANDS = ("B4", "B3", "B2")
GALLERY_SCALE = 3000.0  # digital number shown as 255
GRID_COLUMNS = 32
REQUIRED_COLUMNS = ("chip_id", "image", "index", "label", "source")
LAYOUT = "gallery (chips.csv with image and index columns, images/*.png; see chips/amw_gallery)"
PLACE_DEG = 0.01  # about 1 km: chips whose centres round alike are one place
_CLEAR_SUFFIX = re.compile(r"_clear[0-9.]+$")


def is_gallery(folder: str | Path) -> bool:
    """Whether ``folder``'s ``chips.csv`` is in the gallery layout (not the pair layout)."""
    path = Path(folder) / "chips.csv"
    if not path.is_file():
        return False
    with open(path, encoding="utf-8", errors="replace") as handle:
        header = [c.strip() for c in handle.readline().split(",")]
    return "image" in header and "index" in header and "t1_path" not in header


def read_gallery_table(folder: str | Path) -> pd.DataFrame:
    """``chips.csv`` typed, with each image's path inside the folder in ``file``; a bad cell
    names its editor line."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MinescanInputError(folder, "chips folder not found", f"give a folder in the {LAYOUT}")
    path = folder / "chips.csv"
    table = read_table(path, REQUIRED_COLUMNS, LAYOUT)
    ids = unique_names(table, "chip_id", path, "give every chip its own id")
    label = binary_labels(table, "label", path, "label 1: the chip shows mining; 0: it does not")
    index = numbers(table, "index", path, 0, 1e9, "give the chip's position in its image")
    if (index % 1 != 0).any():
        bad = table.index[index % 1 != 0]
        raise MinescanInputError(path, f"{lines(bad)}: index is not a whole number")
    out = table.assign(
        chip_id=ids,
        label=label,
        index=index.astype(int),
        source=table["source"].str.strip(),
        file=[inside(folder, v, path, i, "image") for i, v in table["image"].items()],
    )
    for column, low, high in (("longitude", -180, 180), ("latitude", -90, 90)):
        if column not in table:
            out[column] = np.nan
            continue
        located = table[column].str.strip() != ""
        out[column] = np.nan
        if located.any():
            out.loc[located, column] = numbers(table[located], column, path, low, high)
    half = out["longitude"].isna() != out["latitude"].isna()
    if half.any():
        raise MinescanInputError(
            path,
            f"{lines(out.index[half])}: only one of longitude and latitude is given",
            "give both (the chip's centre in degrees) or leave both blank",
        )
    return out


def _grid(file: Path, chip_px: int, path: Path, rows: pd.DataFrame) -> np.ndarray:
    if not file.is_file():
        raise MinescanInputError(
            path, f"{lines(rows.index[:1])}: image {file.name} not found", "image is relative"
        )
    with Image.open(file) as image:
        if image.mode != "RGB":
            raise MinescanInputError(
                file, f"is {image.mode}, not 8-bit RGB", "save the chips as RGB PNG"
            )
        array = np.asarray(image)
    height, width = array.shape[:2]
    if width % chip_px or height % chip_px:
        raise MinescanInputError(
            file,
            f"{width} x {height} px is not a grid of {chip_px} px chips",
            f"chips must be {chip_px} x {chip_px} px, {GRID_COLUMNS} to a row",
        )
    capacity = (height // chip_px) * GRID_COLUMNS
    beyond = rows.index[rows["index"].to_numpy() >= capacity]
    if len(beyond):
        raise MinescanInputError(
            path,
            f"{lines(beyond)}: index {rows['index'][beyond[0]]} lies outside {file.name} "
            f"({capacity} chips of {chip_px} px)",
            "index k is row k // 32, column k % 32",
        )
    return array


def load_gallery(folder: str | Path, chip_px: int = 48) -> Chips:
    """Every chip as digital numbers (n, chip_px, chip_px, 3) in ``GALLERY_BANDS`` order."""
    folder = Path(folder)
    table = read_gallery_table(folder)
    path = folder / "chips.csv"
    data = np.empty((len(table), chip_px, chip_px, 3), dtype=np.float32)
    for file, rows in table.groupby("file", sort=False):
        grid = _grid(Path(file), chip_px, path, rows)
        k = rows["index"].to_numpy()
        r, c = (k // GRID_COLUMNS) * chip_px, (k % GRID_COLUMNS) * chip_px
        windows = np.lib.stride_tricks.sliding_window_view(grid, (chip_px, chip_px), (0, 1))
        chips = windows[r, c]  # (n, 3, chip_px, chip_px)
        data[rows.index.to_numpy()] = np.moveaxis(chips, 1, -1) * (GALLERY_SCALE / 255.0)
    meta = pd.DataFrame(
        {
            "chip_id": table["chip_id"],
            "sample_id": table["chip_id"],
            "time": "t1",
            "category": table["source"],
            "label": table["label"],
            "longitude": table["longitude"],
            "latitude": table["latitude"],
            "window_end": table.get("period_end", pd.Series(None, index=table.index)),
            "path": table["file"].astype(str),
            "source": table["source"],
            "place": place_ids(table),
        }
    )
    meta["valid"] = data.reshape(len(data), -1).any(axis=1)
    meta["mine"] = meta["label"].astype(int)
    LOG.info(
        "%d gallery chips (%d mining) from %d images, %d located, %d places",
        len(meta),
        int(meta["mine"].sum()),
        table["file"].nunique(),
        int(meta["longitude"].notna().sum()),
        meta["place"].nunique(),
    )
    return Chips(meta, data, folder, GALLERY_BANDS)


def source_stem(source: pd.Series) -> pd.Series:
    """A sampling's name without its clear threshold (its clear and cloudy sets together)."""
    return source.str.replace(_CLEAR_SUFFIX, "", regex=True)


def place_ids(table: pd.DataFrame, place_deg: float = PLACE_DEG) -> pd.Series:
    """One id per place: the rounded centre (about 1 km) where located, else the source."""
    located = table["longitude"].notna()
    ix = np.round(table["longitude"].fillna(0) / place_deg).astype(np.int64).astype(str)
    iy = np.round(table["latitude"].fillna(0) / place_deg).astype(np.int64).astype(str)
    return pd.Series(
        np.where(located, "at:" + ix + "_" + iy, "source:" + source_stem(table["source"])),
        index=table.index,
    )
