"""Growth on real imagery: segment both dates of the real chip pairs and compare the mine area
and its growth per pair with the Amazon Mining Watch polygons'.

    python -m minescan.growth.chip_pairs --chips ../shared/data/chips/amazon_s2_change \\
        --polygons ../shared/data/polygons/amazon_mining_watch --out results/growth/chip_pairs

Labels: the real-chips stage's weak pixel labels (``minescan.chips.weak.label_chips``): each
chip is the UTM square centred on its coordinates, and gets the polygons of every yearly layer
up to the year its own date window ends, so a pair's ``t0`` chip sees the polygons mapped by
``t0_end`` and its ``t1`` chip those mapped by ``t1_end`` (the years are in ``pairs.csv``).
Models (``minescan.growth.chip_folds``): a U-Net (``minescan.growth.chip_segment``) and a
pixel gradient-boosting baseline, out of fold; baseline ``no_change``: the t0 polygons
carried to t1 (growth and new area zero). Writes ``pairs.csv`` (per scheme, model and pair:
areas at t0 and t1, growth and new area, predicted and from the polygons, in m²),
``metrics.csv`` (Pearson, Spearman, MAE in ha, total error in %, with block-bootstrap 95 %
intervals), ``by_category.csv``, ``per_fold.csv``, ``per_block.csv`` (the same for the
sums over each spatial block's pairs: a region's growth), ``label_agreement.csv``, ``history.csv``,
``summary.json`` (with the provenance) and ``growth_scatter.png``.
"""

from __future__ import annotations

import argparse
import logging
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from minescan.chips.folds import RegionOut
from minescan.chips.georef import PolygonLabeller, read_yearly_polygons, window_year
from minescan.chips.load import Chips, load_chips, sample_pairs
from minescan.chips.weak import label_chips
from minescan.errors import MinescanInputError
from minescan.growth.chip_folds import out_of_fold_masks, pair_frame
from minescan.growth.chip_pair_figures import plot_growth_scatter
from minescan.growth.chip_segment import ChipSegmenterOptions
from minescan.growth.pair_metrics import (
    QUANTITIES,
    agreement_table,
    block_totals,
    label_agreement,
    pair_areas,
)
from minescan.logs import setup_logging
from minescan.outputs import write_csv, write_json
from minescan.pixelmodels.splits import spatial_blocks
from minescan.provenance import provenance as make_provenance

LOG = logging.getLogger(__name__)
SCHEMES = ("spatial_cv", "region_out")
PIXEL_M = 10.0
NO_CHANGE = "no_change"


def label_years(chips: Chips) -> np.ndarray:
    """The polygon year each chip is labelled with (the year its own window ends)."""
    return np.array(
        [window_year(r.window_end, r.chip_id) for r in chips.meta.itertuples()], dtype=int
    )


