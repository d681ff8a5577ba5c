"""The arguments every scoring command of a labelled folder shares (detection, footprints):
the model, the folder, the output folder, the mine-free imagery, the smallest object and the
threads, so that the commands read alike."""

from __future__ import annotations

import argparse
from pathlib import Path

from minescan.logs import setup_logging


def labelled_folder_parser(description: str, model_help: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--model", required=True, help=model_help)
    parser.add_argument(
        "--folder", required=True, help="labelled folder (tiles.csv, images/, masks/)"
    )
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--background", help="folder of real mine-free imagery (false alarms)")
    parser.add_argument("--min-object-pixels", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    return parser


def start(args: argparse.Namespace) -> None:
    """Torch on ``--threads`` and the log in ``--out``/scoring.log."""
    import torch

    torch.set_num_threads(args.threads)
    setup_logging(Path(args.out) / "scoring.log")
