"""Previews: true colour, stretched, mine pixels tinted red, SIMULATED stamped; contact sheet."""

from __future__ import annotations

import numpy as np
import pandas as pd
from fixtures.imagery import kalimantan_rows, write_cells, write_polygons
from PIL import Image

from minescan.imagery.previews import make_shard_previews, overlay, stretch
from minescan.imagery.tiles import make_shard_tiles


def test_stretch_and_overlay():
    data = np.stack([np.arange(100).reshape(10, 10) * 10 + 500] * 3)
    valid = np.ones((10, 10), bool)
    rgb = stretch(data, valid, (2, 98))
    assert rgb.min() == 0 and rgb.max() == 255
    mine = np.zeros((10, 10), np.uint8)
    mine[3:7, 3:7] = 1
    out = overlay(np.full((3, 10, 10), 100, np.uint8), mine, 0.4)
    assert tuple(out[5, 5]) == (162, 60, 60)  # 60 % grey + 40 % red inside
    assert tuple(out[3, 3]) == (255, 0, 0)  # outline
    assert tuple(out[0, 0]) == (100, 100, 100)


def test_shard_previews_and_contact_sheet(tmp_path):
    rows = kalimantan_rows()
    make_shard_tiles(
        cells=write_cells(tmp_path, rows),
        polygons=write_polygons(tmp_path),
        shard="s0",
        tiles_dir=tmp_path / "tiles",
        status=tmp_path / "status.csv",
        imagery={"backend": "synthetic", "bands": ["B2", "B3", "B4"]},
    )
    status = pd.read_csv(tmp_path / "status.csv")
    status.loc[1, ["status", "tile"]] = ["cloudy", None]  # a cell without imagery is skipped
    status.to_csv(tmp_path / "status.csv", index=False)
    written = make_shard_previews(
        status=tmp_path / "status.csv",
        tiles_dir=tmp_path / "tiles",
        previews_dir=tmp_path / "previews",
        sheet=tmp_path / "sheet.jpg",
        shard="s0",
    )
    assert [p.name for p in written] == [f"{rows[0]['cell_id']}.jpg"]
    with Image.open(written[0]) as image:
        assert image.size == (128, 128) and image.format == "JPEG"
        pixels = np.asarray(image).astype(int)
    # Some pixels are strongly red (the mine tint), and the stamp is there (yellow text).
    reddish = (pixels[..., 0] - pixels[..., 1] > 60).mean()
    assert 0.05 < reddish < 0.95
    with Image.open(tmp_path / "sheet.jpg") as sheet:
        assert sheet.width == 160 and sheet.height > 160
