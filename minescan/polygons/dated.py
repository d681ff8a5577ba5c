"""Dated polygons: when each mining polygon was first mapped.

Multi-year sources (Amazon Mining Watch's 2018 baseline and yearly new-mining layers) give each
polygon a year or a date. Cleaning keeps it as ``first_mapped`` (an ISO date, ``YYYY-MM-DD``):
a year ``2019`` is ``2019-01-01``, so a polygon counts as existing in a date window when it was
first mapped before the window's end. Where two polygons of different dates overlap, the later
one keeps only what the earlier did not cover: every point is first mapped once.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio

from minescan.errors import MinescanInputError

FIRST_MAPPED = "first_mapped"
_YEARS = (1950, 2200)


def first_mapped_dates(values: pd.Series, source: str | Path, column: str) -> np.ndarray:
    """``values`` (years, YYYYMM like AMW's ``201900``, ISO dates or datetimes) as ISO dates."""
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().all() and (numeric == np.floor(numeric)).all():
        whole = numeric.astype(np.int64)
        years = np.where(whole > 9999, whole // 100, whole)
        months = np.where(whole > 9999, np.clip(whole % 100, 1, 12), 1)
        dates = pd.to_datetime(
            {"year": years, "month": months, "day": np.ones(len(whole), np.int64)}, errors="coerce"
        )
        dates[(years < _YEARS[0]) | (years > _YEARS[1])] = pd.NaT
    else:
        dates = pd.to_datetime(values.astype("string"), errors="coerce", format="mixed")
    bad = dates.isna().to_numpy()
    if bad.any():
        rows = ", ".join(str(r) for r in np.flatnonzero(bad)[:5])
        raise MinescanInputError(
            source,
            f"column {column!r} has no year or date in rows {rows} "
            f"(e.g. {values.iloc[int(np.flatnonzero(bad)[0])]!r})",
            "give every polygon the year (2019) or date (2019-06-30) it was first mapped, "
            "or set the date column to null to use the polygons without dates",
        )
    return dates.dt.strftime("%Y-%m-%d").to_numpy(dtype=object)


def check_date_column(
    path: str | Path,
    column: str | None,
    layer: str | None = None,
    key: str = "polygons.date_column",
) -> None:
    """Before any job: the polygon file has the date column that config ``key`` names."""
    if column is None or not Path(path).exists():
        return  # no dates, or the file's own check reports it
    if Path(path).suffix.lower() in {".parquet", ".geoparquet"}:
        columns = pd.read_parquet(path).columns.tolist()
    else:
        columns = list(pyogrio.read_info(path, layer=layer)["fields"])
    if column not in columns:
        raise MinescanInputError(
            path,
            f"has no column {column!r} ({key}) with the year or date each polygon was first "
            f"mapped (columns: {columns})",
            f"set {key} to one of them, or to null for polygons without dates",
        )


def mapped_before(polygons: pd.DataFrame, end: str) -> pd.DataFrame:
    """The polygons first mapped before ``end`` (the exclusive end of a date window)."""
    if FIRST_MAPPED not in polygons.columns:
        raise MinescanInputError(
            "polygons",
            f"have no {FIRST_MAPPED!r} column, so they cannot be limited to a date window",
            "clean them with a date column (growth.date_column or polygons.date_column)",
        )
    return polygons[polygons[FIRST_MAPPED].astype(str) < str(end)]


__all__ = ["FIRST_MAPPED", "check_date_column", "first_mapped_dates", "mapped_before"]
