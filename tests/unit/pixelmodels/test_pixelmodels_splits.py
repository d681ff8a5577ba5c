import numpy as np
import pandas as pd
from fixtures.pixel_tables import pixel_table

from minescan.pixelmodels.splits import split_table


def test_cells_never_straddle_splits_and_every_split_has_mines():
    table = pixel_table(12, side=6)
    split = split_table(table, "cell", (0.6, 0.2, 0.2), seed=1)
    per_cell = pd.Series(split).groupby(table["cell_id"].to_numpy()).nunique()
    assert (per_cell == 1).all()
    for name in ("train", "validation", "test"):
        assert table["mine"][split == name].sum() > 0, name
    assert (split == split_table(table, "cell", (0.6, 0.2, 0.2), seed=1)).all()


def test_split_by_country_holds_out_whole_countries():
    table = pixel_table(16, side=4)
    split = split_table(table, "country", (0.5, 0.25, 0.25), seed=0)
    per_country = pd.Series(split).groupby(table["country"].to_numpy()).nunique()
    assert (per_country == 1).all()
    assert set(np.unique(split)) == {"train", "validation", "test"}


def test_metadata_split_with_one_country_falls_back_to_cells(caplog):
    table = pixel_table(6, side=4).assign(country="IDN")
    split = split_table(table, "country", (0.6, 0.2, 0.2), seed=0)
    assert "splitting by cell instead" in caplog.text
    assert set(np.unique(split)) == {"train", "validation", "test"}
