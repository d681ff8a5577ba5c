"""The report's first page (``workflow/report/workflow.rst`` includes it): what ran, on which
data and imagery backend, and one headline figure per stage, read from the stages' own tables.

A stage whose table is not given (disabled, or its data absent) is said to be skipped, so the
page never claims a figure that was not computed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from minescan.outputs import write_text

log = logging.getLogger(__name__)


def _row(stage: str, figure: str) -> str:
    return f"   * - {stage}\n     - {figure}\n"


def _grid(cells: Sequence[str]) -> str:
    parts = []
    for path in cells:
        table = pd.read_parquet(path, columns=["zoom", "label"])
        counts = table["label"].value_counts()
        parts.append(
            f"z{int(table['zoom'].iloc[0])}: {counts.get('positive', 0)} positive, "
            f"{counts.get('negative', 0)} negative"
        )
    return "; ".join(parts)


def _tiles(statuses: Sequence[str]) -> str:
    table = pd.concat([pd.read_csv(p) for p in statuses])
    ok = int((table["status"] == "ok").sum())
    return f"{ok} of {len(table)} training tiles written"


def _models(comparison: str) -> str:
    table = pd.read_csv(comparison).sort_values("pr_auc", ascending=False)
    best = table.iloc[0]
    return (
        f"best on held-out cells: {best['unit']} {best['model']}, PR-AUC {best['pr_auc']:.3f}, "
        f"IoU {best['iou']:.3f} ({len(table)} models compared)"
    )


def _probability(scores: str, cells: str) -> str:
    table = pd.read_parquet(scores).merge(
        pd.read_parquet(cells, columns=["cell_id", "label"]), on="cell_id"
    )
    means = table.groupby("label")["detected_fraction"].mean()
    return "share of pixels above the model's threshold, per cell: " + ", ".join(
        f"{label} {value:.3f}" for label, value in means.items()
    )


def _chips(metrics: str) -> str:
    table = pd.read_csv(metrics)
    parts = []
    for task, rows in table.groupby("task"):
        best = rows.sort_values("pr_auc", ascending=False).iloc[0]
        parts.append(
            f"{task}: {best['model']} PR-AUC {best['pr_auc']:.2f} "
            f"[{best['pr_auc_lo']:.2f}, {best['pr_auc_hi']:.2f}] "
            f"(chance {best['chance_pr_auc']:.2f})"
        )
    return "REAL Sentinel-2 chips, " + "; ".join(parts)


def _detection(metrics: Sequence[str]) -> str:
    parts = []
    for path in metrics:
        record = json.loads(Path(path).read_text())
        parts.append(
            f"{Path(path).parents[1].name} {record['split']} split: mAP50 {record['map50']:.3f}, "
            f"object recall {record['object_recall_iou50']:.2f}"
        )
    return "; ".join(parts)


def _pyramid(summary: str) -> str:
    table = pd.read_csv(summary).set_index("scan")
    total = table.loc["pyramid total"]
    return (
        f"{100 * total['pixel_fraction_of_exhaustive']:.1f} % of the exhaustive scan's pixels, "
        f"{100 * total['area_recall_scored']:.1f} % of the mine area reached "
        f"({int(total['cells_scored'])} cells scored)"
    )


def _map(manifest: str) -> str:
    text = Path(manifest).read_text()
    data = json.loads(text[text.index("{") : text.rindex("}") + 1])
    layers = ", ".join(f"{e['title']} ({e['count']})" for e in data["layers"])
    images = sum(len(g["images"]) for g in data["previews"])
    return f"``results/map/index.html``: {layers}; {images} tile previews"


READERS = {
    "grid": ("Grid", _grid),
    "tiles": ("Imagery", _tiles),
    "comparison": ("Pixel models", _models),
    "chips": ("Real chips", _chips),
    "detection": ("Detection", _detection),
    "pyramid": ("Pyramid", _pyramid),
    "map": ("Map", _map),
}


def summary_rst(facts: Mapping[str, Any], inputs: Mapping[str, Any]) -> str:
    """The page as reStructuredText: ``facts`` about the run (config values), ``inputs`` the
    stages' tables by name (see READERS; missing names are skipped stages)."""
    simulated = facts["backend"] == "synthetic"
    imagery = (
        "**SIMULATED** (backend ``synthetic``): figures on these tiles show that the code runs, "
        "not that it finds mines"
        if simulated
        else f"Sentinel-2 from backend ``{facts['backend']}``"
    )
    lines = [
        "What ran",
        "--------",
        "",
        f"* Ground truth: ``{facts['polygons']}``, {facts['n_polygons']} polygons after cleaning.",
        f"* Imagery: {imagery}; date window {facts['epoch']}.",
        f"* Grid zoom levels {', '.join(map(str, facts['zooms']))}.",
        f"* Stages: {', '.join(facts['stages'])}.",
        f"* Skipped: {', '.join(facts['skipped']) or 'nothing'}.",
        "",
        "Headline figures",
        "----------------",
        "",
    ]
    rows = ""
    for name, (stage, reader) in READERS.items():
        if inputs.get(name):
            rows += _row(stage, reader(inputs[name]))
        if name == "comparison" and inputs.get("probability"):
            rows += _row("Probability", _probability(*inputs["probability"]))
    if not rows:  # a list-table without rows is a docutils error
        return "\n".join([*lines, "No stage wrote a table to take a figure from.", ""])
    table = [".. list-table::", "   :header-rows: 1", "   :widths: 20 80", ""]
    header = _row("stage", "figure")
    return "\n".join([*lines, *table]) + "\n" + header + rows


def report_summary_step(out: str, facts: Mapping[str, Any], inputs: Mapping[str, Any]) -> None:
    facts = dict(facts)
    facts["n_polygons"] = pq.read_metadata(inputs["polygons"]).num_rows
    write_text(summary_rst(facts, inputs), out)
    log.info("report summary written to %s", out)
