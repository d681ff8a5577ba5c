"""Region-out and block-CV evaluation of chip recipes on gallery chips, one job per member.

Each job trains one ensemble member (or the colour-percentile baseline) on the training rows of
one split and scores its validation and test rows; an ensemble is the mean of its first m
members, so one run gives the single member and the ensemble. Jobs are independent: the
workflow runs them one after another, the experiment in parallel processes on a GPU.

Figures (``summarise_scores``): pooled held-out PR-AUC, ROC-AUC and sensitivity at
specificity 0.99 and 0.998 with bootstrap intervals over places, and the held-out sensitivity
and specificity at the threshold each split chose on its validation places for specificity
0.99 (the honest operating point); plus the mean over held-out regions.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import torch

from minescan.chips.cnn import TrainSettings
from minescan.chips.gallery_models import (
    Recipe,
    fit_baseline,
    fit_member,
    member_scores,
    member_seed,
    percentile_features,
)
from minescan.chips.gallery_splits import (
    block_roles,
    gallery_block_folds,
    gallery_region_folds,
    region_roles,
    validation_places,
)
from minescan.chips.load import Chips
from minescan.chips.metrics import metrics_row, point_metrics, specificity_threshold

PARTS = ("validation", "test")


@dataclass(frozen=True)
class Plan:
    regions: int = 4
    buffer_deg: float = 0.5
    folds: int = 5
    block_deg: float = 1.0
    validation_share: float = 0.15
    seed: int = 0


def splits(meta: pd.DataFrame, plan: Plan) -> list[tuple[str, int, dict]]:
    """(scheme, fold, rows by role) of region-out, block CV and the final fit on everything."""
    region, _ = gallery_region_folds(meta, plan.regions, plan.seed)
    block = gallery_block_folds(meta, plan.folds, plan.block_deg, plan.seed)
    share, seed = plan.validation_share, plan.seed
    out = [
        ("region", f, region_roles(meta, region, f, plan.buffer_deg, share, seed))
        for f in range(plan.regions)
    ]
    out += [("block", f, block_roles(meta, block, f, share, seed)) for f in range(plan.folds)]
    everything = np.arange(len(meta))
    train, validation = validation_places(meta, everything, share, seed)
    out.append(("final", 0, {"train": train, "validation": validation, "test": everything[:0]}))
    return out


def jobs(
    meta: pd.DataFrame,
    plan: Plan,
    recipes: dict[str, Recipe],
    schemes: tuple[str, ...] = ("region", "block"),
    baseline: bool = True,
) -> list[dict]:
    """One job per member of every recipe (and one baseline) in every split of ``schemes``."""
    out = []
    for scheme, fold, roles in splits(meta, plan):
        if scheme not in schemes:
            continue
        if baseline and scheme != "final":
            out.append(
                {
                    "scheme": scheme,
                    "fold": fold,
                    "recipe": "baseline",
                    "member": 0,
                    "seed": plan.seed,
                    **roles,
                }
            )
        for name, recipe in recipes.items():
            for m in range(recipe.members):
                out.append(
                    {
                        "scheme": scheme,
                        "fold": fold,
                        "recipe": name,
                        "member": m,
                        "seed": member_seed(plan.seed + fold, m),
                        "settings": asdict(recipe.settings),
                        **roles,
                    }
                )
    return out


def run_job(chips: Chips, job: dict) -> dict:
    """Validation and test scores of one job (and, for a final member, its weights)."""
    start = time.perf_counter()
    key = {k: job[k] for k in ("scheme", "fold", "recipe", "member", *PARTS)}
    if job["recipe"] == "baseline":
        y = chips.meta["mine"].to_numpy()
        model = fit_baseline(chips.data[job["train"]], y[job["train"]], job["seed"])
        scores = {
            part: model.predict_proba(percentile_features(chips.data[job[part]]))[:, 1]
            for part in PARTS
        }
        return {**key, "scores": scores, "seconds": time.perf_counter() - start}
    settings = TrainSettings(**{**job["settings"], "augment": tuple(job["settings"]["augment"])})
    net, normaliser, info = fit_member(
        chips, job["train"], job["validation"], settings, job["seed"]
    )
    net = net.to("cuda" if torch.cuda.is_available() else "cpu")
    scores = {
        part: member_scores(net, normaliser, chips.data[job[part]])
        for part in PARTS
        if len(job[part])
    }
    out = {**key, "scores": scores, "seconds": time.perf_counter() - start, **info}
    if job["scheme"] == "final":
        out["state"] = {k: v.cpu() for k, v in net.state_dict().items()}
        out["normaliser"] = normaliser.to_record()
    return out


def score_rows(result: dict) -> pd.DataFrame:
    """A job's scores as rows (scheme, fold, recipe, member, part, row, score)."""
    key = {k: result[k] for k in ("scheme", "fold", "recipe", "member")}
    return pd.concat(
        [
            pd.DataFrame(
                {
                    **key,
                    "part": part,
                    "row": result[part],
                    "score": np.asarray(score, dtype=np.float32),
                }
            )
            for part, score in result["scores"].items()
        ],
        ignore_index=True,
    )


def _decided(scores: pd.DataFrame, y: np.ndarray) -> pd.DataFrame:
    """Test rows with the decision at each fold's validation threshold for specificity 0.99."""
    parts = []
    for _, fold in scores.groupby("fold"):
        val = fold[fold["part"] == "validation"]
        test = fold[fold["part"] == "test"]
        t = specificity_threshold(y[val["row"]], val["score"].to_numpy(), 0.99)
        parts.append(test.assign(decision=test["score"] >= t))
    return pd.concat(parts)


def summarise_scores(
    scores: pd.DataFrame, y: np.ndarray, places: np.ndarray, boot: int, seed: int = 0
) -> pd.DataFrame:
    """Per scheme, recipe and member count (1 and all): the pooled held-out figures with
    intervals, the operating point, and the mean of the per-fold PR-AUC, ROC-AUC and
    sensitivity at specificity 0.99."""
    rows = []
    held = scores[scores["scheme"] != "final"]
    for (scheme, recipe), part in held.groupby(["scheme", "recipe"]):
        for members in sorted({1, int(part["member"].max()) + 1}):
            mean = (
                part[part["member"] < members]
                .groupby(["fold", "part", "row"], as_index=False)["score"]
                .mean()
            )
            test = _decided(mean, y)
            yt, st, dt = y[test["row"]], test["score"].to_numpy(), test["decision"].to_numpy()
            per_fold = [
                point_metrics(y[f["row"]], f["score"].to_numpy(), f["decision"].to_numpy())
                for _, f in test.groupby("fold")
            ]
            rows.append(
                {
                    "scheme": scheme,
                    "recipe": recipe,
                    "members": members,
                    **metrics_row(yt, st, dt, places[test["row"]], boot, seed),
                    "sensitivity_at_validation_threshold_0.99": float(dt[yt > 0.5].mean()),
                    "specificity_at_validation_threshold_0.99": float((~dt[yt < 0.5]).mean()),
                    **{
                        f"fold_mean_{k}": float(np.nanmean([m[k] for m in per_fold]))
                        for k in ("pr_auc", "roc_auc", "sensitivity_at_specificity_0.99")
                    },
                }
            )
    return pd.DataFrame(rows)
