"""The polygons stage's rule as a plain function, called by its thin script and by the tests."""

from __future__ import annotations

import geopandas as gpd

from minescan.outputs import write_geoparquet, write_json
from minescan.polygons.clean import clean_polygons
from minescan.polygons.dated import check_date_column
from minescan.polygons.read import read_polygons
from minescan.provenance import provenance


def clean_polygons_step(
    polygons: str,
    output: str,
    report: str,
    layer: str | None = None,
    schema: str = "auto",
    date_column: str | None = None,
) -> None:
    """Read, check and repair the mining polygons; write them and the cleaning report.
    ``date_column`` (the year or date each polygon was first mapped) is kept as
    ``first_mapped``."""
    frame = read_polygons(polygons, layer)
    clean, cleaning = clean_polygons(frame, polygons, schema, date_column)
    params = {"layer": layer, "schema": schema}
    if date_column:  # undated polygons keep the provenance they always had
        params["date_column"] = date_column
    record = provenance(params, {"polygons": polygons})
    write_geoparquet(clean, output, record)
    write_json(cleaning.as_dict(), report, record)


def check_polygons(
    polygons: str, layer: str | None = None, schema: str = "auto", date_column: str | None = None
) -> gpd.GeoDataFrame:
    """Before any job: the polygons read (with their date column, when configured, and its
    dates) and leave at least one polygon after cleaning, so a bad file stops the run here
    rather than in the grid jobs. Returns the cleaned polygons."""
    check_date_column(polygons, date_column, layer, "polygons.date_column")
    return clean_polygons(read_polygons(polygons, layer), polygons, schema, date_column)[0]


__all__ = ["check_polygons", "clean_polygons_step"]
