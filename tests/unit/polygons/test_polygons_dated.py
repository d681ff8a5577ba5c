"""Dated polygons through cleaning: every point keeps the date it was first mapped, bad dates
are refused with their rows, and undated polygons clean exactly as before."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from minescan.errors import MinescanInputError
from minescan.polygons.clean import clean_polygons
from minescan.polygons.dated import first_mapped_dates, mapped_before

OLD = shapely.box(-55.10, -10.10, -55.09, -10.09)
NEWER = shapely.box(-55.095, -10.10, -55.085, -10.09)  # half on the old pit
UTM = 32721


def frame(geoms, years):
    return gpd.GeoDataFrame({"year": years}, geometry=geoms, crs=4326)


def test_a_later_polygon_keeps_only_what_earlier_years_did_not_map():
    clean, report = clean_polygons(frame([NEWER, OLD], [2020, 2018]), "x.gpkg", "auto", "year")
    assert list(clean["first_mapped"]) == ["2018-01-01", "2020-01-01"]
    areas = clean.to_crs(UTM).area.to_numpy()
    old_area = gpd.GeoSeries([OLD], crs=4326).to_crs(UTM).area.iloc[0]
    assert areas[0] == pytest.approx(old_area, rel=1e-6)
    assert areas[1] == pytest.approx(old_area / 2, rel=1e-3)
    assert "lost the parts an earlier date already mapped" in report.warnings[0]
    union = shapely.union_all(clean.geometry.to_numpy())
    assert union.area == pytest.approx(shapely.union(OLD, NEWER).area, rel=1e-9)


def test_same_date_overlaps_merge_and_a_duplicate_keeps_its_first_date():
    clean, report = clean_polygons(
        frame([OLD, NEWER, OLD], [2021, 2021, 2019]), "x.gpkg", "auto", "year"
    )
    assert report.duplicates_dropped == 1
    dates = clean.set_index("first_mapped").to_crs(UTM).area
    assert list(dates.index) == ["2019-01-01", "2021-01-01"]
    assert dates["2021-01-01"] == pytest.approx(dates["2019-01-01"] / 2, rel=1e-3)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([2019, 2023], ["2019-01-01", "2023-01-01"]),
        ([201900, 202503], ["2019-01-01", "2025-03-01"]),  # Amazon Mining Watch's layer codes
        (["2019-06-30", "2020-01-15"], ["2019-06-30", "2020-01-15"]),
    ],
)
def test_years_layer_codes_and_dates_become_iso_dates(values, expected):
    assert list(first_mapped_dates(pd.Series(values), "x", "year")) == expected


def test_a_polygon_without_a_date_is_refused_with_its_row():
    with pytest.raises(MinescanInputError, match="column 'year' has no year or date in rows 1"):
        clean_polygons(frame([OLD, NEWER], ["2019", "soon"]), "x.gpkg", "auto", "year")
    with pytest.raises(
        MinescanInputError, match="has no column 'first_year' \\(the date column\\)"
    ):
        clean_polygons(frame([OLD], [2019]), "x.gpkg", "auto", "first_year")


def test_undated_cleaning_is_unchanged_and_a_window_needs_dates():
    clean, _ = clean_polygons(frame([OLD, NEWER], [2020, 2018]), "x.gpkg", "auto")
    assert list(clean.columns) == ["polygon_id", "country", "area_km2", "utm_epsg", "geometry"]
    assert len(clean) == 1  # overlapping polygons merge, as they always did
    with pytest.raises(MinescanInputError, match="first_mapped"):
        mapped_before(clean, "2020-01-01")
    dated, _ = clean_polygons(frame([OLD, NEWER], [2020, 2018]), "x.gpkg", "auto", "year")
    assert len(mapped_before(dated, "2020-01-01")) == 1
    assert len(mapped_before(dated, "2021-01-01")) == 2
