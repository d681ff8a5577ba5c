"""The report's first page: what ran and the headline figures, as reStructuredText that
docutils renders without a warning (Snakemake's report shows a warning as red text)."""

from __future__ import annotations

import docutils.core
import pandas as pd

from minescan.report.summary import summary_rst

FACTS = {
    "backend": "synthetic",
    "polygons": "resources/sample.gpkg",
    "n_polygons": 37,
    "epoch": "2019 (2019-01-01, 2020-01-01)",
    "zooms": [15],
    "stages": ["grid", "pixel models", "pyramid"],
    "skipped": ["real chips"],
}


def _render(text: str) -> str:
    settings = {"halt_level": 2, "report_level": 1}  # any warning raises
    return docutils.core.publish_parts(text, writer="html", settings_overrides=settings)["body"]


def test_the_page_states_the_run_and_each_stages_figure(tmp_path):
    cells = tmp_path / "cells.parquet"
    pd.DataFrame({"zoom": [15] * 5, "label": ["positive"] * 2 + ["negative"] * 3}).to_parquet(cells)
    comparison = tmp_path / "comparison.csv"
    pd.DataFrame(
        {
            "unit": ["pixel", "patch"],
            "model": ["lasso", "rf"],
            "pr_auc": [0.7, 0.9],
            "iou": [0.5, 0.8],
        }
    ).to_csv(comparison, index=False)
    summary = tmp_path / "summary.csv"
    pd.DataFrame(
        {
            "scan": ["pyramid", "pyramid total"],
            "pixel_fraction_of_exhaustive": [0.05, 0.0878],
            "area_recall_scored": [1.0, 0.972],
            "cells_scored": [10, 170],
        }
    ).to_csv(summary, index=False)
    text = summary_rst(FACTS, {"grid": [str(cells)], "comparison": comparison, "pyramid": summary})
    html = _render(text)
    assert "SIMULATED" in html and "37 polygons" in html
    assert "z15: 2 positive, 3 negative" in html
    assert "patch rf, PR-AUC 0.900" in html  # the best model, not the first row
    assert "8.8 % of the exhaustive scan" in html and "97.2 % of the mine area" in html
    assert "Skipped: real chips" in html
    assert "Detection" not in html  # no table given: no claimed figure


def test_real_imagery_is_not_called_simulated():
    html = _render(summary_rst({**FACTS, "backend": "stac"}, {}))
    assert "SIMULATED" not in html and "Sentinel-2 from backend" in html and ">stac<" in html
