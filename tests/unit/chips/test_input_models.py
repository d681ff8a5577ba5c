"""Model files are loaded with torch's weights_only: a pickle that runs code is refused."""

from __future__ import annotations

import pickle

import pytest

from minescan.chips.cnn import load_models
from minescan.errors import MinescanInputError

RAN = []


class Payload:
    def __reduce__(self):
        return (RAN.append, ("the pickle ran",))


def test_a_model_file_holding_code_is_refused_without_running_it(tmp_path):
    import torch

    path = tmp_path / "cnn_model.pt"
    torch.save({"format": "minescan-chip-cnn", "tasks": {}, "extra": Payload()}, path)
    with pytest.raises(MinescanInputError, match="not a torch model file"):
        load_models(path)
    assert RAN == []
    path.write_bytes(pickle.dumps(Payload()))
    with pytest.raises(MinescanInputError, match="not a torch model file"):
        load_models(path)
    assert RAN == []
