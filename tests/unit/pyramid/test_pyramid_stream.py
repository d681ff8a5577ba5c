"""The exhaustive comparison's streamed screen: scores without tiles, faults isolated per cell."""

import numpy as np
import pandas as pd
import pytest
from fixtures.imagery import kalimantan_rows, write_cells, write_polygons
from fixtures.pixel_tables import BANDS

from minescan.imagery.backends.synthetic import SyntheticBackend
from minescan.imagery.errors import ShardFailed
from minescan.pixelmodels.features import build_features
from minescan.pixelmodels.model import LinearModel
from minescan.probability.apply import SCORE_COLUMNS
from minescan.pyramid.stream import stream_shard_scores


class FailingFirst(SyntheticBackend):
    """The synthetic backend with a service that fails for one cell."""

    def __init__(self, bad: str) -> None:
        super().__init__(seed=0)
        self.bad = bad

    def fetch(self, cell, mine):
        if cell.cell_id == self.bad:
            raise ConnectionError("connection reset by peer")
        return super().fetch(cell, mine)


def _inputs(tmp_path):
    features = build_features(BANDS)
    weights = np.zeros(len(features))
    weights[[f.name for f in features].index("NDVI")] = -3.0
    model = LinearModel(features, weights, 0.0, "logistic", 0.5, 0.5, {"threshold": 0.5})
    model.save(tmp_path / "model.json", {})
    rows = kalimantan_rows()
    return {
        "cells": str(write_cells(tmp_path, rows)),
        "polygons": str(write_polygons(tmp_path)),
        "shard": rows[0]["shard"],
        "model": str(tmp_path / "model.json"),
        "imagery": {"backend": "synthetic", "bands": BANDS},
        "pixel_size": 10.0,
        "threads": 1,
        "provenance": {},
    }, [r["cell_id"] for r in rows]


def test_a_failed_cell_is_left_unscored_and_the_rest_is_scored(tmp_path):
    inputs, ids = _inputs(tmp_path)
    out = tmp_path / "scores.parquet"
    stream_shard_scores(
        **inputs, fetch={"max_failed_fraction": 0.5}, out=str(out), backend=FailingFirst(ids[0])
    )
    scores = pd.read_parquet(out)
    assert list(scores.columns) == list(SCORE_COLUMNS)
    assert list(scores["cell_id"]) == ids[1:]
    assert scores["valid_pixels"].item() == 128 * 128


def test_too_many_failed_cells_fail_the_shard_and_write_nothing(tmp_path):
    inputs, ids = _inputs(tmp_path)
    out = tmp_path / "scores.parquet"
    with pytest.raises(ShardFailed, match="connection reset"):
        stream_shard_scores(
            **inputs, fetch={"max_failed_fraction": 0.0}, out=str(out), backend=FailingFirst(ids[0])
        )
    assert not out.exists()
