"""Training a YOLO detector on a dataset yaml: from a model yaml or from local weights.

Runs offline (``compat.offline_ultralytics``), seeded and deterministic, on the first GPU when
there is one and on the CPU otherwise, with automatic mixed precision off (its check would
download weights). Writes ultralytics' run folder (metrics per epoch, curves), the weights and
a small JSON summary.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import time
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from minescan.atomic import atomic_path
from minescan.errors import MinescanInputError
from minescan.ml.compat import offline_ultralytics
from minescan.ml.runtime import device
from minescan.outputs import write_json

LOG = logging.getLogger(__name__)
METRIC_COLUMNS = {
    "precision": "metrics/precision(B)",
    "recall": "metrics/recall(B)",
    "map50": "metrics/mAP50(B)",
    "map50_95": "metrics/mAP50-95(B)",
}


# Ultralytics' augmentation and optimiser settings that ``detection.hyperparameters`` may set;
# the other train arguments (data, device, seed, run folder, ...) are the stage's own.
HYPERPARAMETERS = frozenset(
    {
        "hsv_h",
        "hsv_s",
        "hsv_v",
        "degrees",
        "translate",
        "scale",
        "shear",
        "perspective",
        "flipud",
        "fliplr",
        "mosaic",
        "mixup",
        "cutmix",
        "copy_paste",
        "close_mosaic",
        "erasing",
        "optimizer",
        "lr0",
        "lrf",
        "cos_lr",
        "momentum",
        "weight_decay",
        "warmup_epochs",
        "nbs",
        "box",
        "cls",
        "dfl",
    }
)


def train_arguments(hyperparameters: dict[str, Any] | None) -> dict[str, Any]:
    """``detection.hyperparameters`` as ultralytics train arguments (unknown keys are an error)."""
    chosen = dict(hyperparameters or {})
    unknown = sorted(set(chosen) - HYPERPARAMETERS)
    if unknown:
        raise MinescanInputError(
            "detection.hyperparameters",
            f"unknown ultralytics training settings {unknown}",
            f"use some of {sorted(HYPERPARAMETERS)}",
        )
    return chosen


def weights_id(path: str | Path) -> str:
    """A short stable id of a weights file: the start of its SHA-256."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def load_yolo(source: str | Path, settings_dir: str | Path):
    """A YOLO model from a model yaml (built from scratch) or a local weights file."""
    offline_ultralytics(settings_dir)
    from ultralytics import YOLO

    source = str(source)
    if source.endswith((".yaml", ".yml")):
        return YOLO(source)
    if not Path(source).is_file():
        raise MinescanInputError(
            source, "weights file not found", "give the path of a local .pt file"
        )
    try:
        return YOLO(source)
    except Exception as error:  # ultralytics raises many kinds for a bad file
        raise MinescanInputError(
            source,
            f"cannot be loaded as YOLO weights ({type(error).__name__}: {error})",
            "replace the corrupt or truncated weights file",
        ) from error


def plot_curves(history: pd.DataFrame, path: str | Path, title: str) -> None:
    """Losses and validation metrics per epoch (ultralytics' results.csv) in one figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    losses = [c for c in history.columns if "loss" in c]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    for column in losses:
        left.plot(history["epoch"], history[column], marker=".", label=column)
    for name, column in METRIC_COLUMNS.items():
        if column in history:
            right.plot(history["epoch"], history[column], marker=".", label=name)
    left.set(xlabel="epoch", ylabel="loss")
    right.set(xlabel="epoch", ylabel="validation", ylim=(0, 1))
    left.legend(fontsize=6)
    right.legend(fontsize=6)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=90, format="png")
    plt.close(fig)


def train_detector(
    *,
    data_yaml: str | Path,
    run_dir: str | Path,
    weights_out: str | Path,
    summary_out: str | Path,
    curves_out: str | Path,
    start: str | Path,
    epochs: int,
    image_size: int,
    batch: int,
    patience: int,
    seed: int,
    keep: str,
    settings_dir: str | Path,
    workers: int,
    provenance: dict,
    hyperparameters: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Train from ``start`` (model yaml or weights); keep the ``best`` or ``last`` epoch.
    ``hyperparameters``: ultralytics augmentation and optimiser settings (``HYPERPARAMETERS``)
    over its defaults."""
    extra = train_arguments(hyperparameters)
    model = load_yolo(start, settings_dir)
    run_dir = Path(run_dir).resolve()
    data = Path(data_yaml).resolve()
    channels = int(yaml.safe_load(data.read_text()).get("channels", 3))
    where = device()
    LOG.info("training from %s on %s for %d epochs (%d channels)", start, where, epochs, channels)
    started = time.perf_counter()
    model.train(
        data=str(data),
        epochs=int(epochs),
        imgsz=int(image_size),
        batch=int(batch),
        patience=int(patience),
        seed=int(seed),
        deterministic=True,
        device=where,
        workers=int(workers),
        amp=False,
        project=str(run_dir.parent),
        name=run_dir.name,
        exist_ok=True,
        plots=False,
        verbose=False,
        **extra,
    )
    seconds = time.perf_counter() - started
    chosen = run_dir / "weights" / f"{keep}.pt"
    if not chosen.is_file():
        chosen = run_dir / "weights" / "last.pt"
    with atomic_path(weights_out) as tmp:
        shutil.copyfile(chosen, tmp)
    # The run folder keeps ultralytics' metrics; its two checkpoints (about 5 MB each for yolo11n)
    # are copies of weights_out and go.
    shutil.rmtree(run_dir / "weights", ignore_errors=True)
    history = pd.read_csv(run_dir / "results.csv")
    history.columns = [c.strip() for c in history.columns]
    plot_curves(history, curves_out, f"{Path(data_yaml).stem}: {start}")
    final = history.iloc[-1]
    summary = {
        "start": str(start),
        "device": where,
        "epochs": int(len(history)),
        "seconds": round(seconds, 2),
        "seconds_per_epoch": round(seconds / max(len(history), 1), 2),
        "kept": chosen.stem,
        "weights_id": weights_id(weights_out),
        "channels": channels,
        "image_size": int(image_size),
        "hyperparameters": extra,
        "validation": {k: float(final[c]) for k, c in METRIC_COLUMNS.items() if c in final},
    }
    write_json(summary, summary_out, provenance)
    LOG.info("trained in %.1f s: %s", seconds, summary["validation"])
    return summary
