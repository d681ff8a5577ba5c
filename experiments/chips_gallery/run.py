"""The gallery chip-model comparison: recipes by region-out and block CV, a learning curve,
the colour-percentile baseline, and final ensembles trained on the whole gallery.

Every CNN member is one job; jobs run in parallel processes (one GPU is shared by all; on a
CPU each process takes one thread). Writes to ``--out``:

- ``scores.parquet``: every job's validation and test probabilities (scheme, fold, recipe,
  member, part, row, score), from which ``summarise.py`` computes the tables;
- ``final_models.pt``: per recipe, the ensemble trained on the whole gallery (validation on 15 %
  of its places for early stopping and thresholds), in minescan's chip-model format;
- ``jobs.csv``: per job its device, epochs and seconds.

    python experiments/chips_gallery/run.py --gallery ../shared/data/chips/amw_gallery \\
        --out results/experiments/chips_gallery --workers 14
"""

from __future__ import annotations

import argparse
import logging
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.multiprocessing as mp

from minescan.chips.cnn import TrainSettings
from minescan.chips.gallery import GALLERY_BANDS, load_gallery
from minescan.chips.gallery_models import (
    Recipe,
    fit_baseline,
    fit_member,
    join_members,
    member_scores,
    member_seed,
    operating_thresholds,
    percentile_features,
)
from minescan.chips.gallery_splits import (
    block_roles,
    gallery_block_folds,
    gallery_region_folds,
    region_roles,
)

LOG = logging.getLogger("chips_gallery")
AUG = ("gain", "haze", "blur")
AMW = TrainSettings(
    width=32,
    epochs=50,
    patience=8,
    batch_size=128,
    learning_rate=1e-3,
    weight_decay=1e-4,
    standardise="gallery",
    augment=AUG,
    arch="amw",
)
# minescan's chip recipe of config/chips_full.yaml, on the three gallery bands
MINESCAN = TrainSettings(width=8, depth=2, epochs=12, patience=3, augment=AUG)
RECIPES = {
    "minescan_rgb": Recipe("minescan_rgb", MINESCAN, 6),
    "amw32": Recipe("amw32", AMW, 6),
    "amw16": Recipe("amw16", replace(AMW, width=16), 4),
    "amw64": Recipe("amw64", replace(AMW, width=64), 4),
    "amw32_dihedral_only": Recipe("amw32_dihedral_only", replace(AMW, augment=()), 4),
}
BLOCK_RECIPES = ("minescan_rgb", "amw32")
CURVE_RECIPE, CURVE_MEMBERS, CURVE_SHARES = "amw32", 3, (0.25, 0.5)
REGIONS, BUFFER_DEG, BLOCK_FOLDS, VALIDATION_SHARE, SEED = 4, 0.5, 5, 0.15, 0

_CHIPS = None


def _load(gallery: str, limit: int | None) -> None:
    global _CHIPS
    torch.set_num_threads(1)
    chips = load_gallery(gallery)
    if limit:  # a smoke test: a seeded sample of whole places
        rng = np.random.default_rng(0)
        keep = np.sort(rng.choice(len(chips.data), limit, replace=False))
        meta = chips.meta.iloc[keep].reset_index(drop=True)
        chips = type(chips)(meta, chips.data[keep], chips.folder, chips.bands)
    _CHIPS = chips


def _run(job: dict) -> dict:
    chips = _CHIPS
    start = time.perf_counter()
    if job["recipe"] == "baseline":
        y = chips.meta["mine"].to_numpy()
        model = fit_baseline(chips.data[job["train"]], y[job["train"]], SEED)
        scores = {
            part: model.predict_proba(percentile_features(chips.data[job[part]]))[:, 1]
            for part in ("validation", "test")
        }
        return {**_key(job), "scores": scores, "seconds": time.perf_counter() - start}
    settings = TrainSettings(**job["settings"])
    net, normaliser, info = fit_member(
        chips, job["train"], job["validation"], settings, job["seed"]
    )
    net = net.to("cuda" if torch.cuda.is_available() else "cpu")
    scores = {
        part: member_scores(net, normaliser, chips.data[job[part]])
        for part in ("validation", "test")
        if len(job[part])
    }
    out = {**_key(job), "scores": scores, "seconds": time.perf_counter() - start, **info}
    if job["scheme"] == "final":
        out["state"] = {k: v.cpu() for k, v in net.state_dict().items()}
        out["normaliser"] = normaliser.to_record()
    return out


def _key(job: dict) -> dict:
    keys = ("scheme", "fold", "recipe", "member", "validation", "test")
    return {k: job[k] for k in keys}