def polygon_truth(chips: Chips, mine: np.ndarray) -> pd.DataFrame:
    """One row per valid pair: its place, category, label years and the polygons' areas."""
    pairs = pair_frame(chips)
    pairs = pairs[pairs["valid"]].reset_index(drop=True)
    years = label_years(chips)
    t0, t1 = pairs["t0"].to_numpy(), pairs["t1"].to_numpy()
    areas = pair_areas(mine[t0], mine[t1], PIXEL_M).add_suffix("_polygons")
    h, w = mine.shape[1:]
    centre_new = (mine[t1, h // 2, w // 2] > 0) & (mine[t0, h // 2, w // 2] == 0)
    keep = ["sample_id", "category", "label", "longitude", "latitude", "t0", "t1"]
    return pd.concat([pairs[keep], areas], axis=1).assign(
        label_year_t0=years[t0],
        label_year_t1=years[t1],
        centre_new=centre_new,
        chip_m2=h * w * PIXEL_M * PIXEL_M,
    )


def predicted_pairs(truth: pd.DataFrame, scheme: str, model: str, masks: np.ndarray):
    t0, t1 = truth["t0"].to_numpy(), truth["t1"].to_numpy()
    areas = pair_areas(masks[t0], masks[t1], PIXEL_M).add_suffix("_predicted")
    return pd.concat([truth.assign(scheme=scheme, model=model), areas], axis=1)


def no_change_pairs(truth: pd.DataFrame, scheme: str) -> pd.DataFrame:
    """The baseline that knows the t0 polygons and predicts nothing changed."""
    a0 = truth["area_t0_polygons"]
    return truth.assign(
        scheme=scheme,
        model=NO_CHANGE,
        area_t0_predicted=a0,
        area_t1_predicted=a0,
        growth_predicted=0.0,
        new_predicted=0.0,
    )


def scheme_tables(pairs: pd.DataFrame, by: str | None, n_boot: int, seed: int) -> pd.DataFrame:
    """``agreement_table`` per scheme (intervals resample the rows' ``block``)."""
    per_scheme = [
        agreement_table(part, part["block"].to_numpy(), n_boot, seed, by).assign(scheme=scheme)
        for scheme, part in pairs.groupby("scheme", sort=False)
    ]
    table = pd.concat(per_scheme, ignore_index=True)
    return table[["scheme", *[c for c in table.columns if c != "scheme"]]]


def evaluate_chip_pairs(
    chips_folder: str | Path,
    polygons: str | Path,
    out: str | Path,
    *,
    schemes: tuple[str, ...] = ("spatial_cv",),
    folds: int = 5,
    block_deg: float = 1.0,
    region_out: RegionOut | None = None,
    options: ChipSegmenterOptions | None = None,
    pixel_baseline: bool = True,
    pixels_per_chip: int = 256,
    min_new_m2: float = 1000.0,
    n_boot: int = 1000,
    max_pairs: int | None = None,
    seed: int = 42,
    threads: int = 1,
) -> pd.DataFrame:
    """Run the comparison and write its tables and figure under ``out``; returns metrics."""
    unknown = sorted(set(schemes) - set(SCHEMES))
    if unknown or not schemes:
        raise MinescanInputError("--schemes", f"{unknown or 'none'}", f"some of {list(SCHEMES)}")
    region_out = region_out or RegionOut()
    options = options or ChipSegmenterOptions()
    started = time.perf_counter()
    torch.set_num_threads(threads)
    chips = sample_pairs(load_chips(chips_folder), max_pairs, seed)
    labels = label_chips(chips, PolygonLabeller(read_yearly_polygons(polygons)))
    truth = polygon_truth(chips, labels.mine)
    LOG.info(
        "%d valid pairs; polygon label years t0 %s, t1 %s",
        len(truth),
        sorted(set(truth["label_year_t0"])),
        sorted(set(truth["label_year_t1"])),
    )
    masks = out_of_fold_masks(
        chips,
        labels.mine,
        schemes,
        k=folds,
        block_deg=block_deg,
        region_out=region_out,
        options=options,
        pixel_baseline=pixel_baseline,
        pixels_per_chip=pixels_per_chip,
        seed=seed,
        threads=threads,
    )
    parts, histories = [], []
    for scheme, result in masks.items():
        folded = truth.assign(
            fold=truth["sample_id"].map(result.folds.set_index("sample_id")["fold"])
        )
        for model, mask in result.masks.items():
            parts.append(predicted_pairs(folded, scheme, model, mask))
        parts.append(no_change_pairs(folded, scheme))
        histories.append(result.history)
    pairs = pd.concat(parts, ignore_index=True)
    pairs["block"] = spatial_blocks(pairs["longitude"], pairs["latitude"], block_deg)
    tables = {
        "metrics": scheme_tables(pairs, None, n_boot, seed),
        "by_category": scheme_tables(pairs, "category", n_boot, seed),
        "per_fold": scheme_tables(pairs, "fold", 0, seed),
        "per_block": scheme_tables(block_totals(pairs), None, n_boot, seed),
    }
    agreement = label_agreement(truth, min_new_m2)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    columns = [
        "scheme", "model", "fold", "sample_id", "category", "label", "longitude", "latitude",
        "label_year_t0", "label_year_t1",
        *[f"{q}_{s}" for q in QUANTITIES for s in ("predicted", "polygons")],
    ]  # fmt: skip
    write_csv(pairs[columns], out / "pairs.csv")
    for name, table in tables.items():
        write_csv(table, out / f"{name}.csv")
    write_csv(agreement, out / "label_agreement.csv")
    write_csv(pd.concat(histories, ignore_index=True), out / "history.csv")
    plot_growth_scatter(
        pairs[pairs["model"] != NO_CHANGE], tables["metrics"], out / "growth_scatter.png"
    )
    params = {
        "schemes": list(schemes), "folds": folds, "block_deg": block_deg,
        "region_out": asdict(region_out), "segmenter": asdict(options),
        "pixel_baseline": pixel_baseline, "pixels_per_chip": pixels_per_chip,
        "min_new_m2": min_new_m2, "n_boot": n_boot, "max_pairs": max_pairs, "seed": seed,
        "threads": threads,
    }  # fmt: skip
    headline = tables["metrics"]
    headline = headline[headline["quantity"].isin(["growth", "new"])]
    summary = {
        "pairs": len(truth),
        "seconds": round(time.perf_counter() - started, 1),
        "label_agreement": agreement.to_dict(orient="records"),
        "growth": headline.to_dict(orient="records"),
    }
    write_json(
        summary,
        out / "summary.json",
        make_provenance(params, {"chips": Path(chips_folder) / "chips.csv"}),
    )
    LOG.info(
        "growth and new area against the polygons:\n%s",
        headline[
            ["scheme", "model", "quantity", "pearson", "spearman", "mae_ha", "total_error_pct"]
        ],
    )
    return tables["metrics"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chips", required=True, help="a folder in the chips layout")
    parser.add_argument("--polygons", required=True, help="folder of yearly polygon layers")
    parser.add_argument("--out", required=True)
    parser.add_argument("--schemes", nargs="+", default=["spatial_cv"], choices=SCHEMES)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--block-deg", type=float, default=1.0)
    parser.add_argument("--regions", type=int, default=4)
    parser.add_argument("--buffer-deg", type=float, default=1.0)
    parser.add_argument("--arch", default="unet", choices=["unet", "fpn"])
    parser.add_argument("--encoder", default="resnet18")
    parser.add_argument("--encoder-depth", type=int, default=3)
    parser.add_argument("--indices", action="store_true", help="add NDVI, NDWI, ... channels")
    parser.add_argument(
        "--paired", action="store_true", help="each date's mask also sees the other date"
    )
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--no-pixel-baseline", action="store_true")
    parser.add_argument("--min-new-m2", type=float, default=1000.0)
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--max-pairs", type=int, default=None)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    setup_logging()
    options = ChipSegmenterOptions(
        arch=args.arch,
        encoder=args.encoder,
        encoder_depth=args.encoder_depth,
        indices=args.indices,
        paired=args.paired,
        epochs=args.epochs,
        seed=args.seed,
    )
    evaluate_chip_pairs(
        args.chips,
        args.polygons,
        args.out,
        schemes=tuple(args.schemes),
        folds=args.folds,
        block_deg=args.block_deg,
        region_out=RegionOut(args.regions, "longitude", args.buffer_deg),
        options=options,
        pixel_baseline=not args.no_pixel_baseline,
        min_new_m2=args.min_new_m2,
        n_boot=args.n_boot,
        max_pairs=args.max_pairs,
        seed=args.seed,
        threads=args.threads,
    )


if __name__ == "__main__":
    main()
