"""Read mining polygons (MAUS v1/v2, Tang et al. 2023, any OGR format or GeoParquet) and clean
them into the table every later stage relies on: valid, single-part, non-overlapping polygons
in lon/lat, each with its UTM zone and country.

Problems a user must fix (no CRS, points or lines, latitudes outside UTM) raise
MinescanInputError naming the file and rows; problems with one obvious repair (invalid rings,
multipolygons, duplicates, overlaps, antimeridian wrap) are repaired and counted in the
cleaning report and the log.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from minescan.errors import MinescanInputError
from minescan.polygons.dated import FIRST_MAPPED, first_mapped_dates
from minescan.polygons.read import _feature_ids, _rows, detect_schema
from minescan.utm import MAX_LAT, MIN_LAT, to_utm, utm_epsg

log = logging.getLogger(__name__)

# Column that carries the ISO 3166 alpha-3 country code in each supported schema.
COUNTRY_COLUMNS = {"maus_v1": "ISO3_CODE", "maus_v2": "ISO3_CODE", "tang": "ISO3", "generic": None}
REQUIRED_COLUMNS = {
    "maus_v1": ["ISO3_CODE", "AREA"],
    "maus_v2": ["ISO3_CODE", "COUNTRY_NAME", "AREA"],
    "tang": [],
    "generic": [],
}
POLYGONAL = {"Polygon", "MultiPolygon"}
_SHOWN_ROWS = 5


@dataclass
class CleaningReport:
    source: str
    schema: str
    rows_read: int = 0
    empty_dropped: int = 0
    invalid_repaired: int = 0
    antimeridian_unwrapped: int = 0
    parts_from_multipolygons: int = 0
    duplicates_dropped: int = 0
    overlapping_merged: int = 0
    polygons_written: int = 0
    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        log.warning("%s: %s", self.source, message)

    def as_dict(self) -> dict:
        return asdict(self)


def _country_codes(frame: gpd.GeoDataFrame, schema: str) -> np.ndarray:
    column = COUNTRY_COLUMNS[schema]
    if column is None or column not in frame.columns:
        return np.full(len(frame), None, dtype=object)
    codes = frame[column].astype("string").str.strip().str.upper()
    valid = codes.str.fullmatch(r"[A-Z]{3}").fillna(False).to_numpy(bool)
    return np.where(valid, codes.to_numpy(dtype=object), None)


def _unwrap_antimeridian(
    geoms: np.ndarray, report: CleaningReport, rows: np.ndarray, fids: np.ndarray | None
) -> np.ndarray:
    """Polygons stored as spanning almost 360 degrees really cross the antimeridian."""
    bounds = shapely.bounds(geoms)
    wrapped = (bounds[:, 2] - bounds[:, 0]) > 180.0
    if wrapped.any():
        report.antimeridian_unwrapped = int(wrapped.sum())
        report.warn(
            f"{_rows(rows[wrapped], fids)} crossing the antimeridian; longitudes unwrapped "
            "past 180 degrees"
        )
        geoms = geoms.copy()
        geoms[wrapped] = shapely.transform(
            geoms[wrapped],
            lambda xy: np.column_stack(
                [np.where(xy[:, 0] < 0, xy[:, 0] + 360, xy[:, 0]), xy[:, 1]]
            ),
        )
    return geoms


def _check_latitudes(
    geoms: np.ndarray, rows: np.ndarray, fids: np.ndarray | None, source: str
) -> None:
    """Latitudes beyond 90 degrees are longitudes: the file has its axes swapped."""
    bounds = shapely.bounds(geoms)
    beyond = (np.abs(bounds[:, 1]) > 90) | (np.abs(bounds[:, 3]) > 90)
    if not beyond.any():
        return
    swapped = beyond & (np.abs(bounds[:, 0]) <= 90) & (np.abs(bounds[:, 2]) <= 90)
    example = geoms[np.flatnonzero(beyond)[0]].representative_point()
    problem = (
        f"{_rows(rows[beyond], fids)} at latitudes beyond 90 degrees "
        f"(e.g. x {example.x:.3f}, y {example.y:.3f})"
    )
    if swapped.all():
        raise MinescanInputError(
            source,
            f"{problem}: latitude and longitude look swapped (y holds the longitude)",
            "write x as the longitude and y as the latitude (QGIS: Swap X and Y coordinates; "
            "geopandas: frame.geometry = shapely.transform(frame.geometry.to_numpy(), "
            "lambda xy: xy[:, ::-1]))",
        )
    raise MinescanInputError(
        source, problem, "check the coordinates and the file's coordinate reference system"
    )


def _polygon_parts(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Single polygons of each geometry (repair output can mix in lines), with owner index."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    nested = shapely.get_type_id(parts) == 7  # GeometryCollection
    if nested.any():
        inner, inner_owner = shapely.get_parts(parts[nested], return_index=True)
        parts = np.concatenate([parts[~nested], inner])
        owner = np.concatenate([owner[~nested], owner[nested][inner_owner]])
    polygonal = shapely.get_type_id(parts) == 3
    parts, owner = parts[polygonal], owner[polygonal]
    keep = shapely.area(parts) > 0
    return parts[keep], owner[keep]


def _dissolve_overlaps(
    geoms: np.ndarray, country: np.ndarray, report: CleaningReport
) -> tuple[np.ndarray, np.ndarray]:
    """Merge polygons whose interiors overlap, so that areas can be summed cell by cell."""
    a, b = shapely.STRtree(geoms).query(geoms)  # bounding boxes only: cheap
    pair = a < b
    a, b = a[pair], b[pair]
    # DE-9IM: the interiors meet (touching edges alone do not count).
    overlapping = shapely.relate_pattern(geoms[a], geoms[b], "T********")
    a, b = a[overlapping], b[overlapping]
    if len(a) == 0:
        return geoms, country
    n = len(geoms)
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    _, group = connected_components(graph, directed=False)
    sizes = np.bincount(group)
    merged = sizes[group] > 1
    report.overlapping_merged = int(merged.sum())
    report.warn(
        f"{int(merged.sum())} overlapping polygons were merged into {int((sizes > 1).sum())}"
    )
    keep_first = np.unique(group, return_index=True)[1]
    keep_first.sort()
    out = geoms[keep_first].copy()
    position_of_group = np.empty(len(sizes), np.int64)
    position_of_group[group[keep_first]] = np.arange(len(keep_first))
    # Pairs, the common case, in one vectorised call; larger groups one by one.
    order = np.argsort(group, kind="stable")
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    pairs = np.flatnonzero(sizes == 2)
    first, second = order[starts[pairs]], order[starts[pairs] + 1]
    out[position_of_group[pairs]] = shapely.union(geoms[first], geoms[second])
    for g in np.flatnonzero(sizes > 2):
        members = order[starts[g] : starts[g] + sizes[g]]
        out[position_of_group[g]] = shapely.union_all(geoms[members])
    parts, owner = _polygon_parts(out)
    return parts, country[keep_first][owner]


def _dissolve_dated(
    geoms: np.ndarray, country: np.ndarray, dates: np.ndarray, report: CleaningReport
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Overlaps of dated polygons: each date's polygons lose what earlier dates mapped, then
    overlaps within one date are merged."""
    out_geoms, out_country, out_dates = [], [], []
    earlier = np.empty(0, dtype=object)
    trimmed = 0
    for date in np.unique(dates):
        sel = dates == date
        mine, codes = geoms[sel], country[sel]
        if len(earlier):
            near, hit = shapely.STRtree(earlier).query(mine, predicate="intersects")
            for index in np.unique(near):
                covered = shapely.union_all(earlier[hit[near == index]])
                before = shapely.area(mine[index])
                mine[index] = shapely.difference(mine[index], covered)
                trimmed += int(shapely.area(mine[index]) < before * (1 - 1e-6))
            parts, owner = _polygon_parts(mine)
            mine, codes = parts, codes[owner]
        mine, codes = _dissolve_overlaps(mine, codes, report)
        out_geoms.append(mine)
        out_country.append(codes)
        out_dates.append(np.full(len(mine), date, dtype=object))
        earlier = np.concatenate([earlier, mine])
    if trimmed:
        report.warn(f"{trimmed} dated polygons lost the parts an earlier date already mapped")
    return np.concatenate(out_geoms), np.concatenate(out_country), np.concatenate(out_dates)


