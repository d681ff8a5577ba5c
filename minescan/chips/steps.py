"""The real-chip rules as plain functions taking keyword arguments."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from minescan.chips.cnn import TrainSettings, save_models
from minescan.chips.evaluate import Settings, evaluate_chips
from minescan.chips.folds import RegionOut
from minescan.chips.georef import PolygonLabeller, read_yearly_polygons
from minescan.chips.load import load_chips, sample_pairs
from minescan.chips.plots import plot_learning_curve, plot_task_curves
from minescan.chips.raster import score_tile
from minescan.chips.scoring import MODEL_NAMES, score_folder, write_gallery
from minescan.chips.weak import evaluate_weak_labels, label_chips, pixel_frame
from minescan.errors import MinescanInputError
from minescan.ml.runtime import seed_everything
from minescan.outputs import write_csv, write_parquet
from minescan.pixelmodels.plots import plot_path_scores, plot_weight_path

GALLERY_SIZE = 6  # worst false positives and worst false negatives shown per task
METRIC_COLUMNS = [
    "task",
    "scheme",
    "model",
    "n",
    "positives",
    "chance_pr_auc",
    "pr_auc",
    "pr_auc_lo",
    "pr_auc_hi",
    "roc_auc",
    "roc_auc_lo",
    "roc_auc_hi",
    "f1",
    "f1_lo",
    "f1_hi",
    "sensitivity_at_specificity_0.99",
    "sensitivity_at_specificity_0.99_lo",
    "sensitivity_at_specificity_0.99_hi",
    "sensitivity_at_specificity_0.998",
    "sensitivity_at_specificity_0.998_lo",
    "sensitivity_at_specificity_0.998_hi",
    "sensitivity_at_validation_threshold_0.99",
    "specificity_at_validation_threshold_0.99",
    "threshold",
    "precision",
    "recall",
    "specificity",
    "tp",
    "fp",
    "fn",
    "tn",
]


def centre_inside_of(chips, weak_chips: str | None) -> np.ndarray | None:
    """Per chip (row of chips.meta), whether its centre lies in a mapped mine, from the
    weak labels' chips.csv (rule chips_weak_labels), matched by chip id."""
    if weak_chips is None:
        return None
    table = pd.read_csv(weak_chips).set_index("chip_id")["centre_inside"]
    missing = ~chips.meta["chip_id"].isin(table.index)
    if missing.any():
        raise MinescanInputError(
            weak_chips,
            f"{int(missing.sum())} chips have no weak label, e.g. "
            f"{chips.meta['chip_id'][missing].head(3).tolist()}",
            "label the same chips folder and max_pairs (rule chips_weak_labels)",
        )
    return table.reindex(chips.meta["chip_id"]).astype(bool).to_numpy()


def chip_settings(
    *,
    block_deg: float,
    folds: int,
    seed: int,
    members: int,
    width: int,
    epochs: int,
    patience: int,
    bootstrap: int,
    pixels_per_chip: int,
    n_lambdas: int,
    tolerance: float,
    families: Sequence[str],
    learning_curve: Sequence[float],
    threads: int,
    region_out: dict | None = None,
    depth: int = 2,
    standardise: str = "band",
    indices: bool = False,
    augment: Sequence[str] = (),
    pair_augment: Sequence[str] | None = None,
    tta: bool = False,
    pair_kind: str = "siamese",
    clean_labels: bool = False,
    pixel_models: bool = True,
    variants: bool = False,
) -> Settings:
    """The evaluation's settings from the config values (``chips`` and ``chips.cnn``)."""
    region = None
    if region_out and region_out.get("enabled", True):
        region = RegionOut(
            regions=int(region_out.get("regions", 4)),
            axis=str(region_out.get("axis", "longitude")),
            buffer_deg=float(region_out.get("buffer_deg", 1.0)),
        )
    return Settings(
        block_deg=block_deg,
        folds=folds,
        seed=seed,
        members=members,
        cnn=TrainSettings(
            width=width,
            epochs=epochs,
            patience=patience,
            depth=depth,
            standardise=standardise,
            indices=indices,
            augment=tuple(augment),
            tta=tta,
        ),
        bootstrap=bootstrap,
        pixels_per_chip=pixels_per_chip,
        n_lambdas=n_lambdas,
        tolerance=tolerance,
        pixel_families=tuple(families),
        pixel_models=pixel_models,
        learning_curve=tuple(learning_curve),
        threads=threads,
        region_out=region,
        pair_kind=pair_kind,
        pair_augment=None if pair_augment is None else tuple(pair_augment),
        clean_labels=clean_labels,
        variants=variants,
    )


