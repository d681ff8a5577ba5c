"""minescan's shipped chip model (``resources/models/chip_rgb/model.pt``), any chip CNN
ensemble, and Amazon Mining Watch's published HDF5 models as chip screens over Level-1C
digital numbers (``load_chip_model``), with the tile band names each reads.

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


def load_chip_model(path: str | Path) -> ChipScreen:
    """A chip screen from its file: a minescan chip-CNN file, or one of Amazon Mining Watch's
    published ``.h5`` models (recognised by its file name; band order and scaling are those
    written down in ``minescan.chips.amw_models``)."""
    path = Path(path)
    if path.suffix.lower() != ".h5":
        return load_screen(path)
    from minescan.chips.amw_models import AMW_MODELS, load_amw_model

    names = [name for name, spec in AMW_MODELS.items() if spec["file"] == path.name]
    if not names:
        known = ", ".join(spec["file"] for spec in AMW_MODELS.values())
        raise MinescanInputError(
            str(path), "is not one of Amazon Mining Watch's published models", f"one of {known}"
        )
    return load_amw_model(names[0], path.parent)


def tile_bands(screen: ChipScreen) -> list[str]:
    """The screen's bands as minescan tiles name them ('B02' -> 'B2'; 'B8A' stays)."""
    return [f"B{int(b[1:])}" if b[1:].isdigit() else b for b in screen.bands]


def decision_threshold(screen: ChipScreen) -> float:
    """The screen's first operating point (best F1 for minescan's ensembles)."""
    return float(next(iter(screen.thresholds.values())))
