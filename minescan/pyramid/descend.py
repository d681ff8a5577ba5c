"""From one level to the next: the cells a screen keeps, and their four children in the region.

Cells whose tile could not be scored (no imagery, clouds, a failed fetch) are kept: a screen
that cannot see a cell must not rule it out.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from minescan.grid.build import GridSpec, describe_cells
from minescan.grid.regions import cell_land_fraction, child_cells

log = logging.getLogger(__name__)


def kept_cells(
    cells: pd.DataFrame, scores: pd.DataFrame, statistic: str, threshold: float
) -> pd.DataFrame:
    """The cells scoring at least ``threshold``, and those without a score."""
    table = cells.merge(scores[["cell_id", statistic]], on="cell_id", how="left")
    score = table[statistic].to_numpy(float)
    unscored = ~np.isfinite(score)
    keep = unscored | (score >= threshold)
    if unscored.any():
        log.warning("%d cells have no score (no usable tile) and are kept", int(unscored.sum()))
    return table.loc[keep, cells.columns].reset_index(drop=True)


def children_in_region(
    parents: pd.DataFrame,
    zoom: int,
    spec: GridSpec,
    region: shapely.Geometry,
    min_land_fraction: float,
) -> gpd.GeoDataFrame:
    """The four children (at ``zoom``) of every parent that meet the region and are on land
    (the same land test as region mode, so they are a subset of the region's cells)."""
    size = spec.cell_size_m[zoom]
    if parents.empty:
        empty = pd.DataFrame({"epsg": [], "i": [], "j": [], "overlap_fraction": [], "label": []})
        return describe_cells(empty.astype({"epsg": int, "i": int, "j": int}), zoom, size, spec)
    children = child_cells(parents, spec)
    land = np.zeros(len(children), bool)
    for code in np.unique(children["epsg"]):
        sel = (children["epsg"] == code).to_numpy()
        land[sel] = (
            cell_land_fraction(
                int(code), children["i"].to_numpy()[sel], children["j"].to_numpy()[sel], size
            )
            >= min_land_fraction
        )
    meets = shapely.intersects(region, children.geometry.to_numpy())
    return children[land & meets].reset_index(drop=True)
