"""Growth of real-style chip pairs against yearly polygons, on a tiny synthetic chip set whose
masks are known: label years per date, areas, growth and their agreement figures."""

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import torch

from minescan.chips.georef import PolygonLabeller, chip_frame, read_yearly_polygons
from minescan.chips.load import load_chips
from minescan.chips.weak import label_chips
from minescan.errors import MinescanInputError
from minescan.growth.chip_pairs import evaluate_chip_pairs, polygon_truth
from minescan.growth.chip_segment import ChipSegmenterOptions, encode, train_chip_segmenter
from minescan.growth.pair_metrics import (
    QUANTITIES,
    block_intervals,
    block_totals,
    label_agreement,
    pair_areas,
    point_figures,
)
from minescan.utm import transformer

SIDE = 48
PIXEL_M2 = 100.0
PLACES = 9
FOREST = np.array([300, 600, 350, 3200, 1500, 600])
BARE = np.array([900, 1200, 1600, 2000, 3000, 2600])


def columns(i: int) -> tuple[int, int]:
    """Chip ``i``: columns [0, a) mined by 2018, [a, b) first mapped in 2019."""
    a = 2 + 3 * i
    return a, a + 2 * (i % 5)


def column_box(lon, lat, first, last):
    """The chip's columns [first, last) (all rows) as a lon/lat polygon."""
    frame = chip_frame(lon, lat, (SIDE, SIDE))
    x0, y0, _, y1 = frame.bounds
    box = shapely.box(x0 + 10 * first, y0 - 50, x0 + 10 * last, y1 + 50)
    back = transformer(frame.epsg, 4326)
    return shapely.transform(box, lambda xy: np.column_stack(back.transform(*xy.T)))


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """Nine places a degree and a half apart; the 2018 layer, the new mining of 2019 and of
    2024 (after every t1 window: must label nothing); images drawn from the masks."""
    root = tmp_path_factory.mktemp("chip_pairs")
    chips, polygons = root / "chips", root / "polygons"
    (chips / "images").mkdir(parents=True)
    polygons.mkdir()
    rng = np.random.default_rng(0)
    rows, layers = [], {2018: [], 2019: [], 2024: []}
    for i in range(PLACES):
        lon, lat = -64.0 + 1.5 * i, -6.0 + 0.3 * i
        a, b = columns(i)
        layers[2018].append(column_box(lon, lat, 0, a))
        if b > a:
            layers[2019].append(column_box(lon, lat, a, b))
        layers[2024].append(column_box(lon, lat, b, SIDE))
        category = ("mining_emergence", "natural_change", "human_activity")[i % 3]
        row = {"sample_id": f"s{i}", "label": int(category == "mining_emergence")}
        row |= {"category": category, "longitude": lon, "latitude": lat}
        row |= {"t0_start": "2018-01-01", "t0_end": "2018-12-31"}
        row |= {"t1_start": "2021-01-01", "t1_end": "2021-12-31"}
        for time, mined in (("t0", a), ("t1", b)):
            mask = np.zeros((SIDE, SIDE, 1), dtype=bool)
            mask[:, :mined] = True
            image = np.where(mask, BARE, FOREST) * rng.normal(1, 0.03, (SIDE, SIDE, 6))
            np.save(chips / "images" / f"s{i}_{time}.npy", image.astype(np.int16))
            row[f"{time}_path"] = f"images/s{i}_{time}.npy"
        rows.append(row)
    pd.DataFrame(rows).to_csv(chips / "chips.csv", index=False)
    for year, shapes in layers.items():
        gpd.GeoDataFrame(geometry=shapes, crs=4326).to_file(
            polygons / f"mining_{year}00_simplified.geojson", driver="GeoJSON"
        )
    return chips, polygons


def test_t0_takes_the_polygons_of_its_window_and_t1_those_of_its_own(synthetic):
    chips_folder, polygons = synthetic
    chips = load_chips(chips_folder)
    labels = label_chips(chips, PolygonLabeller(read_yearly_polygons(polygons)))
    truth = polygon_truth(chips, labels.mine).set_index("sample_id")
    assert (truth["label_year_t0"] == 2018).all() and (truth["label_year_t1"] == 2021).all()
    for i in range(PLACES):
        a, b = columns(i)
        row = truth.loc[f"s{i}"]
        # t0: the 2018 layer only; t1: 2018 and 2019, never 2024's
        assert row["area_t0_polygons"] == a * SIDE * PIXEL_M2
        assert row["area_t1_polygons"] == b * SIDE * PIXEL_M2
        assert row["growth_polygons"] == row["new_polygons"] == (b - a) * SIDE * PIXEL_M2


def test_pair_areas_count_growth_net_and_new_area_gross():
    t0 = np.zeros((2, 4, 4), dtype=np.uint8)
    t1 = np.zeros((2, 4, 4), dtype=np.uint8)
    t0[0, :2] = 1  # 8 px at t0
    t1[0, 1:3] = 1  # 8 px at t1: 4 lost, 4 new
    t1[1, 0, 0] = 1
    areas = pair_areas(t0, t1, pixel_m=10.0)
    assert areas.loc[0].tolist() == [800.0, 800.0, 0.0, 400.0]
    assert areas.loc[1].tolist() == [0.0, 100.0, 100.0, 100.0]
    with pytest.raises(ValueError, match="differ in shape"):
        pair_areas(t0, t1[:, :3])


