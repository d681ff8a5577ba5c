"""Mine area per cell and date window, and what changed between windows.

Footprints (or any mining polygons) become, per cell, one geometry in the cell's own UTM zone,
clipped to the cell: overlapping footprints count once and a footprint across a cell edge
counts in each cell for its own part. Between two windows a cell's new area is what the later
geometry covers and the earlier did not, its lost area the reverse (rehabilitation, regrowth,
or a missed detection). A new site is a later footprint (touching footprints merged into one
site) with no earlier footprint within a distance.

Areas are in square metres on the cells' UTM zones (within 0.1 % of the area on the ground
inside a zone). A cell without a clear observation in a window gets no area there and no change
across it: its row says why, and totals leave it out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

OK = "ok"


def _area(geometry: shapely.Geometry) -> float:
    """Area in m² to 0.1 m²: the slivers of floating-point overlay are no new or lost mining."""
    return round(float(shapely.area(geometry)), 1)


def cell_boxes(cells: pd.DataFrame) -> gpd.GeoDataFrame:
    """``cell_id, epsg`` and the cell's square in its own UTM zone (``geometry``)."""
    boxes = shapely.box(cells["xmin"], cells["ymin"], cells["xmax"], cells["ymax"])
    return gpd.GeoDataFrame(
        {"cell_id": cells["cell_id"].astype(str).to_numpy(), "epsg": cells["epsg"].to_numpy()},
        geometry=boxes,
    )


def mine_geometries(polygons: gpd.GeoDataFrame, cells: pd.DataFrame) -> pd.Series:
    """Per cell (index ``cell_id``): the union of ``polygons`` inside it, in its UTM zone."""
    boxes = cell_boxes(cells)
    result = pd.Series(shapely.Polygon(), index=boxes["cell_id"], dtype=object)
    geoms = polygons.geometry[polygons.geometry.notna() & ~polygons.geometry.is_empty]
    if len(geoms) == 0:
        return result
    for epsg, zone in boxes.groupby("epsg"):
        projected = geoms.to_crs(int(epsg)).to_numpy()
        tree = shapely.STRtree(projected)
        box_index, hit = tree.query(zone.geometry.to_numpy(), predicate="intersects")
        for position in np.unique(box_index):
            box = zone.geometry.iloc[position]
            inside = shapely.union_all(projected[hit[box_index == position]])
            result[zone["cell_id"].iloc[position]] = shapely.intersection(
                shapely.make_valid(inside), box
            )
    return result


