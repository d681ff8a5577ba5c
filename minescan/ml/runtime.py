"""Where and how reproducibly torch runs: one device choice and one seeding for every stage."""

from __future__ import annotations

import numpy as np


def device() -> str:
    """``cuda`` when a CUDA device is visible, else ``cpu`` (torch and ultralytics both take it;
    ultralytics reads ``cuda`` as its first device)."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def seed_everything(seed: int, threads: int) -> None:
    """Seed torch and numpy's global state (libraries that draw from it) and pin torch's threads."""
    import torch

    torch.manual_seed(seed)
    np.random.seed(seed)  # noqa: NPY002 (libraries that draw from the global state)
    torch.set_num_threads(max(1, int(threads)))
