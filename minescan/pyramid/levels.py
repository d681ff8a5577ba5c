"""The pyramid's levels: zoom, cell side and pixel size, checked against the grid.

Levels continue the grid's chain of cell sides (halved at each finer zoom, four children to a
parent) above and below ``grid.zoom_levels``, so every pyramid cell nests in the grid. By
default every level's tiles have the same pixel count: the pixel size doubles for each level
above the grid's finest zoom, which is at ``grid.pixel_size_m`` (10 m), like a web-map tile
pyramid. The pixel size is a function of the zoom alone, so adding a level to a scan leaves
the others' tiles as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from minescan.errors import MinescanInputError

SOURCE = "config"
SCREENS = ("pixel", "chip_cnn", "detector")
# what each screen's model needs: the file (config key) and the bands it reads
SCREEN_MODELS = {
    "pixel": "models.deploy (the deployed pixel model)",
    "chip_cnn": "chips: results/chips/cnn_model.pt (snakemake real_chips)",
    "detector": "detection: the detection stage's final weights (snakemake detection)",
}


@dataclass(frozen=True)
class Level:
    zoom: int
    cell_size_m: int
    pixel_size_m: int
    screen: str

    @property
    def side_px(self) -> int:
        return self.cell_size_m // self.pixel_size_m

    @property
    def pixels(self) -> int:
        """Pixels of one tile (per band)."""
        return self.side_px**2


def chain_cell_size(grid: Mapping[str, Any], zoom: int) -> float:
    """Cell side of ``zoom`` on the grid's chain (may be fractional for impossible levels)."""
    first = int(grid["zoom_levels"][0])
    return int(grid["cell_size_m"]) * 2.0 ** (first - int(zoom))


def pyramid_levels(grid: Mapping[str, Any], pyramid: Mapping[str, Any]) -> list[Level]:
    """The levels of ``pyramid`` (coarsest first), or a MinescanInputError naming the key."""
    zooms = [int(z) for z in pyramid["levels"]]
    if len(zooms) < 2 or zooms != list(range(zooms[0], zooms[0] + len(zooms))):
        raise MinescanInputError(
            SOURCE,
            f"pyramid.levels {zooms} are not two or more consecutive, increasing zoom levels",
            "list consecutive levels, coarsest first, e.g. [13, 14, 15, 16]",
        )
    finest_pixel = int(grid.get("pixel_size_m", 10))
    pixels = pyramid.get("pixel_size_m")
    if pixels is None:
        anchor = max(int(z) for z in grid["zoom_levels"])
        pixels = [finest_pixel * 2 ** max(0, anchor - z) for z in zooms]
    elif len(pixels) != len(zooms):
        raise MinescanInputError(
            SOURCE,
            f"pyramid.pixel_size_m has {len(pixels)} values for {len(zooms)} levels {zooms}",
            "give one pixel size per level, or null to double it per level above the grid's "
            "finest zoom",
        )
    screens = pyramid.get("screen", "pixel")
    levels = []
    for zoom, pixel in zip(zooms, pixels, strict=True):
        side = chain_cell_size(grid, zoom)
        if side != int(side) or int(side) % int(pixel):
            raise MinescanInputError(
                SOURCE,
                f"pyramid.levels: level {zoom} does not nest with the grid: its cells are "
                f"{side:g} m (grid.cell_size_m {grid['cell_size_m']} at zoom "
                f"{grid['zoom_levels'][0]}, halved per level), not a multiple of its pixel size "
                f"{pixel} m (pyramid.pixel_size_m)",
                "choose levels and pixel sizes whose pixels divide the cells",
            )
        screen = (
            screens.get(zoom, screens.get(str(zoom), "pixel"))
            if isinstance(screens, Mapping)
            else screens
        )
        if screen not in SCREENS:
            raise MinescanInputError(
                SOURCE,
                f"pyramid.screen for level {zoom} is {screen!r}, which minescan does not train "
                f"as a screen (available: {', '.join(SCREENS)})",
                "use 'pixel' (the deployed pixel model), 'chip_cnn' (the real-chips CNN) or "
                "'detector' (the detection model)",
            )
        levels.append(Level(zoom, int(side), int(pixel), str(screen)))
    return levels