def _utm_area_km2(geoms: np.ndarray, zones: np.ndarray) -> np.ndarray:
    """Areas in each polygon's own UTM zone (unlike a global projection, unwrapped longitudes
    past 180 degrees project correctly there)."""
    area = np.zeros(len(geoms))
    for zone in np.unique(zones):
        sel = zones == zone
        area[sel] = shapely.area(to_utm(geoms[sel], int(zone))) / 1e6
    return area


def clean_polygons(
    frame: gpd.GeoDataFrame,
    source: str | Path,
    schema: str = "auto",
    date_column: str | None = None,
) -> tuple[gpd.GeoDataFrame, CleaningReport]:
    """Clean polygons: ``polygon_id, country, area_km2, utm_epsg, geometry`` (EPSG:4326), and
    ``first_mapped`` (ISO date) from ``date_column`` when given (see ``dated``)."""
    source = str(source)
    columns = [c for c in frame.columns if c != frame.geometry.name]
    schema = detect_schema(columns) if schema == "auto" else schema
    if date_column and date_column not in columns:
        raise MinescanInputError(
            source,
            f"has no column {date_column!r} (the date column) with the year or date each "
            f"polygon was first mapped (columns: {columns})",
            "set polygons.date_column (or growth.date_column) to one of them, or to null for "
            "polygons without dates",
        )
    missing = [c for c in REQUIRED_COLUMNS[schema] if c not in columns]
    if missing:
        raise MinescanInputError(
            source,
            f"lacks column(s) {missing} of the {schema} schema (has {columns})",
            "set polygons.schema to the file's schema, or `generic` to use geometries only",
        )
    report = CleaningReport(source=source, schema=schema, rows_read=len(frame))
    if frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    geoms = frame.geometry.to_numpy()
    fids = _feature_ids(frame)

    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if empty.all():
        raise MinescanInputError(source, "all geometries are empty", "check the file")
    if empty.any():
        report.empty_dropped = int(empty.sum())
        report.warn(f"{_rows(np.flatnonzero(empty), fids)} empty and dropped")
    kinds = frame.geometry.geom_type.to_numpy(dtype=object)
    wrong = ~empty & ~np.isin(kinds, list(POLYGONAL))
    if wrong.any():
        found = sorted(set(kinds[wrong]))
        raise MinescanInputError(
            source,
            f"{_rows(np.flatnonzero(wrong), fids)} {'/'.join(found)}, not polygons",
            "mining areas must be Polygon or MultiPolygon features; remove or buffer the others",
        )
    keep = ~empty
    geoms, country = geoms[keep], _country_codes(frame, schema)[keep]
    row_numbers = np.flatnonzero(keep)
    dates = None
    if date_column:
        dates = first_mapped_dates(frame[date_column][keep], source, date_column)
        order = np.argsort(dates, kind="stable")  # duplicates keep their first date
        geoms, country, dates = geoms[order], country[order], dates[order]
        row_numbers = row_numbers[order]

    _check_latitudes(geoms, row_numbers, fids, source)
    geoms = _unwrap_antimeridian(geoms, report, row_numbers, fids)
    bounds = shapely.bounds(geoms)
    polar = (bounds[:, 1] < MIN_LAT) | (bounds[:, 3] > MAX_LAT)
    if polar.any():
        raise MinescanInputError(
            source,
            f"{_rows(row_numbers[polar], fids)} beyond the latitudes {MIN_LAT:g} to "
            f"{MAX_LAT:g} that the UTM grid covers",
            "remove polar polygons (Sentinel-2 uses polar grids there, which minescan lacks)",
        )

    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        report.invalid_repaired = int(invalid.sum())
        reasons = shapely.is_valid_reason(geoms[invalid][:_SHOWN_ROWS])
        report.warn(
            f"{int(invalid.sum())} invalid polygons were repaired with make_valid, e.g. "
            f"{_rows(row_numbers[invalid][:1], fids, verb=False)}: {reasons[0]}"
        )
        geoms = geoms.copy()
        geoms[invalid] = shapely.make_valid(geoms[invalid])

    parts, owner = _polygon_parts(geoms)
    report.parts_from_multipolygons = int(len(parts) - len(np.unique(owner)))
    country = country[owner]
    dates = dates[owner] if dates is not None else None

    normalized = shapely.to_wkb(shapely.normalize(parts))
    _, first = np.unique(normalized, return_index=True)
    duplicate = np.ones(len(parts), bool)
    duplicate[first] = False
    if duplicate.any():
        report.duplicates_dropped = int(duplicate.sum())
        report.warn(f"{int(duplicate.sum())} duplicate polygons were dropped")
        parts, country = parts[~duplicate], country[~duplicate]
        dates = dates[~duplicate] if dates is not None else None

    if len(parts) == 0:
        raise MinescanInputError(
            source,
            f"no polygon with an area is left after cleaning ({len(frame)} features read, "
            "all of zero area or collapsed by repair)",
            "give mining polygons with an area",
        )
    if dates is None:
        parts, country = _dissolve_overlaps(parts, country, report)
    else:
        parts, country, dates = _dissolve_dated(parts, country, dates, report)
    centroids = shapely.centroid(parts)
    lon, lat = shapely.get_x(centroids), shapely.get_y(centroids)
    zones = utm_epsg(lon, lat)
    area = _utm_area_km2(parts, zones)
    clean = gpd.GeoDataFrame(
        {
            "polygon_id": np.arange(len(parts), dtype=np.int64),
            "country": pd.array(country, dtype="string"),
            "area_km2": area,
            "utm_epsg": zones.astype(np.int32),
        },
        geometry=parts,
        crs=4326,
    )
    if dates is not None:
        clean.insert(4, FIRST_MAPPED, pd.array(dates, dtype="string"))
    report.polygons_written = len(clean)
    log.info(
        "%s: %d features -> %d clean polygons (%.1f km2)",
        source,
        len(frame),
        len(clean),
        area.sum(),
    )
    return clean, report
