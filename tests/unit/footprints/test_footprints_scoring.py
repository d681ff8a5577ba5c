"""The scoring command scores any labelled folder: a renamed and moved copy scores the same."""

from __future__ import annotations

import json
import shutil

import geopandas as gpd
import pandas as pd
import pytest
import torch
from fixtures.detection import labelled_folder

from minescan.footprints.model import Segmenter, build_network
from minescan.footprints.scoring import main
from minescan.ml.channels import Scaling
from minescan.pixelmodels.features import Feature


def renamed_copy(folder, target):
    """The folder under another name, its tiles and files renamed and listed in another order."""
    (target / "imgs").mkdir(parents=True)
    (target / "labels").mkdir()
    table = pd.read_csv(folder / "tiles.csv").iloc[::-1].reset_index(drop=True)
    for i, row in table.iterrows():
        shutil.copy(folder / row["image"], target / "imgs" / f"site{i}.tif")
        shutil.copy(folder / row["mask"], target / "labels" / f"site{i}_mask.tif")
        table.loc[i, ["tile", "image", "mask"]] = [
            f"site{i}",
            f"imgs/site{i}.tif",
            f"labels/site{i}_mask.tif",
        ]
    table.to_csv(target / "tiles.csv", index=False)
    return target


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_renamed_moved_folder_scores_the_same(tmp_path):
    torch.manual_seed(0)
    torch.set_num_threads(1)
    net = build_network("unet", "tu-mobilenetv3_small_050", 3, 3)
    channels = ("B4", "B3", "B2")
    scaling = Scaling(channels, (500.0,) * 3, (3500.0,) * 3)
    segmenter = Segmenter(
        net, "unet", "tu-mobilenetv3_small_050", 3, [Feature(c, c) for c in channels], scaling, 0.5
    )
    segmenter.save(tmp_path / "model.pt", {})
    original = labelled_folder(tmp_path / "data" / "tiles", count=5, size=64)
    moved = renamed_copy(original, tmp_path / "elsewhere" / "other_region")
    args = ["--model", str(tmp_path / "model.pt"), "--window-px", "64", "--overlap-px", "16"]
    args += ["--min-area-m2", "100", "--min-object-pixels", "4"]
    first = main([*args, "--folder", str(original), "--out", str(tmp_path / "a")])
    second = main([*args, "--folder", str(moved), "--out", str(tmp_path / "b")])
    for key in ("iou", "f1", "object_recall", "objects", "true_area_m2", "predicted_area_m2"):
        assert first[key] == second[key]
    written = json.loads((tmp_path / "b" / "metrics.json").read_text())
    assert written["objects"] == 5 + 2  # the fixture's tiles hold one or two squares each
    for name in ("objects.csv", "tiles.csv", "breakdown.csv", "gallery.png", "footprints.gpkg"):
        assert (tmp_path / "b" / name).stat().st_size > 0
    polygons = gpd.read_file(tmp_path / "b" / "footprints.gpkg")
    assert polygons.crs.to_epsg() == 4326 and (polygons["area_m2"] >= 100).all()
