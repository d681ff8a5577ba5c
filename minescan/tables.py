"""Reading the tables a user writes (``chips.csv``, ``tiles.csv``): rows named by the line a
person sees in an editor, paths kept inside the table's folder, numbers that are numbers.

Every reader of a user's table goes through here, so each mistake gets the same kind of
message: the file, the line, the column, and what to write instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from minescan.errors import MinescanInputError

_SHOWN = 5


def editor_line(index: int) -> int:
    """The line of a row (0-based, as read) in the file: line 1 holds the header."""
    return int(index) + 2


def lines(indices: Iterable[int]) -> str:
    """'line 4' / 'lines 4, 9 and 3 more' for a message."""
    found = [editor_line(i) for i in indices]
    shown = ", ".join(map(str, found[:_SHOWN]))
    more = f" and {len(found) - _SHOWN} more" if len(found) > _SHOWN else ""
    return f"line {shown}" if len(found) == 1 else f"lines {shown}{more}"


def read_table(path: str | Path, required: Sequence[str], layout: str) -> pd.DataFrame:
    """A user's CSV as text columns (numbers are parsed per column by the caller), with the
    required columns present and at least one row."""
    path = Path(path)
    if not path.is_file():
        raise MinescanInputError(path, "not found", f"give a folder in the {layout} layout")
    try:
        table = pd.read_csv(
            path, dtype=str, keep_default_na=False, skipinitialspace=True, skip_blank_lines=False
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise MinescanInputError(
            path,
            f"cannot be read as CSV ({str(error).strip().splitlines()[-1]})",
            "save it as comma-separated text, UTF-8, with a header line",
        ) from None
    table = _without_blank_lines(table, path)
    table.columns = [str(c).strip() for c in table.columns]
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise MinescanInputError(
            path,
            f"columns {missing} are missing (has {list(table.columns)})",
            f"a {layout} table needs the columns {list(required)}",
        )
    if table.empty:
        raise MinescanInputError(path, "has no rows", "list one row per item under the header")
    return table


def _without_blank_lines(table: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The table without the rows of blank lines, each row keeping the index of its line
    (``editor_line``), so that a blank line does not shift the line of every later row."""
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()[1:]
    if len(text) != len(table):  # a quoted field spans lines: rows are not lines
        return table[~(table == "").all(axis=1)].reset_index(drop=True)
    blank = [k for k, line in enumerate(text[: len(table)]) if not line.strip()]
    return table.drop(index=blank)


def numbers(
    table: pd.DataFrame,
    column: str,
    path: str | Path,
    low: float = -np.inf,
    high: float = np.inf,
    remedy: str = "",
) -> pd.Series:
    """A column as floats; blank, non-numeric or out-of-range cells are refused by line."""
    values = pd.to_numeric(table[column].str.strip(), errors="coerce")
    bad = table.index[~(values.between(low, high) & np.isfinite(values))]
    if len(bad):
        shown = table[column].loc[bad[0]]
        raise MinescanInputError(
            path,
            f"{lines(bad)}: {column} {shown!r} is not a number from {low:g} to {high:g}",
            remedy or f"give {column} as a number on every line",
        )
    return values.astype(float)


def inside(folder: str | Path, relative: str, path: str | Path, index: int, column: str) -> Path:
    """``relative`` resolved inside ``folder``; refused (with its line) when it leaves it."""
    # Lexically, not through symlinks: a link the user put inside the folder is theirs to
    # make, while "../" or an absolute path in a shared table reaches files it should not.
    root = Path(os.path.normpath(Path(folder).absolute()))
    if not relative.strip():
        raise MinescanInputError(
            path, f"{lines([index])}: {column} is blank", f"give the file's path in {column}"
        )
    target = Path(os.path.normpath(root / relative.strip()))
    if not target.is_relative_to(root):
        raise MinescanInputError(
            path,
            f"{lines([index])}: {column} {relative!r} points outside the folder {folder}",
            "give paths relative to the table's folder, inside it",
        )
    return target


def binary_labels(table: pd.DataFrame, column: str, path: str | Path, remedy: str) -> pd.Series:
    """A 0/1 column as integers; any other cell is refused by line."""
    label = pd.to_numeric(table[column].str.strip(), errors="coerce")
    bad = table.index[~label.isin([0, 1])]
    if len(bad):
        raise MinescanInputError(
            path, f"{lines(bad)}: {column} {table[column][bad[0]]!r} is not 0 or 1", remedy
        )
    return label.astype(int)


__all__ = ["binary_labels", "editor_line", "inside", "lines", "numbers", "read_table"]


def unique_names(table: pd.DataFrame, column: str, path: str | Path, remedy: str) -> pd.Series:
    """``column`` stripped, refused where blank or repeated, naming the editor lines."""
    names = table[column].str.strip()
    blank = table.index[names == ""]
    if len(blank):
        raise MinescanInputError(path, f"{lines(blank)}: {column} is blank", remedy)
    duplicated = table.index[names.duplicated()]
    if len(duplicated):
        first = names[duplicated[0]]
        problem = f"{lines(duplicated)}: {column} {first!r} appears on an earlier line too"
        raise MinescanInputError(path, problem, remedy)
    return names