def level_cell_sizes(grid: Mapping[str, Any], zooms: Sequence[int]) -> dict[int, int]:
    """Cell sides of ``zooms`` on the grid's chain (all of them must be whole metres)."""
    return {int(z): int(chain_cell_size(grid, z)) for z in zooms}


def check_screen_inputs(
    levels: Sequence[Level], models: Mapping[str, str], bands: Sequence[str]
) -> None:
    """Before any job: every level's screen has its model file and its bands in the imagery.
    ``models``: screen -> model path; ``bands``: ``imagery.bands``."""
    from pathlib import Path

    for level in levels:
        path = models.get(level.screen)
        if not path or not Path(path).is_file():
            raise MinescanInputError(
                str(path or SOURCE),
                f"pyramid.screen {level.screen!r} at level {level.zoom}: its model file "
                f"{path!r} does not exist",
                f"train it first ({SCREEN_MODELS[level.screen]}) or use pyramid.screen: pixel",
            )
        if level.screen == "chip_cnn":
            _check_chip_bands(level, bands, chip_model_bands(path))


def chip_model_bands(path: str) -> tuple[str, ...]:
    """The tile bands a chip model reads: its own (minescan's file or AMW's ``.h5``), or the
    six of a model not trained yet."""
    from pathlib import Path

    from minescan.chips.load import CHIP_BANDS

    if not Path(path).is_file():
        return CHIP_BANDS
    from minescan.chips.shipped import load_chip_model, tile_bands

    return tuple(tile_bands(load_chip_model(path)))


def _check_chip_bands(level: Level, bands: Sequence[str], needed: Sequence[str]) -> None:
    missing = [b for b in needed if b not in bands]
    if missing:
        raise MinescanInputError(
            SOURCE,
            f"pyramid.screen 'chip_cnn' at level {level.zoom} needs bands "
            f"{list(needed)}; imagery.bands {list(bands)} lack {missing}",
            "add them to imagery.bands",
        )


def level_statistic(level: Level, statistic: str) -> str:
    """The score column a level's threshold applies to: the best box (``max_probability``) at
    a detector level, ``pyramid.statistic`` at the others."""
    return "max_probability" if level.screen == "detector" else statistic


def detection_model_path(results: str, zoom: int) -> str:
    """The detection stage's final model of ``zoom`` (rule detection_train)."""
    return f"{results}/detection/z{int(zoom)}/train/final/weights.pt"


