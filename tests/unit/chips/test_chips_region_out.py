"""Region-out evaluation: bands held out in turn, far from what trains and validates."""

import numpy as np
import pandas as pd
import pytest
from fixtures.imagery import CHIPS, needs_chips

from minescan.chips.crossval import Scheme, cross_validate
from minescan.chips.folds import RegionOut, buffer_mask, region_edges, region_folds
from minescan.chips.load import load_chips
from minescan.chips.metrics import specificity_threshold
from minescan.chips.tasks import presence_task
from minescan.errors import MinescanInputError


def places(n: int = 60, seed: int = 0) -> pd.DataFrame:
    """Pairs of rows (two chips of a place share its coordinates) over 30 degrees."""
    rng = np.random.default_rng(seed)
    lon = np.repeat(np.sort(rng.uniform(-75, -45, n)), 2)
    y = np.tile([1.0, 0.0], n)
    return pd.DataFrame({"longitude": lon, "latitude": rng.uniform(-10, 5, 2 * n), "y": y})


def scheme_of(frame: pd.DataFrame, region_out: RegionOut) -> Scheme:
    folds, _ = region_folds(frame, region_out)
    return Scheme("region_out", folds, frame["longitude"].to_numpy(), region_out.buffer_deg)


def test_every_region_is_held_out_once_and_no_row_is_in_two_splits():
    frame = places()
    scheme = scheme_of(frame, RegionOut(regions=4, buffer_deg=1.0))
    assert set(scheme.folds) == {0, 1, 2, 3}
    held = np.concatenate([scheme.roles(k)["test"] for k in range(4)])
    assert np.array_equal(np.sort(held), np.arange(len(frame)))  # each row tested exactly once
    for k in range(4):
        roles = scheme.roles(k)
        parts = [set(roles[r].tolist()) for r in ("train", "validation", "test")]
        assert not (parts[0] & parts[1]) and not (parts[0] & parts[2]) and not (parts[1] & parts[2])
        assert set(scheme.folds[roles["test"]]) == {k}
        assert set(scheme.folds[roles["validation"]]) <= {(k + 1) % 4}


def test_regions_are_contiguous_bands_and_places_are_never_cut():
    frame = places()
    folds, edges = region_folds(frame, RegionOut(regions=4))
    assert len(edges) == 3 and np.all(np.diff(edges) > 0)
    bands = pd.DataFrame({"fold": folds, "lon": frame["longitude"]}).groupby("fold")["lon"]
    assert (bands.max().to_numpy()[:-1] < bands.min().to_numpy()[1:]).all()  # west to east
    assert (pd.Series(folds).groupby(frame["longitude"]).nunique() == 1).all()
    counts = np.bincount(folds)
    assert counts.max() - counts.min() <= 4  # about equal numbers of places


@pytest.mark.parametrize("buffer_deg", [0.0, 1.0, 3.0])
def test_nothing_that_trains_or_validates_lies_within_the_buffer(buffer_deg):
    frame = places(80, seed=3)
    scheme = scheme_of(frame, RegionOut(regions=4, buffer_deg=buffer_deg))
    lon = frame["longitude"].to_numpy()
    for k in range(4):
        roles = scheme.roles(k)
        test = lon[roles["test"]]
        for role in ("train", "validation"):
            seen = lon[roles[role]]
            gap = np.abs(seen[:, None] - test[None, :]).min()
            assert gap >= buffer_deg
    assert not buffer_mask(lon, scheme.folds, 0, 0.0).any()


def test_model_selection_never_sees_the_held_out_region():
    """A fitter that records what it trains and validates on: never a held-out row, and the
    thresholds come from validation scores only (test scores are poisoned, thresholds not)."""
    frame = places(40, seed=1)
    scheme = scheme_of(frame, RegionOut(regions=4, buffer_deg=0.5))
    seen = []

    def fitter(train, validation, scored):
        seen.append((train, validation, scored))
        return {"spy": (frame["y"].to_numpy()[validation], np.full(len(scored), 7.0))}

    predictions = cross_validate("presence", frame["y"].to_numpy(), frame, scheme, [fitter], 0)
    assert len(seen) == 4
    for k, (train, validation, scored) in enumerate(seen):
        assert set(scheme.folds[scored]) == {k}
        assert k not in set(scheme.folds[train]) | set(scheme.folds[validation])
    assert (predictions["threshold"] <= 1.0).all()
    assert (predictions["threshold_specificity"] <= 1.0 + 1e-9).all()
    assert set(predictions["scheme"]) == {"region_out"}


