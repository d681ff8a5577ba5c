"""The patch and siamese CNNs: shapes, augmentation, training that learns, files that round-trip."""

import numpy as np
import pytest
import torch
from fixtures.imagery import CHIPS, needs_chips

from minescan.chips.cnn import (
    Ensemble,
    Normaliser,
    TrainSettings,
    dihedral,
    fit_ensemble,
    load_models,
    make_network,
    save_models,
)
from minescan.chips.folds import block_folds, fold_roles
from minescan.chips.load import load_chips
from minescan.chips.tasks import presence_task
from minescan.errors import MinescanInputError
from minescan.outputs import read_provenance

TINY = TrainSettings(width=4, epochs=3, patience=2, batch_size=32)


@pytest.fixture(autouse=True)
def pinned_threads():
    torch.set_num_threads(1)


def test_networks_map_chips_and_pairs_to_one_logit():
    chips = torch.zeros((3, 6, 48, 48))
    assert make_network("patch", 6, 4)(chips).shape == (3,)
    assert make_network("siamese", 6, 4)(torch.zeros((3, 2, 6, 48, 48))).shape == (3,)
    with pytest.raises(ValueError, match="unknown network"):
        make_network("unet", 6, 4)


def test_dihedral_moves_both_dates_of_a_pair_alike():
    x = torch.arange(2 * 2 * 1 * 4 * 4, dtype=torch.float32).view(2, 2, 1, 4, 4)
    pair = x.clone()
    pair[:, 1] = pair[:, 0]  # identical dates stay identical after augmentation
    out = dihedral(pair, torch.Generator().manual_seed(0))
    assert torch.equal(out[:, 0], out[:, 1])
    assert sorted(out[0, 0].flatten().tolist()) == sorted(pair[0, 0].flatten().tolist())


@pytest.mark.slow
def test_training_is_seeded_and_files_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    chips = rng.integers(100, 3000, (40, 48, 48, 6)).astype(np.float32)
    y = (np.arange(40) % 2).astype(float)
    chips[y == 1, 10:30, 10:30, 4] += 3000  # a bright SWIR square marks the positives
    first = fit_ensemble("patch", chips[:30], y[:30], chips[30:], y[30:], TINY, [1, 2])
    again = fit_ensemble("patch", chips[:30], y[:30], chips[30:], y[30:], TINY, [1, 2])
    assert np.allclose(first.probability(chips), again.probability(chips))
    first.threshold = 0.37
    save_models({"presence": first}, tmp_path / "m.pt", {"params": {"a": 1}})
    loaded = load_models(tmp_path / "m.pt")["presence"]
    assert isinstance(loaded, Ensemble) and loaded.threshold == 0.37
    assert np.allclose(loaded.probability(chips), first.probability(chips))
    assert read_provenance(tmp_path / "m.pt") == {"params": {"a": 1}}
    with pytest.raises(MinescanInputError, match="does not fit a patch model"):
        loaded.probability(chips[..., :4])


def test_a_file_that_is_not_a_chip_model_is_a_clear_error(tmp_path):
    (tmp_path / "bad.pt").write_text("not torch")
    with pytest.raises(MinescanInputError, match="not a torch model file"):
        load_models(tmp_path / "bad.pt")
    torch.save({"something": 1}, tmp_path / "other.pt")
    with pytest.raises(MinescanInputError, match="not a minescan chip CNN"):
        load_models(tmp_path / "other.pt")
    with pytest.raises(MinescanInputError, match="not found"):
        load_models(tmp_path / "absent.pt")


def test_normaliser_standardises_log_reflectance():
    chips = np.random.default_rng(1).integers(1, 5000, (10, 8, 8, 6)).astype(np.float32)
    x = Normaliser.fit(chips)(chips)
    assert x.shape == (10, 6, 8, 8)
    assert np.allclose(x.mean(dim=(0, 2, 3)).numpy(), 0, atol=1e-4)


@pytest.mark.slow
@needs_chips
def test_a_small_cnn_beats_chance_on_held_out_blocks():
    chips = load_chips(CHIPS)
    task = presence_task(chips)
    task = task[task["y"].notna()].reset_index(drop=True)
    roles = fold_roles(block_folds(task, 1.0, 5, seed=42), 0, 5)
    rng = np.random.default_rng(0)
    train = rng.choice(roles["train"], 240, replace=False)
    images = chips.data[task["chip"].to_numpy()]
    y = task["y"].to_numpy()
    settings = TrainSettings(width=6, epochs=4, patience=3)
    ensemble = fit_ensemble(
        "patch",
        images[train],
        y[train],
        images[roles["validation"]],
        y[roles["validation"]],
        settings,
        [0],
    )
    from sklearn.metrics import average_precision_score

    score = ensemble.probability(images[roles["test"]])
    assert average_precision_score(y[roles["test"]], score) > y[roles["test"]].mean() + 0.1