def test_agreement_figures_and_block_intervals():
    truth = np.array([0.0, 1e4, 3e4, 2e4, 5e4, 0.0])
    perfect = point_figures(truth, truth)
    assert perfect["pearson"] == pytest.approx(1) and perfect["spearman"] == pytest.approx(1)
    assert perfect["mae_ha"] == 0 and perfect["total_error_pct"] == 0
    doubled = point_figures(2 * truth, truth)
    assert doubled["pearson"] == pytest.approx(1)
    assert doubled["total_error_pct"] == pytest.approx(100)
    assert doubled["mae_ha"] == pytest.approx(truth.mean() / 1e4)
    reversed_ = point_figures(truth[::-1], truth)
    assert reversed_["pearson"] == pytest.approx(np.corrcoef(truth[::-1], truth)[0, 1])
    assert np.isnan(point_figures(np.zeros(6), truth)["pearson"])  # a constant predicts nothing
    noisy = truth + np.array([5e3, -4e3, 6e3, -5e3, 2e3, 1e3])
    blocks = np.array(["a", "a", "b", "b", "c", "c"])
    figures = point_figures(noisy, truth)
    bounds = block_intervals(noisy, truth, blocks, 200, 0)
    assert bounds["pearson_lo"] <= figures["pearson"] <= bounds["pearson_hi"] <= 1
    assert bounds["mae_ha_lo"] <= figures["mae_ha"] <= bounds["mae_ha_hi"]


def test_label_agreement_compares_categories_with_polygon_growth():
    truth = pd.DataFrame(
        {
            "category": ["mining_emergence", "mining_emergence", "natural_change"],
            "new_polygons": [5000.0, 0.0, 0.0],
            "area_t0_polygons": [0.0, 100.0, 0.0],
            "area_t1_polygons": [5000.0, 100.0, 0.0],
            "centre_new": [True, False, False],
            "chip_m2": 10000.0,
        }
    )
    table = label_agreement(truth, min_new_m2=1000).set_index("category")
    assert table.loc["mining_emergence", "polygons_grew"] == 0.5
    assert table.loc["natural_change", "category_agrees"] == 1.0
    assert table.loc["all", "category_agrees"] == pytest.approx(2 / 3)
    assert table.loc["all", "pairs"] == 3


@pytest.mark.slow
def test_out_of_fold_growth_follows_the_polygons_on_separable_chips(synthetic, tmp_path):
    chips, polygons = synthetic
    out = tmp_path / "out"
    metrics = evaluate_chip_pairs(
        chips,
        polygons,
        out,
        folds=3,
        options=ChipSegmenterOptions(epochs=1, batch=8),
        pixels_per_chip=128,
        n_boot=50,
        seed=1,
    )
    growth = metrics.set_index(["model", "quantity"])
    # the pixel model separates bare soil from forest: its masks give the polygons' growth
    assert growth.loc[("pixel_gradient_boosting", "growth"), "pearson"] > 0.95
    assert abs(growth.loc[("pixel_gradient_boosting", "new"), "total_error_pct"]) < 10
    # carrying t0 to t1 misses all growth
    no_change = growth.loc[("no_change", "new")]
    assert no_change["total_error_pct"] == -100
    pairs = pd.read_csv(out / "pairs.csv")
    assert no_change["mae_ha"] == pytest.approx(
        pairs.loc[pairs["model"] == "no_change", "new_polygons"].mean() / 1e4
    )
    # every pair scored once per model, out of fold
    assert (pairs.groupby("model")["sample_id"].nunique() == PLACES).all()
    assert set(pairs["fold"]) == {0, 1, 2}
    for name in ("metrics", "by_category", "per_fold", "per_block", "label_agreement", "history"):
        assert (out / f"{name}.csv").stat().st_size > 0
    assert (out / "growth_scatter.png").stat().st_size > 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["pairs"] == PLACES and summary["minescan_provenance"]["params"]["folds"] == 3


def test_unknown_scheme_is_a_clear_error(synthetic, tmp_path):
    chips, polygons = synthetic
    with pytest.raises(MinescanInputError, match="--schemes"):
        evaluate_chip_pairs(chips, polygons, tmp_path / "x", schemes=("leave_one_out",))
    assert not (tmp_path / "x").exists()


def test_block_totals_sum_each_blocks_pairs():
    pairs = pd.DataFrame(
        {
            "scheme": "spatial_cv",
            "model": "unet",
            "block": ["a", "a", "b"],
            **{f"{q}_{s}": [1.0, 2.0, 5.0] for q in QUANTITIES for s in ("predicted", "polygons")},
        }
    )
    totals = block_totals(pairs).set_index("block")
    assert totals.loc["a", "new_polygons"] == 3.0 and totals.loc["b", "growth_predicted"] == 5.0


@pytest.mark.slow
def test_a_paired_segmenter_sees_both_dates_and_which_one_it_draws():
    rng = np.random.default_rng(0)
    chips = rng.integers(100, 3000, (4, 2, SIDE, SIDE, 6)).astype(np.float32)
    mine = np.zeros((4, SIDE, SIDE), dtype=np.uint8)
    mine[:, :, :10] = 1
    role = np.array([0, 1, 0, 1], dtype=np.float32)
    options = ChipSegmenterOptions(epochs=1, batch=4, paired=True)
    model = train_chip_segmenter(chips, mine, chips, mine, options, role, role)
    x = encode(model.normaliser, chips, role)
    assert x.shape == (4, 13, SIDE, SIDE)  # 6 bands of each date and the role
    assert torch.equal(x[:, 12, 0, 0], torch.from_numpy(role))
    masks = model.mask(chips, role)
    assert masks.shape == (4, SIDE, SIDE) and masks.dtype == bool
    with pytest.raises(ValueError, match="role"):
        model.probability(chips)
