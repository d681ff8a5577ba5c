"""How well the detector finds mines: box AP, per-object recall, false alarms per area.

- mAP50 and mAP50-95: average precision of the boxes (one class, every box of any class
  counts as a mine, so zero-shot models with other classes are scored the same way) over the
  held-out tiles, with COCO's 101-point interpolated precision (a perfect detector scores 1).
- Per-object recall: a ground-truth region is found when a box overlaps its box with
  IoU >= 0.5, and, separately, when the boxes cover at least half of its area.
- False alarms per 100 km²: boxes on imagery without mines (mine-free held-out tiles and the
  real mine-free background scenes) per 100 km² of valid pixels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from minescan.ml.boxes import box_iou
from minescan.ml.channels import Scaling, channel_stack
from minescan.ml.labels import mine_regions
from minescan.ml.tiles import read_image
from minescan.pixelmodels.features import Feature

IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)


def average_precision(
    truth: Mapping[str, np.ndarray], found: Mapping[str, pd.DataFrame], iou: float
) -> float:
    """AP of the boxes ``found`` per tile (columns px_x0..px_y1, score) against ``truth``
    (per tile, (n, 4) boxes)."""
    total = sum(len(b) for b in truth.values())
    if total == 0:
        return float("nan")
    scores, hits = [], []
    for tile, boxes in found.items():
        if boxes.empty:
            continue
        order = np.argsort(-boxes["score"].to_numpy(), kind="stable")
        xyxy = boxes[["px_x0", "px_y0", "px_x1", "px_y1"]].to_numpy()[order]
        gt = truth.get(tile, np.zeros((0, 4)))
        taken = np.zeros(len(gt), dtype=bool)
        overlaps = box_iou(xyxy, gt)
        for k in range(len(xyxy)):
            candidates = np.where(~taken & (overlaps[k] >= iou))[0] if len(gt) else []
            if len(candidates):
                taken[candidates[np.argmax(overlaps[k, candidates])]] = True
                hits.append(True)
            else:
                hits.append(False)
            scores.append(boxes["score"].to_numpy()[order][k])
    if not scores:
        return 0.0
    order = np.argsort(-np.asarray(scores), kind="stable")
    tp = np.cumsum(np.asarray(hits)[order])
    fp = np.cumsum(~np.asarray(hits)[order])
    recall = tp / total
    precision = tp / np.maximum(tp + fp, 1e-12)
    # COCO's 101-point interpolation: at each recall level, the best precision at that recall
    # or beyond (0 where the recall is never reached).
    envelope = np.flip(np.maximum.accumulate(np.flip(precision)))
    levels = np.linspace(0, 1, 101)
    at = np.searchsorted(recall, levels, side="left")
    reached = at < len(recall)
    return float(np.where(reached, envelope[np.minimum(at, len(recall) - 1)], 0.0).mean())


def object_recall(regions: Mapping[str, list], found: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per ground-truth region: found by IoU >= 0.5, and the share of its area that
    the boxes cover."""
    rows = []
    for tile, items in regions.items():
        boxes = found.get(tile)
        xyxy = (
            boxes[["px_x0", "px_y0", "px_x1", "px_y1"]].to_numpy()
            if boxes is not None and len(boxes)
            else np.zeros((0, 4))
        )
        cover = shapely.union_all([shapely.box(*b) for b in xyxy]) if len(xyxy) else None
        for region in items:
            best = float(box_iou(np.asarray([region.box]), xyxy).max()) if len(xyxy) else 0.0
            covered = (
                region.outline.intersection(cover).area / region.outline.area if cover else 0.0
            )
            rows.append(
                {
                    "tile": tile,
                    "pixels": region.pixels,
                    "best_iou": best,
                    "covered_fraction": float(covered),
                    "found_iou50": best >= 0.5,
                    "found_half_area": covered >= 0.5,
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "tile",
            "pixels",
            "best_iou",
            "covered_fraction",
            "found_iou50",
            "found_half_area",
        ],
    )


def ground_truth(tiles: pd.DataFrame, min_object_pixels: int) -> dict[str, list]:
    """The regions of each tile's mine band or mask, as the dataset made them."""
    truth = {}
    for record in tiles.to_dict("records"):
        mask = record.get("mask")
        image = read_image(record["image"], mask if isinstance(mask, str) else None)
        truth[record["tile"]] = mine_regions(image.mine & image.valid, min_object_pixels)
    return truth