def evaluate_real_chips(
    *,
    folder: str,
    max_pairs: int | None,
    weak_chips: str | None = None,
    seed: int,
    threads: int,
    out: dict[str, str],
    provenance: dict,
    **values,
) -> pd.DataFrame:
    """Cross-validate every family on both tasks (spatial blocks, and region-out when
    configured); write the tables, figures and the CNNs. ``values``: ``chip_settings``."""
    seed_everything(seed, threads)
    chips = sample_pairs(load_chips(folder), max_pairs, seed)
    settings = chip_settings(seed=seed, threads=threads, **values)
    result = evaluate_chips(chips, settings, centre_inside_of(chips, weak_chips))
    metrics = result.metrics.reindex(columns=METRIC_COLUMNS)
    write_csv(metrics, out["metrics"])
    write_csv(result.rates, out["rates"])
    write_csv(result.folds, out["folds"])
    write_csv(result.training, out["training"])
    write_csv(result.learning_curve, out["learning_curve"])
    write_parquet(result.predictions, out["predictions"], provenance)
    schemes = " and ".join(result.predictions["scheme"].unique()).replace("_", " ")
    plot_task_curves(result.predictions, out["curves"], f"Real Amazon chips, {schemes}")
    plot_learning_curve(result.learning_curve, out["learning_curve_plot"])
    # galleries of the scheme the models are chosen by (region-out when there)
    chosen = result.predictions[
        result.predictions["scheme"] == result.predictions["scheme"].iat[-1]
    ]
    for task in ("presence", "emergence"):
        write_gallery(chosen, chips, task, MODEL_NAMES[task], GALLERY_SIZE, out[f"gallery_{task}"])
    save_models(result.models, out["model"], provenance)
    return metrics


def weak_label_chips(
    *,
    folder: str,
    max_pairs: int | None,
    polygons: str,
    block_deg: float,
    fractions: Sequence[float],
    seed: int,
    pixels_per_chip: int,
    n_lambdas: int,
    tolerance: float,
    families: Sequence[str],
    threads: int,
    out: dict[str, str],
    provenance: dict,
) -> pd.DataFrame:
    """Polygon labels for every chip pixel, their agreement with the chip labels, and the
    pixel models retrained on them."""
    chips = sample_pairs(load_chips(folder), max_pairs, seed)
    labels = label_chips(chips, PolygonLabeller(read_yearly_polygons(polygons)))
    write_parquet(pixel_frame(chips, labels), out["pixels"], provenance)
    result = evaluate_weak_labels(
        chips,
        labels,
        block_deg=block_deg,
        fractions=tuple(fractions),
        seed=seed,
        pixels_per_chip=pixels_per_chip,
        n_lambdas=n_lambdas,
        tolerance=tolerance,
        families=list(families),
        threads=threads,
    )
    write_csv(result.chips, out["chips"])
    write_csv(result.agreement, out["agreement"])
    write_csv(result.metrics, out["metrics"])
    write_csv(result.lasso.zero_order(), out["zero_order"])
    chosen = float(result.lasso.lambdas[result.lasso.select(tolerance)])
    plot_weight_path(
        result.lasso.weights_table(),
        chosen,
        out["weights_plot"],
        "LASSO path on real chips, polygon pixel labels (6 bands)",
    )
    plot_path_scores(
        result.lasso.scores, chosen, out["scores_plot"], "LASSO path: validation blocks"
    )
    result.deployed.save(out["model"], provenance)
    return result.metrics


def score_chips(
    *,
    model: str,
    folder: str,
    block_deg: float,
    bootstrap: int,
    seed: int,
    threads: int,
    out_dir: str,
    provenance: dict,
) -> pd.DataFrame:
    return score_folder(
        model=model,
        folder=folder,
        out=out_dir,
        block_deg=block_deg,
        bootstrap=bootstrap,
        seed=seed,
        gallery_size=GALLERY_SIZE,
        threads=threads,
        provenance=provenance,
    )


def scan_tile(*, model: str, tile: str, stride: int, out: str, provenance: dict) -> np.ndarray:
    return score_tile(model, tile, out, stride, provenance)
