"""A chips folder's table and arrays, read as a user may have written them.

``chips.csv`` is checked row by row (each message names the editor line); the ``.npy`` files
it names must lie inside the folder and are read without pickles. ``check_chips_folder``
runs before any job: it reads every array's header, not its pixels.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.lib import format as npy_format

from minescan.errors import MinescanInputError
from minescan.tables import binary_labels, inside, lines, numbers, read_table, unique_names

CHIP_BANDS = ("B2", "B3", "B4", "B8", "B11", "B12")
REQUIRED_COLUMNS = ("sample_id", "label", "category", "longitude", "latitude", "t0_path", "t1_path")
TIMES = ("t0", "t1")
_HEADER_READERS = {
    (1, 0): npy_format.read_array_header_1_0,
    (2, 0): npy_format.read_array_header_2_0,
}
LAYOUT = "chips (chips.csv and images/, see chips/amazon_s2_change)"


def read_chips_table(folder: str | Path) -> pd.DataFrame:
    """``chips.csv`` with typed ``label`` (0/1), ``longitude``, ``latitude`` and the images'
    paths inside the folder in ``t0_file``/``t1_file``; a bad cell names its line."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MinescanInputError(folder, "chips folder not found", f"give a folder in the {LAYOUT}")
    path = folder / "chips.csv"
    table = read_table(path, REQUIRED_COLUMNS, LAYOUT)
    ids = unique_names(table, "sample_id", path, "give every pair its own id")
    label = binary_labels(
        table, "label", path, "label 1: a mine appeared between t0 and t1; 0: it did not"
    )
    degrees = "give the chip centre in degrees (EPSG:4326)"
    table = table.assign(
        sample_id=ids,
        label=label,
        longitude=numbers(table, "longitude", path, -180, 180, degrees),
        latitude=numbers(table, "latitude", path, -90, 90, degrees),
    )
    for time in TIMES:
        column = f"{time}_path"
        table[f"{time}_file"] = [
            inside(folder, value, path, index, column) for index, value in table[column].items()
        ]
    return table


def _header(path: Path) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype of a ``.npy`` file from its header, checked against the file's size."""
    try:
        with open(path, "rb") as stream:
            version = npy_format.read_magic(stream)
            if version not in _HEADER_READERS:
                raise ValueError(f".npy format version {version} is not supported")
            shape, _, dtype = _HEADER_READERS[version](stream)
            offset = stream.tell()
    except (ValueError, OSError, EOFError, SyntaxError) as error:
        raise MinescanInputError(
            path, f"is not a readable .npy array ({error})", "replace the corrupt file"
        ) from None
    if dtype.hasobject:
        raise MinescanInputError(
            path, "holds Python objects, not numbers", "save chips as numeric arrays (np.save)"
        )
    expected = offset + int(np.prod(shape)) * dtype.itemsize
    if path.stat().st_size < expected:
        raise MinescanInputError(
            path,
            f"is truncated ({path.stat().st_size} of {expected} bytes for shape {shape})",
            "copy the file again, or remove its row from chips.csv",
        )
    return tuple(shape), dtype


def _check_array(path: Path, shape: tuple[int, ...], dtype: np.dtype) -> None:
    if len(shape) != 3 or shape[-1] != len(CHIP_BANDS):
        raise MinescanInputError(
            path,
            f"shape {shape}, expected (h, w, {len(CHIP_BANDS)})",
            f"chips are (h, w, bands) arrays of {', '.join(CHIP_BANDS)}",
        )
    if dtype.kind not in "iuf":
        raise MinescanInputError(
            path, f"dtype {dtype} is not numeric", "save reflectance x 10000 as integers or floats"
        )


def read_chip(path: str | Path) -> np.ndarray:
    """One chip array, never unpickled; a corrupt or truncated file is named."""
    path = Path(path)
    _check_array(path, *_header(path))
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise MinescanInputError(
            path, f"cannot be read ({error})", "replace the corrupt file"
        ) from None


def check_chips_folder(folder: str | Path) -> pd.DataFrame:
    """Before any job: the table, and every array it names present, readable, of one shape."""
    table = read_chips_table(folder)
    shapes: dict[tuple[int, ...], Path] = {}
    for time in TIMES:
        for index, file in table[f"{time}_file"].items():
            if not file.is_file():
                raise MinescanInputError(
                    Path(folder) / "chips.csv",
                    f"{lines([index])}: {time}_path {table[f'{time}_path'][index]!r} not found",
                    "t0_path/t1_path are relative to the chips folder",
                )
            shape, dtype = _header(file)
            _check_array(file, shape, dtype)
            shapes.setdefault(shape, file)
    if len(shapes) > 1:
        examples = ", ".join(f"{shape} ({file.name})" for shape, file in shapes.items())
        raise MinescanInputError(
            folder, f"chips of different shapes: {examples}", "use one chip size in a folder"
        )
    return table


def check_chips_inputs(chips: Mapping[str, Any]) -> None:
    """chips.path when it is there (a missing one skips the evaluation with a warning) and
    every folder of chips.score (named on purpose, so it must be there)."""
    if Path(chips["path"]).is_dir():
        check_chips_folder(chips["path"])
    for name, folder in (chips.get("score") or {}).items():
        if not Path(folder).is_dir():
            raise MinescanInputError(
                "config", f"chips.score.{name}: {folder} is not a folder", f"give a {LAYOUT}"
            )
        check_chips_folder(folder)


__all__ = [
    "CHIP_BANDS",
    "check_chips_inputs",
    "REQUIRED_COLUMNS",
    "TIMES",
    "check_chips_folder",
    "read_chip",
]
