"""Growth accounting on the shipped Amazon Mining Watch sample: footprints made from the dated
polygons themselves measure the polygons' own growth; perturbed footprints measure what the
perturbation did; an unobserved cell is a per-cell record, never lost mining."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from minescan.growth.change import (
    OK,
    cell_areas,
    cell_changes,
    mine_geometries,
    new_sites,
    observations,
)
from minescan.growth.config import Window
from minescan.growth.evaluate import evaluate_growth, true_geometries
from minescan.growth.tables import area_table, change_table
from minescan.polygons.clean import clean_polygons
from minescan.polygons.dated import mapped_before
from minescan.polygons.read import read_polygons

REPO = Path(__file__).resolve().parents[3]
SAMPLE = REPO / "resources" / "amw_sample" / "amw_peixoto_sample.gpkg"
BOX = (-55.125, -10.125, -55.025, -10.025)
WINDOWS = [
    Window("2019", "2019-01-01", "2020-01-01"),
    Window("2021", "2021-01-01", "2022-01-01"),
    Window("2023", "2023-01-01", "2024-01-01"),
]
EPOCHS = [w.epoch for w in WINDOWS]
UTM = 32721
# One z15 cell of the sample's UTM zone, in the grid's columns (for tests that need no grid).
CELL = pd.DataFrame(
    {
        "cell_id": ["z15_32721_277_3470"],
        "epsg": [UTM],
        "xmin": [709120.0],
        "ymin": [8883200.0],
        "xmax": [711680.0],
        "ymax": [8885760.0],
        "country": ["BRA"],
    }
)


@pytest.fixture(scope="module")
def polygons() -> gpd.GeoDataFrame:
    clean, _ = clean_polygons(read_polygons(SAMPLE), SAMPLE, "auto", "year")
    return clean


@pytest.fixture(scope="module")
def cells() -> gpd.GeoDataFrame:
    from minescan.grid.regions import region_cells
    from minescan.grid.steps import level_spec

    spec = level_spec(15, 2560, None, 10, 0.001, 128, 327680)
    return region_cells(shapely.box(*BOX), 15, spec)


def all_observed(cells: pd.DataFrame) -> pd.DataFrame:
    ok = pd.DataFrame({"cell_id": cells["cell_id"], "status": OK, "reason": ""})
    return observations(cells, {e: ok for e in EPOCHS})


def true_area(polygons: gpd.GeoDataFrame, end: str) -> float:
    return float(mapped_before(polygons, end).to_crs(UTM).area.sum())


def test_footprints_from_the_polygons_measure_the_polygons_growth(polygons, cells):
    footprints = true_geometries(polygons, cells, WINDOWS)
    seen = all_observed(cells)
    per_cell, sites = cell_changes(footprints, seen, EPOCHS, 100.0, cells)
    region = change_table(per_cell, cells, "demo").query("level == 'region'")
    # The sample lies inside its cells: the region's areas are the polygons' own areas.
    first, second = region.iloc[0], region.iloc[1]
    assert first["area_from_m2"] == pytest.approx(true_area(polygons, "2020-01-01"), rel=1e-3)
    assert second["area_to_m2"] == pytest.approx(true_area(polygons, "2024-01-01"), rel=1e-3)
    # New area 2019 -> 2021 is what was first mapped in 2020 and 2021, and nothing is lost.
    mapped = polygons[polygons["first_mapped"].isin(["2020-01-01", "2021-01-01"])]
    assert first["new_m2"] == pytest.approx(mapped.to_crs(UTM).area.sum(), rel=1e-3)
    assert first["new_m2"] > 5e6  # several km2: a sample with strong growth
    assert region["lost_m2"].max() == pytest.approx(0.0, abs=1.0)
    evaluation, summary = evaluate_growth(footprints, footprints, seen, cells, WINDOWS, "SIMULATED")
    assert evaluation["new_error_pct"].abs().max() < 1e-9
    assert summary["simulated"] and summary["total_new_error_pct"] == pytest.approx(0.0)


def test_perturbed_footprints_are_measured_as_perturbed(polygons, cells):
    truth = true_geometries(polygons, cells, WINDOWS)
    seen = all_observed(cells)
    # A detector that misses every third new polygon of the last window.
    later = polygons[polygons["first_mapped"].isin(["2022-01-01", "2023-01-01"])]
    missed = later.iloc[::3]
    kept = polygons.drop(index=missed.index)
    measured = true_geometries(kept, cells, WINDOWS)
    evaluation, _ = evaluate_growth(measured, truth, seen, cells, WINDOWS, "SIMULATED")
    last = evaluation.iloc[1]
    expected = -100 * missed.to_crs(UTM).area.sum() / later.to_crs(UTM).area.sum()
    assert last["new_error_pct"] == pytest.approx(expected, rel=1e-3)
    assert evaluation.iloc[0]["new_error_pct"] == pytest.approx(0.0, abs=1e-6)
    # Footprints grown by 20 m at every window: more area, most of it not new.
    grown = polygons.to_crs(UTM).buffer(20).to_crs(4326)
    fat = true_geometries(polygons.set_geometry(grown), cells, WINDOWS)
    evaluation, _ = evaluate_growth(fat, truth, seen, cells, WINDOWS, "SIMULATED")
    assert (evaluation["area_to_error_pct"] > 5).all()


def test_lost_area_is_what_an_earlier_window_had_and_a_later_one_lacks(polygons, cells):
    footprints = true_geometries(polygons, cells, WINDOWS)
    # One 2019 site rehabilitated by 2021.
    gone = mapped_before(polygons, "2020-01-01").to_crs(UTM).area.idxmax()
    shrunk = polygons.drop(index=gone)
    later = true_geometries(shrunk, cells, WINDOWS)
    footprints = {"2019": footprints["2019"], "2021": later["2021"], "2023": later["2023"]}
    per_cell, _ = cell_changes(footprints, all_observed(cells), EPOCHS, 100.0, cells)
    first = change_table(per_cell, cells, "demo").query("level == 'region'").iloc[0]
    area = polygons.loc[[gone]].to_crs(UTM).area.sum()
    assert first["lost_m2"] == pytest.approx(area, rel=1e-3)
    assert first["net_m2"] == pytest.approx(first["new_m2"] - first["lost_m2"], rel=1e-6)


def test_a_cell_without_a_clear_observation_is_recorded_not_counted_as_loss(polygons, cells):
    footprints = true_geometries(polygons, cells, WINDOWS)
    busiest = footprints["2021"].map(shapely.area).idxmax()
    statuses = {e: pd.DataFrame({"cell_id": cells["cell_id"], "status": OK}) for e in EPOCHS}
    cloudy = statuses["2021"]["cell_id"] == busiest
    statuses["2021"] = statuses["2021"].assign(
        status=np.where(cloudy, "cloudy", OK), reason=np.where(cloudy, "valid 0.2 %", "")
    )
    seen = observations(cells, statuses)
    footprints["2021"][busiest] = shapely.Polygon()  # no footprints where nothing was seen
    per_cell, _ = cell_changes(footprints, seen, EPOCHS, 100.0, cells)
    rows = per_cell[per_cell["cell_id"] == busiest]
    assert rows["status"].str.contains("no clear observation at 2021").all()
    assert rows["new_m2"].isna().all() and rows["lost_m2"].isna().all()
    region = change_table(per_cell, cells, "demo").query("level == 'region'")
    assert (region["cells_left_out"] == 1).all()
    assert region["lost_m2"].max() == pytest.approx(0.0, abs=1.0)
    areas = area_table(cell_areas(footprints, seen), cells, "demo")
    pick = (areas["level"] == "cell") & (areas["key"] == busiest) & (areas["epoch"] == "2021")
    cell_row = areas[pick].iloc[0]
    assert np.isnan(cell_row["mine_area_m2"]) and "cloudy" in cell_row["reason"]


def test_new_sites_are_footprints_far_from_every_earlier_one(cells):
    boxes = cells.iloc[:1]
    x, y = boxes["xmin"].iloc[0], boxes["ymin"].iloc[0]
    square = shapely.box(x + 100, y + 100, x + 300, y + 300)
    near = shapely.box(x + 350, y + 100, x + 450, y + 200)  # 50 m from the old pit
    far = shapely.box(x + 1500, y + 1500, x + 1700, y + 1700)
    cell = boxes["cell_id"].iloc[0]
    earlier = pd.Series([square], index=[cell])
    later = pd.Series([shapely.union_all([square, near, far])], index=[cell])
    sites = new_sites(earlier, later, [cell], boxes, 100.0)
    assert len(sites) == 1
    assert sites["area_m2"].iloc[0] == pytest.approx(200 * 200)
    assert sites["cell_id"].iloc[0] == cell
    assert len(new_sites(earlier, later, [cell], boxes, 0.0)) == 2
    assert len(new_sites(earlier, later, [cell], boxes, 2000.0)) == 0


def test_a_footprint_across_a_cell_edge_counts_once(cells, polygons):
    centre = shapely.Point((BOX[0] + BOX[2]) / 2, (BOX[1] + BOX[3]) / 2)
    spread = gpd.GeoDataFrame(geometry=[centre.buffer(0.02)], crs=4326).to_crs(UTM)
    per_cell = mine_geometries(spread.to_crs(4326), cells)
    assert (per_cell.map(shapely.area) > 0).sum() > 1
    assert per_cell.map(shapely.area).sum() == pytest.approx(spread.area.iloc[0], rel=1e-3)


def test_no_footprints_at_all_is_no_mining_not_a_crash(polygons, cells):
    truth = true_geometries(polygons, cells, WINDOWS)
    empty = gpd.GeoDataFrame(geometry=[], crs=4326)
    nothing = {w.epoch: mine_geometries(empty, cells) for w in WINDOWS}
    seen = all_observed(cells)
    per_cell, sites = cell_changes(nothing, seen, EPOCHS, 100.0, cells)
    assert len(sites) == 0 and (per_cell["new_m2"] == 0).all()
    evaluation, summary = evaluate_growth(nothing, truth, seen, cells, WINDOWS, "SIMULATED")
    assert (evaluation["new_error_pct"] == -100).all()
    assert summary["total_new_error_pct"] == -100


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 2400), st.integers(0, 2400), st.integers(10, 800)),
        min_size=0,
        max_size=6,
    ),
    st.lists(
        st.tuples(st.integers(0, 2400), st.integers(0, 2400), st.integers(10, 800)),
        min_size=0,
        max_size=6,
    ),
)
@pytest.mark.slow
def test_area_accounting_balances_for_any_footprints(before, after):
    """area_to = area_from + new - lost, new and lost never negative, whatever overlaps."""
    cells = CELL.copy()
    x, y = cells["xmin"].iloc[0], cells["ymin"].iloc[0]

    def squares(spec):
        boxes = [shapely.box(x + a, y + b, x + a + s, y + b + s) for a, b, s in spec]
        return pd.Series([shapely.union_all(boxes)], index=cells["cell_id"])

    geometries = {"2019": squares(before), "2021": squares(after)}
    ok = pd.DataFrame({"cell_id": cells["cell_id"], "status": OK})
    seen = observations(cells, {"2019": ok, "2021": ok})
    per_cell, _ = cell_changes(geometries, seen, ["2019", "2021"], 50.0, cells)
    row = per_cell.iloc[0]
    assert row["new_m2"] >= 0 and row["lost_m2"] >= 0
    assert row["area_to_m2"] == pytest.approx(
        row["area_from_m2"] + row["new_m2"] - row["lost_m2"], abs=1.0
    )
    assert row["new_m2"] <= row["area_to_m2"] + 0.1
