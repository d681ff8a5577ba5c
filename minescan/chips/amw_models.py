"""Amazon Mining Watch's published chip classifiers (Earth Genome, MIT), described as data and
loaded as ``ChipScreen`` objects from their Keras HDF5 files by ``minescan.chips.keras_h5``.

Evidence for each entry (band order, radiometry, mining output, thresholds) is in
docs/models/amw-published-models.md. In short:

- every file's mining class is label 1: the logs' reports list ``['No Mine', 'Mine']`` and AMW's
  inference takes column 1 of a two-column softmax, column 0 of a sigmoid and the mean of the
  members' columns for its ensembles (``_probs_from_predictions`` in its inference engine);
- the 48 px models read ``clip(DN / 10000, 0, 1)`` of Level-1C composites in Earth Engine's band
  order (its training notebook and inference engine);
- the 44 px RGB model's log does not state its input. Scored on AMW's own gallery chips, it
  separates mines only with AMW's 2021 per-band z-score (``dl_utils.unit_norm``) in red, green,
  blue order (ROC-AUC 0.85; under 0.68 for every other order and scaling tried, and constant
  outputs for ``DN / 10000`` or ``DN / 3000``), so that is what it is given.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from minescan.chips.keras_h5 import KerasNetwork, load_keras_h5
from minescan.chips.screen import ChipScreen, ScaleClip, ZScore
from minescan.errors import MinescanInputError
from minescan.outputs import write_json
from minescan.provenance import provenance as make_provenance

MODEL_DIR = Path("..") / "shared" / "data" / "models" / "amw"

# Earth Engine's COPERNICUS/S2_HARMONIZED order in AMW's extractor ("S2L1C-12band" and "S2L1C").
AMW_12 = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B8A", "B08", "B09", "B11", "B12")
AMW_13 = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B8A", "B08", "B09", "B10", "B11", "B12")
RGB = ("B04", "B03", "B02")

# AMW's 2021 patch statistics (dl_utils.unit_norm) for red, green and blue.
RGB_2021_ZSCORE = ZScore(
    means=(1091.9574, 1172.4902, 1175.9235), deviations=(748.6153, 504.557, 398.5558)
)

AMW_MODELS: dict[str, dict] = {
    "amw-rgb-44px-v2.6": {
        "file": "44px_v2.6_rgb_2021-11-11.h5",
        "size": 44,
        "bands": RGB,
        "normalise": RGB_2021_ZSCORE,
        "mining_index": 1,  # two-class softmax, column 1 is 'Mine'
        "thresholds": {"log": 0.8},  # its report and its 2020 basin map ('thresh_0.8')
        "dual_threshold": None,
        "normalisation_confidence": "inferred from its scores on AMW's gallery, not stated",
    },
    "amw-12band-ensemble-v3.2-3.7": {
        "file": "48px_v3.2-3.7ensemble_2024-02-13.h5",
        "size": 48,
        "bands": AMW_12,
        "normalise": ScaleClip(10000),
        "mining_index": 0,  # six sigmoid members, averaged as AMW does
        "thresholds": {"maps": 0.6, "log": 0.8},  # 'dissolved-0.6' outputs; members' reports
        "dual_threshold": None,
        "normalisation_confidence": "stated in AMW's training notebook and inference engine",
    },
    "amw-13band-v4.21": {
        "file": "48px_v4.21-CNN100ka_2026-05-08ep179.h5",
        "size": 48,
        "bands": AMW_13,
        "normalise": ScaleClip(10000),
        "mining_index": 0,
        "thresholds": {"log": 0.5},  # its report ('config-t0.5')
        # AMW's loose (t_main, t_iso) post-process of its 2026 ensemble (pipeline_config.LOOSE)
        "dual_threshold": (0.43, 0.75),
        "normalisation_confidence": "stated in AMW's inference engine",
    },
}


def member_probabilities(network: KerasNetwork, chips: np.ndarray, mining_index: int) -> np.ndarray:
    """(members, n) mining probabilities of normalised chips."""
    out = network.member_outputs(chips)
    if out.shape[-1] <= mining_index:
        raise MinescanInputError(
            str(network.path), f"has {out.shape[-1]} outputs; the mining class is {mining_index}"
        )
    return out[..., mining_index]


def load_amw_model(name: str, model_dir: str | Path = MODEL_DIR) -> ChipScreen:
    """One of ``AMW_MODELS`` as a chip screen over Level-1C digital numbers."""
    if name not in AMW_MODELS:
        raise MinescanInputError(
            "model", f"unknown AMW model '{name}'", f"choose one of {', '.join(AMW_MODELS)}"
        )
    spec = AMW_MODELS[name]
    network = load_keras_h5(Path(model_dir) / spec["file"])
    expected = (spec["size"], spec["size"], len(spec["bands"]))
    if network.input_shape != expected:
        raise MinescanInputError(
            str(network.path), f"takes {network.input_shape}, the description says {expected}"
        )

    def predict(chips: np.ndarray) -> np.ndarray:
        return member_probabilities(network, chips, spec["mining_index"]).mean(axis=0)

    return ChipScreen(
        name=name,
        bands=spec["bands"],
        size=spec["size"],
        normalise=spec["normalise"],
        predict=predict,
        thresholds=dict(spec["thresholds"]),
        dual_threshold=spec["dual_threshold"],
        notes={
            "file": spec["file"],
            "normalisation": spec["normalise"].describe(),
            "normalisation_confidence": spec["normalisation_confidence"],
            "members": ", ".join(network.member_names),
            "licence": "MIT, Earth Genome, Amazon Mining Watch "
            "(github earthrise-media/mining-detector)",
        },
        network=network,
    )


def main(argv: list[str] | None = None) -> None:
    """Scan one Level-1C scene folder with one of AMW's models: score GeoTIFF and figures."""
    from minescan.chips.scene_scan import scan_scene, write_score_raster

    parser = argparse.ArgumentParser(
        prog="python -m minescan.chips.amw_models", description=main.__doc__
    )
    parser.add_argument("--model", required=True, choices=list(AMW_MODELS))
    parser.add_argument("--scene", required=True, help="folder of band rasters (*_B01.jp2 ...)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--stride", type=int, default=None, help="default: half the window")
    parser.add_argument("--resampling", default="nearest", help="for the 20 m and 60 m bands")
    parser.add_argument("--model-dir", default=str(MODEL_DIR))
    args = parser.parse_args(argv)
    screen = load_amw_model(args.model, args.model_dir)
    figures = scan_scene(screen, args.scene, args.stride, args.resampling)
    record = make_provenance(
        vars(args), {"model": Path(args.model_dir) / AMW_MODELS[args.model]["file"]}
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{args.model}_{Path(args.scene).name}"
    write_score_raster(figures, out / f"{stem}.tif", record)
    summary = {k: v for k, v in figures.items() if k not in ("grid", "transform", "crs")}
    write_json(summary | {"notes": screen.notes}, out / f"{stem}.json", record)
    for name, counts in summary["thresholds"].items():
        print(
            f"{args.model} {summary['scene']}: {summary['windows_scored']} windows, "
            f"{summary['valid_km2']:.1f} km²; at {name} {counts['threshold']:g}: "
            f"{counts['windows']} windows, {counts['sites']} sites above"
        )


if __name__ == "__main__":
    main()
