"""The two clean tasks on chip pairs, from the pair label alone (no category names, no ids).

- ``presence`` (one row per chip): the ``t1`` chip of a positive pair is a mine; both chips of a
  negative pair are not. The ``t0`` chip of a positive pair often already shows older mining
  nearby, so it is neither: it is kept as role ``before`` and scored separately.
- ``emergence`` (one row per pair): positive when a mine appeared between ``t0`` and ``t1``,
  negative for the other (natural or human non-mining) change.

Chips that are zero everywhere (no data) are left out: a presence row with such a chip, and
an emergence row with either chip, is dropped; the log counts them.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from minescan.chips.load import Chips

LOG = logging.getLogger(__name__)
TASKS = ("presence", "emergence")
ROLES = ("positive", "negative", "before")


def presence_task(chips: Chips) -> pd.DataFrame:
    """Rows: chip (row of chips.data), sample_id, category, longitude, latitude, role, y
    (NaN for ``before``)."""
    meta = chips.meta
    role = np.where(
        meta["label"] == 0, "negative", np.where(meta["time"] == "t1", "positive", "before")
    )
    frame = pd.DataFrame(
        {
            "chip": meta.index.to_numpy(),
            "chip_id": meta["chip_id"].to_numpy(),
            "sample_id": meta["sample_id"].to_numpy(),
            "category": meta["category"].to_numpy(),
            "longitude": meta["longitude"].to_numpy(),
            "latitude": meta["latitude"].to_numpy(),
            "role": role,
        }
    )
    if "place" in meta:  # single-date gallery chips: bootstrap and splits go by place
        frame["place"] = meta["place"].to_numpy()
    frame["y"] = frame["role"].map({"positive": 1.0, "negative": 0.0, "before": np.nan})
    dropped = frame[~meta["valid"].to_numpy()]
    frame = frame[meta["valid"].to_numpy()].reset_index(drop=True)
    LOG.info(
        "presence task: %d mine, %d not, %d before chips; %d no-data chips excluded %s",
        int((frame["role"] == "positive").sum()),
        int((frame["role"] == "negative").sum()),
        int((frame["role"] == "before").sum()),
        len(dropped),
        dict(dropped["role"].value_counts()),
    )
    return frame


def emergence_task(chips: Chips) -> pd.DataFrame:
    """Rows: t0, t1 (rows of chips.data), sample_id, category, longitude, latitude, y."""
    t0, t1 = chips.index_of("t0"), chips.index_of("t1")
    ids = t1.index.to_numpy()
    first = chips.meta.loc[t1.to_numpy()]
    frame = pd.DataFrame(
        {
            "t0": t0.loc[ids].to_numpy(),
            "t1": t1.to_numpy(),
            "sample_id": ids,
            "category": first["category"].to_numpy(),
            "longitude": first["longitude"].to_numpy(),
            "latitude": first["latitude"].to_numpy(),
            "y": first["label"].to_numpy().astype(float),
        }
    )
    valid = chips.meta["valid"].to_numpy()
    keep = valid[frame["t0"]] & valid[frame["t1"]]
    LOG.info(
        "emergence task: %d pairs with a new mine, %d without; %d pairs with a no-data chip "
        "excluded",
        int(frame.loc[keep, "y"].sum()),
        int((frame.loc[keep, "y"] == 0).sum()),
        int((~keep).sum()),
    )
    return frame[keep].reset_index(drop=True)