def observations(cells: pd.DataFrame, statuses: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """``cell_id, epoch, observed, reason`` from each epoch's tile status rows (``cell_id,
    status, reason``): a cell is observed in a window when its tile there is ``ok``."""
    ids = cells["cell_id"].astype(str)
    rows = []
    for epoch, status in statuses.items():
        by_cell = status.assign(cell_id=status["cell_id"].astype(str)).set_index("cell_id")
        found = by_cell.reindex(ids)
        if "reason" not in found:
            found["reason"] = ""
        observed = (found["status"] == OK).to_numpy()
        reason = np.where(
            found["status"].isna(),
            "no tile status",
            found["status"].astype(str) + ": " + found["reason"].fillna("").astype(str),
        )
        rows.append(
            pd.DataFrame(
                {
                    "cell_id": ids.to_numpy(),
                    "epoch": str(epoch),
                    "observed": observed,
                    "reason": np.where(observed, "", reason),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def cell_areas(geometries: Mapping[str, pd.Series], observed: pd.DataFrame) -> pd.DataFrame:
    """``cell_id, epoch, observed, reason, mine_area_m2`` (NaN where not observed)."""
    frame = observed.copy()
    rows = zip(frame["cell_id"], frame["epoch"], frame["observed"], strict=True)
    area = [_area(geometries[e][cell]) if seen else np.nan for cell, e, seen in rows]
    frame["mine_area_m2"] = np.asarray(area, dtype=float)
    return frame


def cell_changes(
    geometries: Mapping[str, pd.Series],
    observed: pd.DataFrame,
    epochs: Sequence[str],
    new_site_distance_m: float,
    cells: pd.DataFrame,
) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Per cell and pair of consecutive windows: ``area_from_m2, area_to_m2, new_m2, lost_m2,
    net_m2, new_sites, status``; and the new sites (UTM areas, lon/lat geometry)."""
    seen = observed.set_index(["cell_id", "epoch"])
    rows, sites = [], []
    for before, after in zip(epochs, epochs[1:], strict=False):
        compared = []
        for cell in cells["cell_id"].astype(str):
            problems = [
                f"no clear observation at {epoch} ({seen.loc[(cell, epoch), 'reason']})"
                for epoch in (before, after)
                if not seen.loc[(cell, epoch), "observed"]
            ]
            row = {"cell_id": cell, "from_epoch": before, "to_epoch": after}
            if problems:
                nan = {k: np.nan for k in ("area_from_m2", "area_to_m2", "new_m2", "lost_m2")}
                rows.append({**row, **nan, "status": "; ".join(problems)})
                continue
            earlier, later = geometries[before][cell], geometries[after][cell]
            rows.append(
                {
                    **row,
                    "area_from_m2": _area(earlier),
                    "area_to_m2": _area(later),
                    "new_m2": _area(shapely.difference(later, earlier)),
                    "lost_m2": _area(shapely.difference(earlier, later)),
                    "status": OK,
                }
            )
            compared.append(cell)
        sites.append(
            new_sites(
                geometries[before], geometries[after], compared, cells, new_site_distance_m
            ).assign(from_epoch=before, to_epoch=after)
        )
    table = pd.DataFrame(rows)
    table["net_m2"] = table["area_to_m2"] - table["area_from_m2"]
    found = pd.concat(sites, ignore_index=True)
    found["site_id"] = np.arange(len(found), dtype=np.int64)  # unique across pairs of windows
    counts = found.groupby(["cell_id", "from_epoch"]).size().rename("new_sites")
    table = table.join(counts, on=["cell_id", "from_epoch"])
    table["new_sites"] = table["new_sites"].fillna(0).astype(float)
    table.loc[table["status"] != OK, "new_sites"] = np.nan
    order = ["cell_id", "from_epoch", "to_epoch", "area_from_m2", "area_to_m2", "new_m2"]
    return table[[*order, "lost_m2", "net_m2", "new_sites", "status"]], found


SITE_COLUMNS = ["site_id", "cell_id", "area_m2", "geometry"]


def new_sites(
    earlier: pd.Series,
    later: pd.Series,
    compared: Sequence[str],
    cells: pd.DataFrame,
    distance_m: float,
) -> gpd.GeoDataFrame:
    """Later sites (touching footprints of the compared cells merged) with no earlier
    footprint within ``distance_m``; each in the cell that holds its representative point."""
    boxes = cell_boxes(cells).set_index("cell_id").loc[list(compared)]
    found = []
    for epsg, zone in boxes.groupby("epsg"):
        ids = zone.index.to_numpy()
        merged = shapely.union_all(later[ids].to_numpy())
        parts = shapely.get_parts(merged)
        parts = parts[shapely.area(parts) > 0]
        if len(parts) == 0:
            continue
        before = shapely.get_parts(shapely.union_all(earlier[ids].to_numpy()))
        before = before[shapely.area(before) > 0]
        near = np.zeros(len(parts), bool)
        if len(before):
            index, _ = shapely.STRtree(before).query(
                parts, predicate="dwithin", distance=float(distance_m)
            )
            near[index] = True
        fresh = parts[~near]
        points = shapely.point_on_surface(fresh)
        point, box = shapely.STRtree(zone.geometry.to_numpy()).query(points, predicate="intersects")
        owner = np.empty(len(fresh), dtype=object)
        owner[point[::-1]] = ids[box[::-1]]  # the first cell that holds the point
        frame = gpd.GeoDataFrame(
            {"cell_id": owner, "area_m2": shapely.area(fresh)}, geometry=fresh, crs=int(epsg)
        )
        found.append(frame.to_crs(4326))
    if not found:
        return gpd.GeoDataFrame(columns=SITE_COLUMNS, geometry="geometry", crs=4326)
    sites = pd.concat(found, ignore_index=True)
    sites.insert(0, "site_id", np.arange(len(sites), dtype=np.int64))
    return gpd.GeoDataFrame(sites[SITE_COLUMNS], geometry="geometry", crs=4326)


__all__ = [
    "OK",
    "cell_areas",
    "cell_boxes",
    "cell_changes",
    "mine_geometries",
    "new_sites",
    "observations",
]
