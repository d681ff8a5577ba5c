"""The clean presence and emergence tasks, from the pair label alone."""

import pytest
from fixtures.chips import tiny_chips
from fixtures.imagery import CHIPS, needs_chips

from minescan.chips.load import load_chips
from minescan.chips.tasks import emergence_task, presence_task


def test_roles_and_no_data_on_a_tiny_folder(tmp_path, caplog):
    caplog.set_level("INFO")
    chips = load_chips(tiny_chips(tmp_path))
    presence = presence_task(chips)
    # 3 positive pairs: t1 mine, t0 before (one is all zero: dropped); 3 negative pairs x 2
    assert presence["role"].value_counts().to_dict() == {"negative": 6, "positive": 3, "before": 2}
    assert presence.loc[presence["role"] == "before", "y"].isna().all()
    assert "1 no-data chips excluded" in caplog.text
    emergence = emergence_task(chips)
    assert len(emergence) == 5 and emergence["y"].sum() == 2  # the pair with no-data t0 is out
    assert (chips.meta.loc[emergence["t0"], "time"] == "t0").all()
    assert (chips.meta.loc[emergence["t1"], "time"] == "t1").all()


@pytest.mark.slow
@needs_chips
def test_real_chips_give_the_documented_counts():
    chips = load_chips(CHIPS)
    presence = presence_task(chips)
    counts = presence["role"].value_counts().to_dict()
    assert counts == {"positive": 434, "negative": 376, "before": 429}
    emergence = emergence_task(chips)
    assert len(emergence) == 617 and emergence["y"].sum() == 429
    # never a t0 of a mine pair among the negatives of presence
    negatives = presence[presence["role"] == "negative"]
    assert set(negatives["category"]) == {"natural_change", "human_activity"}


@pytest.mark.parametrize("task", [presence_task, emergence_task])
def test_tasks_do_not_read_category_names(tmp_path, task):
    chips = load_chips(tiny_chips(tmp_path))
    renamed = load_chips(tmp_path)
    renamed.meta["category"] = "anything"
    assert task(chips)["y"].fillna(-1).tolist() == task(renamed)["y"].fillna(-1).tolist()
