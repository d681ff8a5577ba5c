"""The model steps chained on simulated pixel tables, as the workflow runs them."""

import json

import numpy as np
import pandas as pd
import pytest
from fixtures.pixel_tables import BANDS, pixel_table, write_tables

from minescan.errors import MinescanInputError
from minescan.imagery.backends.gee import composite_params
from minescan.outputs import write_parquet
from minescan.pixelmodels import steps
from minescan.pixelmodels.linear import LinearModel
from minescan.probability.gee import evaluate_probability
from minescan.probability.steps import export_gee

FLAGS = {"use_bands": True, "pairs": True, "indices": True}


def _datasets(tables, root, max_rows=8000):
    steps.build_datasets(
        tables=tables,
        pixel_out=str(root / "pixel.parquet"),
        patch_out=str(root / "patch.parquet"),
        bands=BANDS,
        max_rows=max_rows,
        seed=3,
        split_by="cell",
        fractions=[0.6, 0.2, 0.2],
        edge_buffer_m=0,
        patch_size=4,
        provenance={},
    )
    return pd.read_parquet(root / "patch.parquet")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    tables = write_tables(root / "pixels", n_shards=2, n_cells=16)
    _datasets(tables, root)
    preds = {}
    for unit in ("pixel", "patch"):
        for kind in ("lasso", "logistic"):
            out = {
                k: str(root / unit / kind / f"{k}.{ext}")
                for k, ext in [
                    ("weights", "parquet"),
                    ("scores", "csv"),
                    ("zero_order", "csv"),
                    ("model", "json"),
                    ("predictions", "parquet"),
                    ("weights_plot", "png"),
                    ("scores_plot", "png"),
                ]
            }
            steps.run_linear_path(
                dataset=str(root / f"{unit}.parquet"),
                kind=kind,
                unit=unit,
                bands=BANDS,
                feature_flags=FLAGS,
                target="distance" if kind == "lasso" else "mine",
                distance_clip_m=100,
                n_lambdas=12,
                lambda_min_ratio=1e-3,
                max_rows=5000,
                tolerance=0.01,
                seed=0,
                out=out,
                provenance={},
            )
            preds[f"{unit}/{kind}"] = out["predictions"]
        path = str(root / unit / "hgb.parquet")
        steps.run_family(
            dataset=str(root / f"{unit}.parquet"),
            family="hist_gradient_boosting",
            unit=unit,
            bands=BANDS,
            feature_flags=FLAGS,
            max_rows=4000,
            seed=0,
            threads=1,
            predictions=path,
            provenance={},
        )
        preds[f"{unit}/hist_gradient_boosting"] = path
    return root, preds


@pytest.mark.slow
def test_held_out_cells_never_seen_in_training(trained):
    root, _ = trained
    data = pd.read_parquet(root / "pixel.parquet")
    assert (data.groupby("cell_id")["split"].nunique() == 1).all()
    patches = pd.read_parquet(root / "patch.parquet")
    merged = patches.merge(data[["cell_id", "split"]].drop_duplicates(), on="cell_id")
    assert (merged["split_x"] == merged["split_y"]).all()


@pytest.mark.slow
def test_path_outputs_and_comparison(trained):
    root, preds = trained
    weights = pd.read_parquet(root / "pixel" / "lasso" / "weights.parquet")
    assert weights["lambda"].is_monotonic_decreasing and len(weights) == 12
    order = pd.read_csv(root / "pixel" / "lasso" / "zero_order.csv")
    assert sorted(order["vanish_order"]) == list(range(1, len(order) + 1))
    table = steps.compare_models(
        predictions=preds,
        comparison=str(root / "comparison.csv"),
        breakdown_out=str(root / "breakdown.csv"),
        pr_plot=str(root / "pr.png"),
        breakdown_by=["country", "climate"],
    )
    assert len(table) == 6
    assert {"precision", "recall", "f1", "iou", "pr_auc"} <= set(table.columns)
    pixel = table[table["unit"] == "pixel"].set_index("model")
    assert (pixel["pr_auc"] > 0.8).all()  # simulated mines are easy to see
    breakdown = pd.read_csv(root / "breakdown.csv")
    assert set(breakdown["by"]) == {"country", "climate"}
    assert (root / "pr.png").stat().st_size > 1000