def _jobs(chips, recipes: dict[str, Recipe], curve: bool) -> list[dict]:
    meta = chips.meta
    region, _ = gallery_region_folds(meta, REGIONS, SEED)
    block = gallery_block_folds(meta, BLOCK_FOLDS, 1.0, SEED)
    splits = [
        ("region", f, region_roles(meta, region, f, BUFFER_DEG, VALIDATION_SHARE, SEED))
        for f in range(REGIONS)
    ]
    splits += [
        ("block", f, block_roles(meta, block, f, VALIDATION_SHARE, SEED))
        for f in range(BLOCK_FOLDS)
    ]
    everything = np.arange(len(meta))
    from minescan.chips.gallery_splits import validation_places

    train, validation = validation_places(meta, everything, VALIDATION_SHARE, SEED)
    splits.append(("final", 0, {"train": train, "validation": validation, "test": everything[:0]}))
    jobs = []
    for scheme, fold, roles in splits:
        if scheme != "final":
            jobs.append(
                {
                    "scheme": scheme,
                    "fold": fold,
                    "recipe": "baseline",
                    "member": 0,
                    "seed": 0,
                    **roles,
                }
            )
        for name, recipe in recipes.items():
            if scheme == "block" and name not in BLOCK_RECIPES:
                continue
            for m in range(recipe.members):
                jobs.append(
                    {
                        "scheme": scheme,
                        "fold": fold,
                        "recipe": name,
                        "member": m,
                        "seed": member_seed(SEED + fold, m),
                        "settings": asdict(recipe.settings),
                        **roles,
                    }
                )
        if scheme == "region" and curve and CURVE_RECIPE in recipes:
            rng = np.random.default_rng(SEED + fold)
            places = meta["place"].to_numpy()
            names = np.unique(places[roles["train"]])
            for share in CURVE_SHARES:
                chosen = rng.choice(names, max(2, round(share * len(names))), replace=False)
                part = roles["train"][np.isin(places[roles["train"]], chosen)]
                for m in range(CURVE_MEMBERS):
                    jobs.append(
                        {
                            "scheme": f"curve{share:g}",
                            "fold": fold,
                            "recipe": CURVE_RECIPE,
                            "member": m,
                            "seed": member_seed(SEED + fold, m),
                            "settings": asdict(recipes[CURVE_RECIPE].settings),
                            **roles,
                            "train": part,
                        }
                    )
    # what the tables need most first, should a deadline cut the run short
    order = {"region": 0, "final": 1, "block": 3}
    return sorted(
        jobs,
        key=lambda j: order.get(j["scheme"], 4) + (j["recipe"] == "baseline") * 1.5,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gallery", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None, help="smoke test on N chips")
    parser.add_argument("--epochs", type=int, default=None, help="override (smoke test)")
    parser.add_argument("--no-curve", action="store_true")
    parser.add_argument("--block-recipes", nargs="*", default=None)
    parser.add_argument("--schemes", nargs="*", default=None, help="only these (region, ...)")
    parser.add_argument("--deadline", type=float, default=None, help="seconds; then stop")
    parser.add_argument("--members", type=int, default=None, help="cap (smoke test)")
    parser.add_argument("--recipes", nargs="*", default=None, help="only these recipes")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    recipes = RECIPES
    if args.recipes:
        recipes = {k: r for k, r in recipes.items() if k in args.recipes}
    if args.epochs or args.members:
        recipes = {
            k: replace(
                r,
                settings=replace(r.settings, epochs=args.epochs or r.settings.epochs),
                members=min(r.members, args.members or r.members),
            )
            for k, r in recipes.items()
        }
    _load(args.gallery, args.limit)
    jobs = _jobs(_CHIPS, recipes, not args.no_curve)
    if args.schemes:
        jobs = [j for j in jobs if j["scheme"] in args.schemes]
    if args.block_recipes:
        jobs = [j for j in jobs if j["scheme"] != "block" or j["recipe"] in args.block_recipes]
    LOG.info("%d jobs on %d workers (cuda: %s)", len(jobs), args.workers, torch.cuda.is_available())
    rows, runs, finals = [], [], {}
    start = time.perf_counter()
    ctx = mp.get_context("spawn")
    with ctx.Pool(args.workers, initializer=_load, initargs=(args.gallery, args.limit)) as pool:
        for done, result in enumerate(pool.imap_unordered(_run, jobs), 1):
            key = {k: result[k] for k in ("scheme", "fold", "recipe", "member")}
            for part, score in result["scores"].items():
                rows.append(
                    pd.DataFrame(
                        {
                            **key,
                            "part": part,
                            "row": result[part],
                            "score": np.asarray(score, dtype=np.float32),
                        }
                    )
                )
            runs.append(
                {
                    **key,
                    "seconds": result["seconds"],
                    "epochs_run": result.get("epochs_run"),
                    "best_epoch": result.get("best_epoch"),
                    "device": result.get("device", "cpu"),
                }
            )
            if "state" in result:
                finals.setdefault(result["recipe"], []).append(result)
            if args.deadline and time.perf_counter() - start > args.deadline:
                LOG.warning("deadline: stopping after %d of %d jobs", done, len(jobs))
                pool.terminate()
                break
            if done % 10 == 0 or done == len(jobs):
                LOG.info("%d of %d jobs done, %.0f s", done, len(jobs), time.perf_counter() - start)
    pd.concat(rows, ignore_index=True).to_parquet(out / "scores.parquet")
    pd.DataFrame(runs).to_csv(out / "jobs.csv", index=False)
    y = _CHIPS.meta["mine"].to_numpy()
    records = {}
    from minescan.chips.cnn import Normaliser
    from minescan.chips.networks import make_network

    for name, members in finals.items():
        members = sorted(members, key=lambda r: r["member"])
        recipe = recipes[name]
        nets = []
        for r in members:
            net = make_network(
                "patch", 3, recipe.settings.width, recipe.settings.depth, recipe.settings.arch
            )
            net.load_state_dict(r["state"])
            nets.append(net.eval())
        normaliser = Normaliser.from_record(members[0]["normaliser"], 3)
        validation = members[0]["validation"]
        score = np.mean([r["scores"]["validation"] for r in members], axis=0)
        thresholds = operating_thresholds(y[validation], score)
        info = [
            {k: r.get(k) for k in ("member", "seconds", "epochs_run", "best_epoch")}
            for r in members
        ]
        ensemble = join_members(nets, normaliser, recipe, thresholds, info, GALLERY_BANDS)
        records[name] = ensemble.to_record()
    if records:
        torch.save(
            {"recipes": records, "validation_rows": validation.tolist()}, out / "final_models.pt"
        )
    LOG.info("all done in %.0f s", time.perf_counter() - start)


if __name__ == "__main__":
    main()
