"""Rule-facing steps of the gallery chip model: train it, evaluate its recipe, and scan real
mine-free scenes with the shipped model (keyword-only, one call per rule)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import torch

from minescan.chips.cnn import TrainSettings, save_models
from minescan.chips.gallery import load_gallery
from minescan.chips.gallery_eval import Plan, jobs, run_job, score_rows, summarise_scores
from minescan.chips.gallery_models import Recipe, train_gallery_model
from minescan.chips.scene_scan import scan_scene
from minescan.chips.shipped import load_screen
from minescan.outputs import write_csv, write_parquet

LOG = logging.getLogger(__name__)


def recipe_of(settings: dict) -> Recipe:
    """The ``chips.gallery.recipe`` section as a recipe."""
    values = dict(settings)
    members = int(values.pop("members"))
    values["augment"] = tuple(values.get("augment", ()))
    return Recipe("configured", TrainSettings(**values), members)


def train_gallery(
    *,
    gallery: str,
    out: str,
    recipe: dict,
    validation_share: float,
    seed: int,
    threads: int,
    provenance: dict,
) -> None:
    torch.set_num_threads(max(1, int(threads)))
    torch.manual_seed(seed)
    chips = load_gallery(gallery)
    ensemble = train_gallery_model(chips, recipe_of(recipe), seed, validation_share)
    save_models({"presence": ensemble}, out, provenance)
    LOG.info("gallery model written to %s; thresholds %s", out, ensemble.operating_points)


def evaluate_gallery(
    *,
    gallery: str,
    scores: str,
    summary: str,
    recipe: dict,
    regions: int,
    buffer_deg: float,
    folds: int,
    validation_share: float,
    seed: int,
    bootstrap: int,
    threads: int,
    provenance: dict,
) -> pd.DataFrame:
    torch.set_num_threads(max(1, int(threads)))
    chips = load_gallery(gallery)
    plan = Plan(regions, buffer_deg, folds, 1.0, validation_share, seed)
    todo = jobs(chips.meta, plan, {"configured": recipe_of(recipe)})
    rows = []
    for k, job in enumerate(todo, 1):
        rows.append(score_rows(run_job(chips, job)))
        LOG.info(
            "%d of %d jobs done (%s %d, %s)",
            k,
            len(todo),
            job["scheme"],
            job["fold"],
            job["recipe"],
        )
    table = pd.concat(rows, ignore_index=True)
    write_parquet(table, scores, provenance)
    y = chips.meta["mine"].to_numpy()
    out = summarise_scores(table, y, chips.meta["place"].to_numpy(), bootstrap, seed)
    write_csv(out, summary)
    return out


def scan_mine_free(
    *, model: str, scenes: list[str], stride: int, out: str, threads: int, provenance: dict
) -> pd.DataFrame:
    """False alarms of a chip model on real scenes without mines: per scene and threshold,
    windows and 8-connected sites above it, per 100 km² of the valid area scanned."""
    torch.set_num_threads(max(1, int(threads)))
    screen = load_screen(model)
    rows = []
    for scene in scenes:
        figures = scan_scene(screen, scene, stride)
        for name, counts in figures["thresholds"].items():
            rows.append(
                {
                    "scene": str(scene),
                    "operating_point": name,
                    "valid_km2": figures["valid_km2"],
                    "windows_scored": figures["windows_scored"],
                    "max_probability": figures["max_probability"],
                    "seconds": figures["seconds_read"] + figures["seconds_score"],
                    **counts,
                }
            )
        LOG.info(
            "%s: %.1f km², max probability %.3f",
            scene,
            figures["valid_km2"],
            figures["max_probability"],
        )
    table = pd.DataFrame(rows)
    total = table.groupby("operating_point", as_index=False, sort=False).agg(
        valid_km2=("valid_km2", "sum"),
        windows=("windows", "sum"),
        sites=("sites", "sum"),
        windows_scored=("windows_scored", "sum"),
        seconds=("seconds", "sum"),
        max_probability=("max_probability", "max"),
        threshold=("threshold", "first"),
    )
    per = 100.0 / total["valid_km2"].replace(0, np.nan)
    total = total.assign(
        scene="all",
        windows_per_100km2=total["windows"] * per,
        sites_per_100km2=total["sites"] * per,
    )
    table = pd.concat([table, total], ignore_index=True)
    write_csv(table, out)
    LOG.info(
        "false alarms on real mine-free scenes:\n%s",
        table[table["scene"] == "all"][
            ["operating_point", "threshold", "sites", "sites_per_100km2"]
        ].to_string(index=False),
    )
    return table
