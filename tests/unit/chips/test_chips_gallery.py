"""The AMW gallery layout: chips read back to digital numbers, mistakes named by line, places
never split, and scoring that reads either layout."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from minescan.chips.gallery import (
    GALLERY_BANDS,
    is_gallery,
    load_gallery,
    read_gallery_table,
)
from minescan.chips.gallery_splits import (
    gallery_block_folds,
    gallery_region_folds,
    region_roles,
)
from minescan.errors import MinescanInputError

GALLERY = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "chips" / "amw_gallery"
needs_gallery = pytest.mark.skipif(not GALLERY.is_dir(), reason=f"{GALLERY} is absent")


def small_gallery(tmp_path: Path, rows: int = 40, name: str = "renamed") -> Path:
    """A renamed, moved copy of the first chips of two real gallery images (one clear, one
    cloudy composite of the same sampling) and of the located mining chips of a third."""
    table = pd.read_csv(GALLERY / "chips.csv", dtype=str, keep_default_na=False)
    stem = "v4.0-CNN-2025_acre_negatives"
    picked = [table[table["source"] == f"{stem}_clear{c}"].head(rows // 4) for c in (0.05, 0.75)]
    located = table[(table["longitude"] != "") & (table["label"] == "1")]
    picked.append(located[located["image"] == located["image"].iloc[0]].head(rows // 2))
    part = pd.concat(picked, ignore_index=True)
    folder = tmp_path / name
    (folder / "pngs").mkdir(parents=True)
    for image in part["image"].unique():
        shutil.copy(GALLERY / image, folder / "pngs" / Path(image).name)
    part["image"] = "pngs/" + part["image"].map(lambda p: Path(p).name)
    part["chip_id"] = [f"chip{k:03d}" for k in range(len(part))]
    part.to_csv(folder / "chips.csv", index=False)
    return folder


@needs_gallery
def test_chips_come_back_as_digital_numbers_from_their_grid_cell(tmp_path):
    folder = small_gallery(tmp_path)
    chips = load_gallery(folder)
    assert is_gallery(folder)
    assert chips.bands == GALLERY_BANDS == ("B4", "B3", "B2")
    assert chips.data.shape == (len(chips.meta), 48, 48, 3)
    table = read_gallery_table(folder)
    k = 5
    index = int(table["index"].iloc[k])
    with Image.open(table["file"].iloc[k]) as image:
        grid = np.asarray(image)
    r, c = index // 32 * 48, index % 32 * 48
    expected = grid[r : r + 48, c : c + 48].astype(np.float32) * 3000 / 255
    np.testing.assert_allclose(chips.data[k], expected, rtol=1e-6)
    # the clear and the cloudy composite of one sampling are one place
    places = chips.meta.groupby("source")["place"].first()
    assert places.filter(like="acre").nunique() == 1
    assert chips.meta["mine"].sum() == (table["label"] == 1).sum()


@needs_gallery
@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("label", "2", "line 4: label '2' is not 0 or 1"),
        ("index", "5000", "line 4: index 5000 lies outside"),
        ("image", "../../etc/passwd", "line 4: image '../../etc/passwd' points outside"),
        ("longitude", "-61.5", "line 4: only one of longitude and latitude"),
    ],
)
def test_a_bad_row_is_named_by_its_editor_line(tmp_path, column, value, message):
    folder = small_gallery(tmp_path)
    table = pd.read_csv(folder / "chips.csv", dtype=str, keep_default_na=False)
    table.loc[2, column] = value
    if column == "longitude":
        table.loc[2, "latitude"] = ""
    table.to_csv(folder / "chips.csv", index=False)
    with pytest.raises(MinescanInputError, match=message):
        load_gallery(folder)


@needs_gallery
def test_an_image_that_is_not_a_grid_of_chips_is_refused(tmp_path):
    folder = small_gallery(tmp_path)
    image = sorted((folder / "pngs").iterdir())[0]
    Image.new("RGB", (50, 48)).save(image)
    with pytest.raises(MinescanInputError, match="is not a grid of 48 px chips"):
        load_gallery(folder)


@needs_gallery
def test_region_out_never_splits_a_place_and_keeps_its_buffer():
    chips = load_gallery(GALLERY)
    meta = chips.meta
    folds, edges = gallery_region_folds(meta, 4, seed=0)
    # a place (and a sampling of unlocated chips) lies in one region only
    assert meta.groupby("place").apply(lambda g: folds[g.index].min() == folds[g.index].max()).all()
    lon = meta["longitude"].to_numpy()
    for test in range(4):
        roles = region_roles(meta, folds, test, buffer_deg=0.5, share=0.15, seed=0)
        seen = np.concatenate([roles["train"], roles["validation"]])
        assert not set(meta["place"].iloc[seen]) & set(meta["place"].iloc[roles["test"]])
        held = lon[roles["test"]][~np.isnan(lon[roles["test"]])]
        near = lon[seen][~np.isnan(lon[seen])]
        gap = np.minimum(np.abs(near - held.min()), np.abs(near - held.max()))
        inside = (near > held.min()) & (near < held.max())
        assert not inside.any() and gap.min() >= 0.5
        # every held-out region is scored on both classes
        assert 0 < meta["mine"].iloc[roles["test"]].mean() < 1
    block = gallery_block_folds(meta, 5, 1.0, seed=0)
    assert meta.groupby("place").apply(lambda g: len(set(block[g.index])) == 1).all()


@needs_gallery
@pytest.mark.slow
def test_the_recipe_trains_on_a_gallery_folder_into_a_model_the_scoring_reads(tmp_path):
    from minescan.chips.cnn import load_models
    from minescan.chips.gallery_steps import train_gallery
    from minescan.outputs import read_provenance

    folder = small_gallery(tmp_path, rows=64)
    recipe = {
        "arch": "minescan",
        "width": 4,
        "depth": 1,
        "members": 2,
        "epochs": 1,
        "patience": 1,
        "batch_size": 16,
        "learning_rate": 0.003,
        "standardise": "band",
        "augment": ["gain", "haze"],
    }
    out = tmp_path / "model.pt"
    train_gallery(
        gallery=str(folder),
        out=str(out),
        recipe=recipe,
        validation_share=0.25,
        seed=0,
        threads=1,
        provenance={"params": {"recipe": recipe}},
    )
    presence = load_models(out)["presence"]
    assert presence.band_names == GALLERY_BANDS and len(presence.members) == 2
    points = presence.operating_points
    assert set(points) == {"best_f1", "specificity_0.99", "specificity_0.998"}
    assert points["specificity_0.99"] <= points["specificity_0.998"]
    assert read_provenance(out)["params"]["recipe"]["members"] == 2