def detector_level_models(
    levels: Sequence[Level],
    detector_model: str | None,
    detection_zooms: Sequence[int],
    detection_pixel_m: int,
    results: str,
) -> dict[int, str]:
    """Before any job, the weights of every detector level: ``pyramid.detector_model`` (which
    nothing in the workflow trains, so it must exist with its ``detector.json``), or, when it
    is null, the detection stage's final model of the level's zoom, trained on tiles at
    ``detection_pixel_m`` (``grid.pixel_size_m``). ``detection_zooms``: those the detection
    stage trains (none when it is off)."""
    from pathlib import Path

    from minescan.detection.record import RECORD_NAME, record_path

    models = {}
    for level in levels:
        if level.screen != "detector":
            continue
        if detector_model:
            if not Path(detector_model).is_file() or not record_path(detector_model).is_file():
                raise MinescanInputError(
                    str(detector_model),
                    f"pyramid.detector_model (the detector of level {level.zoom}): the weights "
                    f"or the {RECORD_NAME} beside them do not exist, and no rule makes them",
                    f"give a detection weights.pt with its {RECORD_NAME} beside it "
                    "(results/detection/<dataset>/train/final/), or null for the detection "
                    "stage's model of the level's zoom",
                )
            models[level.zoom] = str(detector_model)
            continue
        if level.zoom not in [int(z) for z in detection_zooms]:
            raise MinescanInputError(
                SOURCE,
                f"pyramid.screen 'detector' at level {level.zoom}: pyramid.detector_model is "
                f"null and the detection stage trains no model of zoom {level.zoom} "
                f"(detection.zooms {list(detection_zooms)}, detection.enabled)",
                f"set pyramid.detector_model to a detection weights.pt (with its {RECORD_NAME} "
                f"beside it), or add {level.zoom} to detection.zooms with detection.enabled",
            )
        if level.pixel_size_m != int(detection_pixel_m):
            raise MinescanInputError(
                SOURCE,
                f"pyramid.screen 'detector' at level {level.zoom}: the detection stage's "
                f"z{level.zoom} model learns from {detection_pixel_m} m tiles "
                f"(grid.pixel_size_m), the level's tiles are {level.pixel_size_m} m "
                "(pyramid.pixel_size_m)",
                f"set the level's pyramid.pixel_size_m to {detection_pixel_m}, or give "
                "pyramid.detector_model trained at the level's pixel size",
            )
        models[level.zoom] = detection_model_path(results, level.zoom)
    return models


def _check_detector_bands(level: Level, weights: str, bands: Sequence[str]) -> None:
    """The bands the detector's channels are made from (its record), when it exists already
    (the detection stage makes its own from ``imagery.bands``)."""
    import json

    from minescan.detection.record import record_bands, record_path

    record = record_path(weights)
    if not record.is_file():
        return
    stored = json.loads(record.read_text())
    needed = record_bands(stored)
    missing = [b for b in needed if b not in bands]
    if missing:
        raise MinescanInputError(
            str(record),
            f"pyramid.screen 'detector' at level {level.zoom}: the detector's channels "
            f"{stored['channels']} need bands {needed}; imagery.bands {list(bands)} "
            f"lack {missing}",
            "add them to imagery.bands, or give pyramid.detector_model trained on these bands",
        )


def check_workflow_screens(
    levels: Sequence[Level],
    bands: Sequence[str],
    cnn_model: str,
    chips_enabled: bool,
    exhaustive: bool = False,
    detector_models: Mapping[int, str] | None = None,
) -> None:
    """The workflow's screens, before any job: ``chip_cnn`` needs the chip bands among
    ``imagery.bands`` and its model (trained by the chips stage, or already there);
    ``detector`` its weights (``detector_models``, from ``detector_level_models``) made from
    bands of ``imagery.bands``; neither runs with the exhaustive scan (the pixel model's)."""
    from pathlib import Path

    for level in levels:
        if level.screen in ("chip_cnn", "detector") and exhaustive:
            raise MinescanInputError(
                SOURCE,
                f"pyramid.screen {level.screen!r} at level {level.zoom} with "
                "pyramid.exhaustive: the exhaustive comparison streams the pixel model only",
                f"set pyramid.exhaustive: false with a {level.screen} level",
            )
        if level.screen == "detector":
            weights = (detector_models or {}).get(level.zoom)
            if weights is None:
                raise MinescanInputError(
                    SOURCE,
                    f"pyramid.screen 'detector' at level {level.zoom} has no model",
                    "set pyramid.detector_model, or add the zoom to detection.zooms",
                )
            _check_detector_bands(level, weights, bands)
        if level.screen == "chip_cnn" and not chips_enabled and not Path(cnn_model).is_file():
            raise MinescanInputError(
                cnn_model,
                f"pyramid.screen 'chip_cnn' at level {level.zoom}: the model file does not "
                "exist and nothing in this run trains it",
                "set pyramid.chip_model: shipped, or give chips.path real chips to train it",
            )
        if level.screen == "chip_cnn":
            _check_chip_bands(level, bands, chip_model_bands(cnn_model))