@pytest.mark.slow
def test_channels_and_gee_export_of_the_deployed_model(trained):
    root, _ = trained
    record = steps.rank_channel_evidence(
        dataset=str(root / "pixel.parquet"),
        bands=BANDS,
        feature_flags=FLAGS,
        lasso_order=str(root / "pixel" / "lasso" / "zero_order.csv"),
        logistic_order=str(root / "pixel" / "logistic" / "zero_order.csv"),
        deployed_model=str(root / "pixel" / "logistic" / "model.json"),
        top_k=3,
        max_rows=4000,
        seed=0,
        ranking_out=str(root / "channels.csv"),
        channels_out=str(root / "channels.json"),
        provenance={},
    )
    saved = json.loads((root / "channels.json").read_text())
    assert saved["detection_channels"] == record["detection_channels"]
    assert len(saved["detection_channels"]) == 3 and saved["bands_needed"]
    assert set(saved["subset_validation_pr_auc"]) >= {"bands only", "all features"}
    assert [r["rank"] for r in saved["ranking"]] == list(range(1, len(saved["ranking"]) + 1))
    export_gee(
        model=str(root / "pixel" / "logistic" / "model.json"),
        composite=composite_params({"bands": list(BANDS)}, ["2019-01-01", "2020-01-01"]),
        python_out=str(root / "ee.py"),
        javascript_out=str(root / "ee.js"),
        expression_out=str(root / "expr.txt"),
        provenance={},
    )
    model = LinearModel.load(root / "pixel" / "logistic" / "model.json")
    data = pd.read_parquet(root / "pixel.parquet")
    np.testing.assert_allclose(
        evaluate_probability(model, data), model.probability(data), atol=1e-6
    )
    assert (root / "expr.txt").read_text().strip() in (root / "ee.py").read_text()


def test_a_split_of_one_class_is_a_clear_error(trained, tmp_path):
    root, _ = trained
    data = pd.read_parquet(root / "pixel.parquet")
    data.loc[data["split"] == "validation", "mine"] = 0
    one_class = tmp_path / "one_class.parquet"
    data.to_parquet(one_class)
    with pytest.raises(MinescanInputError, match="validation pixels hold .* of one class only"):
        steps.run_linear_path(
            dataset=str(one_class),
            kind="logistic",
            unit="pixel",
            bands=BANDS,
            feature_flags=FLAGS,
            target="mine",
            distance_clip_m=100,
            n_lambdas=4,
            lambda_min_ratio=1e-2,
            max_rows=1000,
            tolerance=0.01,
            seed=0,
            out={},
            provenance={},
        )


def test_patches_of_sampled_pixel_tables_count_against_the_sample(tmp_path):
    """A pixel table keeping a quarter of the pixels still gives patches: a patch needs half
    of the pixels the sample can hold, not half of all."""
    full = pixel_table(12, seed=1)
    thinned = full.sample(frac=0.25, random_state=0)
    sampled = tmp_path / "sampled.parquet"
    write_parquet(thinned, sampled, {"params": {"sample_fraction": 0.25}})
    unmarked = tmp_path / "unmarked.parquet"
    thinned.to_parquet(unmarked)
    complete = _datasets([str(sampled)], tmp_path / "a")
    assert len(complete) > 0.8 * len(full) / 16
    assert len(_datasets([str(unmarked)], tmp_path / "b")) < 0.1 * len(complete)


def test_patch_dataset_is_capped_at_max_rows(tmp_path):
    tables = write_tables(tmp_path / "pixels", n_shards=2, n_cells=8)
    patches = _datasets(tables, tmp_path, max_rows=150)
    assert 100 < len(patches) <= 200