def score_detections(
    tiles: pd.DataFrame,
    detections: pd.DataFrame,
    regions: Mapping[str, list],
    confidence: float,
    breakdown_by: Sequence[str] = ("country", "climate"),
) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """Metrics over ``tiles``: AP over all boxes, recall and false alarms at ``confidence``."""
    names = list(tiles["tile"])
    mine = detections[detections["tile"].isin(names)]
    found = {t: g for t, g in mine.groupby("tile")}
    truth = {t: np.asarray([r.box for r in regions[t]]).reshape(-1, 4) for t in names}
    aps = [average_precision(truth, found, t) for t in IOU_THRESHOLDS]
    confident = {t: g[g["score"] >= confidence] for t, g in found.items()}
    recall = object_recall({t: regions[t] for t in names}, confident)
    empty = tiles[[len(regions[t]) == 0 for t in names]]
    alarms = sum(len(confident.get(t, [])) for t in empty["tile"])
    area = float(empty["area_km2"].sum()) if "area_km2" in empty else 0.0
    metrics = {
        "tiles": len(names),
        "objects": int(len(recall)),
        "map50": round(aps[0], 4),
        "map50_95": round(float(np.nanmean(aps)), 4),
        "confidence": confidence,
        "object_recall_iou50": round(float(recall["found_iou50"].mean()), 4)
        if len(recall)
        else None,
        "object_recall_half_area": round(float(recall["found_half_area"].mean()), 4)
        if len(recall)
        else None,
        "detections": int(sum(len(g) for g in confident.values())),
        "mine_free_tiles": int(len(empty)),
        "mine_free_km2": round(area, 3),
        "false_alarms_mine_free_tiles": int(alarms),
        "false_alarms_per_100km2_mine_free_tiles": round(100 * alarms / area, 3) if area else None,
    }
    rows = []
    recall = recall.merge(tiles, on="tile", how="left")
    for column in breakdown_by:
        if column not in recall or recall[column].isna().all():
            continue
        for value, part in recall.groupby(recall[column].fillna("unknown")):
            rows.append(
                {
                    "by": column,
                    "value": value,
                    "objects": len(part),
                    "recall_iou50": float(part["found_iou50"].mean()),
                    "recall_half_area": float(part["found_half_area"].mean()),
                }
            )
    breakdown = pd.DataFrame(
        rows, columns=["by", "value", "objects", "recall_iou50", "recall_half_area"]
    )
    return metrics, recall, breakdown


def gallery(
    tiles: pd.DataFrame,
    detections: pd.DataFrame,
    regions: Mapping[str, list],
    scaling: str | Path,
    confidence: float,
    path: str | Path,
    title: str,
    count: int = 12,
) -> None:
    """Held-out tiles (the detector's input channels, the first three as red, green, blue) with
    true (green) and predicted (red, with scores) boxes."""
    import json

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from minescan.atomic import atomic_path

    record = json.loads(Path(scaling).read_text())
    features = [Feature.from_dict(f) for f in record["features"]]
    stretch = Scaling.load(scaling)
    chosen = tiles.sort_values("objects", ascending=False, kind="stable").head(count)
    columns = 4
    rows = max(1, int(np.ceil(len(chosen) / columns)))
    fig, axes = plt.subplots(rows, columns, figsize=(3 * columns, 3 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, record in zip(axes.ravel(), chosen.to_dict("records"), strict=False):
        tile = read_image(
            record["image"], record["mask"] if isinstance(record["mask"], str) else None
        )
        pixels = stretch.apply(channel_stack(tile.data, tile.bands, features), tile.valid)
        ax.imshow(pixels[..., [0, 0, 0]] if pixels.shape[2] < 3 else pixels[..., :3])
        for region in regions[record["tile"]]:
            x0, y0, x1, y1 = region.box
            ax.add_patch(plt.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec="lime", lw=1.5))
        mine = detections[
            (detections["tile"] == record["tile"]) & (detections["score"] >= confidence)
        ]
        for r in mine.itertuples():
            ax.add_patch(
                plt.Rectangle(
                    (r.px_x0, r.px_y0),
                    r.px_x1 - r.px_x0,
                    r.px_y1 - r.px_y0,
                    fill=False,
                    ec="red",
                    lw=1,
                )
            )
            ax.text(r.px_x0, r.px_y0, f"{r.score:.2f}", color="red", fontsize=6, va="bottom")
        ax.set_title(str(record["tile"])[-24:], fontsize=7)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=90, format="png")
    plt.close(fig)
