"""Before any job: what the detection stage will read (labelled folders, mine-free imagery)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minescan.imagery.check import check_raster_folder
from minescan.ml.background import BAND_FILES
from minescan.ml.channels import resolve_channels
from minescan.ml.folder import check_labelled_folder


def check_detection_inputs(detection: Mapping[str, Any]) -> None:
    """Every labelled folder (and its bands against configured channels) and the folder of
    mine-free imagery, before any job."""
    if not detection.get("enabled"):
        return
    for name, folder in (detection.get("labelled") or {}).items():
        bands = check_labelled_folder(folder)
        if detection.get("channels"):
            resolve_channels(detection["channels"], bands, f"detection.labelled.{name} ({folder})")
    if detection.get("background"):
        # The bands are not known yet when the channels come from the ranking: any scene will do.
        check_raster_folder(detection["background"], "detection.background", [], BAND_FILES)


__all__ = ["check_detection_inputs"]
