"""Running ultralytics here and on a GPU cluster alike: offline, and with CPU torch.

Two things stand between a plain ``pip install`` and a working ultralytics on these machines:

- The PyPI torchvision wheel is CUDA-linked; with the CPU torch wheel its compiled ops do not
  load, and ``import torchvision`` fails (``operator torchvision::nms does not exist``).
  ``ensure_torchvision_nms`` registers a pure-torch ``torchvision::nms`` (and ``qnms``) before
  torchvision is imported, only when the compiled library cannot be loaded; on a normal install
  (CPU or CUDA builds that match torch) it loads nothing of its own and changes nothing.
- Ultralytics downloads fonts and writes settings into the home folder unless told otherwise.
  ``offline_ultralytics`` points it at a folder inside the results with the fonts it wants and
  forbids downloads and automatic installs.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import sys
from pathlib import Path

import torch

LOG = logging.getLogger(__name__)

NMS_SCHEMA = "(Tensor dets, Tensor scores, float iou_threshold) -> Tensor"
FONTS = ("Arial.ttf", "Arial.Unicode.ttf")
# Kept for the life of the process: dropping the Library object would unregister the ops.
_FALLBACK: list[torch.library.Library] = []


def nms_reference(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Greedy non-maximum suppression in plain torch, with torchvision's semantics.

    Boxes are (x1, y1, x2, y2); a box is dropped when its IoU with a kept, higher-scoring box
    exceeds ``iou_threshold``. Returns the kept indices (int64) in decreasing order of score.
    Each step compares one kept box with the boxes still alive, so the cost is O(N x kept).
    """
    if boxes.numel() == 0:
        return torch.empty((0,), dtype=torch.int64, device=boxes.device)
    boxes = boxes.float()
    x1, y1, x2, y2 = boxes.unbind(1)
    areas = (x2 - x1) * (y2 - y1)
    order = torch.sort(scores.float(), descending=True, stable=True).indices
    keep = []
    while order.numel() > 0:
        i = order[0]
        keep.append(i)
        rest = order[1:]
        if rest.numel() == 0:
            break
        width = (torch.minimum(x2[i], x2[rest]) - torch.maximum(x1[i], x1[rest])).clamp(min=0)
        height = (torch.minimum(y2[i], y2[rest]) - torch.maximum(y1[i], y1[rest])).clamp(min=0)
        inter = width * height
        iou = inter / (areas[i] + areas[rest] - inter)
        order = rest[~(iou > iou_threshold)]
    return torch.stack(keep).to(torch.int64)


def _compiled_ops_load() -> bool:
    """Whether torchvision's compiled op library loads (or there is no torchvision at all)."""
    spec = importlib.util.find_spec("torchvision")
    if spec is None or not spec.submodule_search_locations:
        return True  # nothing to fix: ultralytics then uses its own NMS
    folder = Path(next(iter(spec.submodule_search_locations)))
    libraries = sorted(folder.glob("_C.*so")) + sorted(folder.glob("_C.*pyd"))
    if not libraries:
        return False
    try:
        torch.ops.load_library(str(libraries[0]))
    except (OSError, ImportError, RuntimeError) as error:
        LOG.debug("torchvision's compiled ops do not load: %s", error)
        return False
    return True


def _op_exists(name: str) -> bool:
    try:
        torch._C._dispatch_find_schema_or_throw(f"torchvision::{name}", "")
    except RuntimeError:
        return False
    return True


def ensure_torchvision_nms() -> bool:
    """Make ``import torchvision`` and ``torchvision.ops.nms`` work; True if a fallback was needed.

    Must run before torchvision is first imported. Inert where torchvision's own ops load.
    """
    if _FALLBACK or _op_exists("nms"):
        return bool(_FALLBACK)
    if "torchvision" in sys.modules:
        return False  # imported before us with its ops; nothing to register
    if _compiled_ops_load() and _op_exists("nms"):
        return False
    library = torch.library.Library("torchvision", "DEF")
    for name in ("nms", "qnms"):
        library.define(name + NMS_SCHEMA)
        library.impl(name, nms_reference, "CompositeExplicitAutograd")
    _FALLBACK.append(library)
    import torchvision.extension

    # torchvision decided at import that its ops are missing; nms now exists, so let it call it.
    torchvision.extension._has_ops = lambda: True
    LOG.info("torchvision's compiled ops are missing (CPU torch): using a pure-torch NMS")
    return True


def offline_ultralytics(settings_dir: str | Path) -> Path:
    """Configure ultralytics to run offline with its settings in ``settings_dir``.

    Must run before ultralytics is first imported (it reads the variables at import).
    """
    folder = Path(settings_dir).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    import matplotlib

    font = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    for name in FONTS:
        if not (folder / name).exists():
            shutil.copyfile(font, folder / name)
    os.environ["YOLO_CONFIG_DIR"] = str(folder)
    os.environ["YOLO_OFFLINE"] = "1"
    os.environ["YOLO_AUTOINSTALL"] = "false"
    os.environ.setdefault("YOLO_VERBOSE", "false")
    ensure_torchvision_nms()
    return folder
