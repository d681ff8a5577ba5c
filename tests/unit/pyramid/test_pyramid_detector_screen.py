"""The detector as a pyramid level's screen: the suite's tiny detector (two epochs
of 20 tiles of 128 px) scores a shard of minescan tiles through the rule's function, in the pixel
screen's columns with the best box as max_probability; the box-score raster; the detector
level's model (pyramid.detector_model or the detection stage's own), its pixel size and bands
checked before any job."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import rasterio
from fixtures.detection import (
    BANDS,
    synthetic_scene,
    write_minescan_tile,
)

from minescan.detection.record import load_detector
from minescan.errors import MinescanInputError
from minescan.ml.tiles import read_image
from minescan.probability.apply import SCORE_COLUMNS
from minescan.pyramid.detector_screen import box_raster, detector_screen_shard
from minescan.pyramid.levels import (
    check_workflow_screens,
    detector_level_models,
    level_statistic,
    pyramid_levels,
)
from minescan.pyramid.screens import detector_score, load_screen

GRID = {"zoom_levels": [15, 16], "cell_size_m": 2560, "pixel_size_m": 10}
OPTIONS = {"confidence": 0.01, "iou": 0.5, "overlap": 32}


@pytest.fixture(scope="module")
def weights(tiny_detector):
    return tiny_detector


def shard(folder, size=160):
    """Three minescan tiles (two with a mine, one without) and one without data, their status."""
    rng = np.random.default_rng(3)
    (folder / "tiles").mkdir(parents=True)
    rows = []
    for i, mines in enumerate([1, 2, 0]):
        data, mine = synthetic_scene(size, rng, mines)
        write_minescan_tile(folder / "tiles" / f"c{i}.tif", data, mine, i)
        rows.append({"cell_id": f"cell{i}", "tile": f"c{i}.tif", "status": "ok"})
    empty = np.zeros((len(BANDS), size, size), dtype=np.uint16)
    write_minescan_tile(folder / "tiles" / "c3.tif", empty, np.zeros((size, size)), 3)
    rows.append({"cell_id": "cell3", "tile": "c3.tif", "status": "ok"})
    rows.append({"cell_id": "cell4", "tile": "c4.tif", "status": "failed"})
    pd.DataFrame(rows).to_csv(folder / "status.csv", index=False)
    return folder


@pytest.mark.slow
def test_the_rule_scores_a_shard_with_the_best_box_in_the_screens_columns(weights, tmp_path):
    folder = shard(tmp_path)
    frame = detector_screen_shard(
        tiles_dir=str(folder / "tiles"),
        status=str(folder / "status.csv"),
        model=str(weights),
        out_dir=str(tmp_path / "out"),
        scores=str(tmp_path / "scores.parquet"),
        provenance={"test": "detector screen"},
        settings_dir=str(tmp_path / "ultralytics"),
        **OPTIONS,
    )
    assert list(frame.columns) == list(SCORE_COLUMNS)
    assert list(frame["cell_id"]) == ["cell0", "cell1", "cell2", "cell3"]  # not the failed one
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "scores.parquet"), frame)
    detector = load_detector(weights, tmp_path / "ultralytics")
    for i, row in frame.iloc[:3].iterrows():
        tile = read_image(folder / "tiles" / f"c{i}.tif")
        assert row["valid_pixels"] == 160 * 160
        assert row["mine_fraction"] == pytest.approx(tile.mine.mean())
        assert row["max_probability"] == pytest.approx(detector_score(detector, tile, **OPTIONS))
        with rasterio.open(row["probability_path"]) as src:
            raster = src.read(1)
            assert src.descriptions == ("best_box_score",) and src.crs == tile.crs
        assert np.nanmax(raster) == pytest.approx(row["max_probability"], abs=1e-6)
        assert row["detected_fraction"] == pytest.approx(np.mean(raster >= 0.01))
        assert 0 <= row["p95_probability"] <= row["p99_probability"] <= row["max_probability"]
    assert frame["max_probability"].iloc[:3].max() > 0  # the detector finds something
    assert frame.iloc[3]["valid_pixels"] == 0
    assert np.isnan(frame.iloc[3]["max_probability"])  # no data: kept, as by the other screens
    # the false-positive command's screen loads the same detector from its weights alone
    screen = load_screen("detector", weights, tmp_path / "ultralytics")
    data = read_image(folder / "tiles" / "c0.tif")
    assert screen.score(data.data, data.bands, data) == pytest.approx(
        detector_score(detector, data)
    )


def test_the_box_raster_holds_the_best_box_covering_each_pixel():
    boxes = pd.DataFrame(
        {
            "px_x0": [0.0, 2.5, 7.2, 8.0],
            "px_y0": [0.0, 1.0, 7.2, -3.0],
            "px_x1": [4.0, 6.0, 7.4, 20.0],
            "px_y1": [3.0, 4.0, 7.4, 2.0],
            "score": [0.3, 0.8, 0.5, 0.1],
        }
    )
    raster = box_raster(boxes, (10, 10))
    assert raster[0, 0] == pytest.approx(0.3) and raster[2, 3] == pytest.approx(0.8)
    assert raster[7, 7] == pytest.approx(0.5) and (raster[7:, :7] == 0).all()  # a tiny box
    assert raster[0, 9] == pytest.approx(0.1) and raster[2, 9] == 0  # clipped to the tile
    assert box_raster(boxes.iloc[:0], (4, 4)).sum() == 0


def test_a_detector_level_is_thresholded_on_its_best_box():
    levels = pyramid_levels(GRID, {"levels": [15, 16], "screen": {16: "detector"}})
    assert [level_statistic(lv, "detected_fraction") for lv in levels] == [
        "detected_fraction",
        "max_probability",
    ]


def test_a_detector_level_without_a_model_stops_naming_the_key(weights, tmp_path):
    levels = pyramid_levels(GRID, {"levels": [15, 16], "screen": "detector"})
    # null: the detection stage's own model, if it trains the zoom at the level's pixel size
    with pytest.raises(MinescanInputError, match=r"pyramid.detector_model is null.*zoom 15"):
        detector_level_models(levels, None, [16], 10, "results")
    at_10m = pyramid_levels(
        GRID, {"levels": [15, 16], "screen": "detector", "pixel_size_m": [10, 10]}
    )
    assert detector_level_models(at_10m, None, [15, 16], 10, "r") == {
        15: "r/detection/z15/train/final/weights.pt",
        16: "r/detection/z16/train/final/weights.pt",
    }
    with pytest.raises(MinescanInputError, match=r"learns from 10 m tiles.*20 m"):
        detector_level_models(levels, None, [15, 16], 10, "results")
    # a given model must be there with its record: nothing in the workflow makes it
    with pytest.raises(MinescanInputError, match="pyramid.detector_model"):
        detector_level_models(levels, str(tmp_path / "none.pt"), [16], 10, "results")
    alone = tmp_path / "weights.pt"
    alone.write_bytes(weights.read_bytes())
    with pytest.raises(MinescanInputError, match="detector.json beside them"):
        detector_level_models(levels, str(alone), [16], 10, "results")
    models = detector_level_models(levels, str(weights), [], 10, "results")
    assert models == {15: str(weights), 16: str(weights)}
    check_workflow_screens(levels, BANDS, "cnn.pt", True, False, models)
    with pytest.raises(MinescanInputError, match=r"lack \['B2'\]"):
        check_workflow_screens(levels, ("B3", "B4", "B8"), "cnn.pt", True, False, models)
    with pytest.raises(MinescanInputError, match="streams the pixel model only"):
        check_workflow_screens(levels, BANDS, "cnn.pt", True, True, models)
    record = json.loads(weights.with_name("detector.json").read_text())
    assert sorted(f["a"] for f in record["features"]) == ["B2", "B3", "B4"]


@pytest.mark.slow
def test_the_detector_screen_thresholds_keep_the_target_recall_of_unseen_tiles(weights, tmp_path):
    from experiments.pyramid.detector_screen_thresholds import main as choose
    from experiments.pyramid.false_positives import read_thresholds

    path = weights
    table = pd.read_csv(path.parents[2] / "tiles.csv")
    assert (table["split"] == "test").any()
    record = choose(["--model", str(path), "--tiles", str(path.parents[2] / "tiles.csv")])
    detector = load_detector(path, tmp_path / "ultralytics")
    scores = np.array(
        [
            detector_score(detector, read_image(p, need_mine=False))
            for p in table.loc[table["split"] == "test", "image"]
        ]
    )
    assert record["tiles"] == len(scores)
    assert np.mean(scores >= record["threshold_recall"]) >= 0.98
    assert record["threshold_recall"] in scores  # the lowest score it must keep
    assert read_thresholds(path) == {"recall": record["threshold_recall"], "confidence": 0.25}
    with pytest.raises(MinescanInputError, match="no tile of split 'holdout'"):
        choose(
            [
                "--model",
                str(path),
                "--tiles",
                str(path.parents[2] / "tiles.csv"),
                "--split",
                "holdout",
            ]
        )
