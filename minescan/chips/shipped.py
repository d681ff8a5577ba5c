"""minescan's shipped chip model (``resources/models/chip_rgb/model.pt``) and any chip CNN
ensemble as a chip screen over Level-1C digital numbers.

The shipped model is a six-member ensemble trained on Amazon Mining Watch's gallery of 9,954
labelled RGB chips (CC BY 4.0, Earth Genome); its model card is
``docs/models/chip-model-card.md``. It reads B4, B3, B2 of Level-1C top-of-atmosphere
composites as digital numbers (reflectance x 10000) and scales them itself
(``minescan.chips.inputs``, the ``band`` standardisation of ``log1p`` reflectance).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from minescan.chips.cnn import Ensemble, load_models
from minescan.chips.screen import ChipScreen
from minescan.chips.table import CHIP_BANDS
from minescan.errors import MinescanInputError

SHIPPED_MODEL = Path("resources") / "models" / "chip_rgb" / "model.pt"


def file_band(name: str) -> str:
    """'B4' -> 'B04', as Level-1C band files are named ('B8A' stays)."""
    return f"B{int(name[1:]):02d}" if name[1:].isdigit() else name


def ensemble_screen(ensemble: Ensemble, name: str) -> ChipScreen:
    """A presence ensemble as a screen: it normalises digital numbers itself."""
    if ensemble.kind != "patch":
        raise MinescanInputError(name, f"a {ensemble.kind} model cannot screen single images")
    points = ensemble.operating_points or {
        "best_f1": ensemble.threshold,
        **(
            {"specificity_0.99": ensemble.threshold_specificity}
            if ensemble.threshold_specificity is not None
            else {}
        ),
    }
    return ChipScreen(
        name=name,
        bands=tuple(file_band(b) for b in (ensemble.band_names or CHIP_BANDS)),
        size=48,
        normalise=np.asarray,
        predict=ensemble.probability,
        thresholds={k: float(v) for k, v in points.items()},
        network=ensemble,
    )


def load_screen(path: str | Path = SHIPPED_MODEL) -> ChipScreen:
    models = load_models(path)
    if "presence" not in models:
        raise MinescanInputError(str(path), "holds no presence model", "give a chip model file")
    return ensemble_screen(models["presence"], Path(path).parent.name or Path(path).stem)
