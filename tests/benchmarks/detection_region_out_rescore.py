"""Rescore the region-out models of one run on their held-out bands with the scoring command,
against another folder of mine-free scenes (e.g. only the scenes that no try trained on).

    python tests/benchmarks/detection_region_out_rescore.py \\
        --run results/detection/brazil_tailings/region_out \\
        --folder ../shared/data/tiles/brazil_tailings \\
        --background ../shared/data/sentinel2/brandenburg_l1c --out /tmp/rescored

Each band's held-out tiles are copied into a labelled folder of their own (renamed, paths
relative to it) and scored with ``python -m minescan.detection.scoring``; prints one line per
band and the pooled recall at the target false-alarm rate.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pandas as pd

from minescan.detection.record import record_path, write_record
from minescan.detection.region_out import band_tiles
from minescan.detection.scoring import main as score


def held_out_folder(source: Path, band: int, bands: int, gap_deg: float, out: Path) -> Path:
    table = band_tiles(source, band, bands, gap_deg)
    names = set(table.loc[table["region_split"] == "test", "tile"])
    rows = pd.read_csv(source / "tiles.csv")
    rows = rows[rows["tile"].isin(names)].copy()
    shutil.rmtree(out, ignore_errors=True)
    for column, sub in (("image", "img"), ("mask", "lbl")):
        (out / sub).mkdir(parents=True)
        for index, value in rows[column].items():
            shutil.copy(source / value, out / sub / Path(value).name)
            rows.loc[index, column] = f"{sub}/{Path(value).name}"
    rows.to_csv(out / "tiles.csv", index=False)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", required=True, help="a region_out folder (band<k>/work)")
    parser.add_argument("--folder", required=True, help="the labelled folder it held out")
    parser.add_argument("--background", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--bands", type=int, default=3)
    parser.add_argument("--gap-deg", type=float, default=0.5)
    parser.add_argument("--tta", action="store_true", help="score with test-time augmentation")
    args = parser.parse_args()
    objects, recalls = 0, 0.0
    for band in range(args.bands):
        work = Path(args.run) / f"band{band}" / "work"
        if not record_path(work / "weights.pt").is_file():  # runs made before detector.json
            summary = json.loads((work / "summary.json").read_text())
            write_record(
                work / "weights.pt",
                work / "scaling.json",
                image_size=summary["image_size"],
                window_px=448,
                provenance={},
            )
        out = Path(args.out) / f"band{band}"
        folder = held_out_folder(Path(args.folder), band, args.bands, args.gap_deg, out / "tiles")
        metrics = score(
            [
                "--model",
                str(work / "weights.pt"),
                "--folder",
                str(folder),
                "--out",
                str(out / "scored"),
                "--background",
                args.background,
                *(["--tta"] if args.tta else []),
            ]
        )
        target = metrics["at_target_false_alarms"]
        objects += metrics["objects"]
        recalls += target["object_recall_iou50"] * metrics["objects"]
        print(
            f"band {band}: mAP50 {metrics['map50']} recall@0.25 {metrics['object_recall_iou50']}"
            f" FA/100km2@0.25 {metrics['false_alarms_per_100km2']} on {metrics['background_km2']}"
            f" km2; at <= {target['target_per_100km2']}/100km2 (score {target['confidence']}):"
            f" recall {target['object_recall_iou50']} / half-area"
            f" {target['object_recall_half_area']}"
        )
    print(f"pooled recall (IoU >= 0.5) at the target: {recalls / objects:.4f} of {objects}")


if __name__ == "__main__":
    main()