def test_specificity_threshold_keeps_the_share_of_negatives_flagged():
    rng = np.random.default_rng(0)
    y = np.r_[np.zeros(400), np.ones(100)]
    score = np.r_[rng.normal(0, 1, 400), rng.normal(2, 1, 100)]
    threshold = specificity_threshold(y, score, 0.99)
    assert (score[y == 0] >= threshold).sum() == 4  # floor(0.01 * 400)
    assert specificity_threshold(y[:50], score[:50], 0.99) > score[:50].max()  # no negative


def test_too_many_regions_or_one_class_regions_are_clear_errors():
    with pytest.raises(MinescanInputError, match="at least 3"):
        region_edges(np.arange(10.0), 2)
    frame = places(20)
    frame.loc[frame["longitude"] < frame["longitude"].median(), "y"] = 1.0
    with pytest.raises(MinescanInputError, match="one class"):
        region_folds(frame, RegionOut(regions=4))


@pytest.mark.slow
@needs_chips
def test_real_regions_are_bands_of_several_degrees_with_both_classes():
    task = presence_task(load_chips(CHIPS))
    folds, edges = region_folds(task, RegionOut(regions=4, buffer_deg=1.0))
    per = pd.DataFrame({"fold": folds, "y": task["y"], "lon": task["longitude"]})
    per = per.groupby("fold").agg(pos=("y", "sum"), n=("y", "count"), w=("lon", "min"))
    assert ((per["pos"] > 50) & (per["n"] - per["pos"] > 30)).all()
    assert (np.diff(np.r_[task["longitude"].min(), edges, task["longitude"].max()]) > 2).all()
    assert (pd.Series(folds).groupby(task["sample_id"]).nunique() == 1).all()


@pytest.mark.slow
def test_paired_comparison_of_two_tries(tmp_path, capsys):
    from experiments.chips.compare import main as compare

    rng = np.random.default_rng(0)
    n = 200
    y = np.tile([0.0, 1.0], n // 2)
    base = pd.DataFrame(
        {
            "row": np.arange(n),
            "scheme": "region_out",
            "y": y,
            "longitude": rng.uniform(-70, -50, n),
            "latitude": rng.uniform(-10, 5, n),
        }
    )
    weak = base.assign(model="weak", score=y + rng.normal(0, 2, n))
    strong = base.assign(model="strong", score=y + rng.normal(0, 0.3, n))
    pd.concat([weak, strong]).to_parquet(tmp_path / "predictions.parquet")
    compare([f"{tmp_path}:weak", f"{tmp_path}:strong", f"{tmp_path}:weak", "--bootstrap", "50"])
    lines = capsys.readouterr().out.splitlines()
    assert "PR-AUC +0.000 [+0.000, +0.000]" in lines[1]
    low = float(lines[0].split("[")[1].split(",")[0])
    assert low > 0  # the better model wins on the same rows


@pytest.mark.slow
@needs_chips
def test_the_evaluation_reports_both_schemes_and_ships_a_region_validated_model(tmp_path):
    import torch
    from fixtures.chips import copy_chips

    from minescan.chips.cnn import TrainSettings
    from minescan.chips.evaluate import Settings, evaluate_chips

    torch.set_num_threads(1)
    folder = copy_chips(CHIPS, tmp_path / "chips", pairs_per_label=40, seed=2)
    settings = Settings(
        block_deg=2.0,
        folds=3,
        seed=1,
        members=1,
        cnn=TrainSettings(width=4, epochs=1, patience=1),
        bootstrap=0,
        pixel_models=False,
        region_out=RegionOut(regions=3, buffer_deg=0.5),
    )
    result = evaluate_chips(load_chips(folder), settings)
    assert set(result.metrics["scheme"]) == {"spatial_cv", "region_out"}
    assert result.metrics["sensitivity_at_validation_threshold_0.99"].notna().all()
    regions = result.folds[result.folds["scheme"] == "region_out"]
    assert len(regions) == 2 * 3  # both tasks, every region
    held = result.predictions[result.predictions["scheme"] == "region_out"]
    assert not held.duplicated(["task", "model", "row"]).any()
    assert result.models["presence"].threshold_specificity is not None
