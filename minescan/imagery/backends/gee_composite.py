"""The Cloud Score+ median composite of minescan's Earth Engine tiles, described once.

The description (``Composite.steps``) is a list of Earth Engine calls. The gee backend builds
its requests from it, and the exported pixel classifier's Python and JavaScript usage is written
from it, so that the composite a user applies the model to is the one it was trained on: the
same collection, Cloud Score+ link and clear threshold, scene cloud filter, date window, median,
and the tiles' rounding (``VALUE_STEPS``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

SR_COLLECTION = "COPERNICUS/S2_SR_HARMONIZED"
TOA_COLLECTION = "COPERNICUS/S2_HARMONIZED"
CLOUD_SCORE_PLUS = "GOOGLE/CLOUD_SCORE_PLUS/V1/S2_HARMONIZED"
# Reflectance rounded half up as the tiles are, valid pixels at least 1 (0 is no data there).
VALUE_STEPS: list[tuple[str, tuple]] = [("round", ()), ("max", (1,))]


@dataclass(frozen=True)
class Ref:
    """A variable of the generated code: the region, the window's start or end."""

    name: str


@dataclass(frozen=True)
class EECall:
    """``ee.<path>(*args)``, e.g. ``ee.Filter.lt('CLOUDY_PIXEL_PERCENTAGE', 60)``."""

    path: str
    args: tuple = ()


@dataclass(frozen=True)
class ClearMask:
    """The function mapped over the images: masked where Cloud Score+ is below the threshold."""

    band: str
    threshold: float


REGION, START, END = Ref("region"), Ref("start"), Ref("end")


@dataclass(frozen=True)
class Composite:
    bands: tuple[str, ...]
    dates: tuple[str, str]
    collection: str = SR_COLLECTION
    cloud_score_collection: str = CLOUD_SCORE_PLUS
    cloud_score_band: str = "cs_cdf"
    clear_threshold: float = 0.6
    max_cloud_cover: float = 60.0

    def root(self) -> EECall:
        return EECall("ImageCollection", (self.collection,))

    def steps(self) -> list[tuple[str, tuple]]:
        """The calls on the collection, up to the median."""
        return [
            ("filterBounds", (REGION,)),
            ("filterDate", (START, END)),
            ("filter", (EECall("Filter.lt", ("CLOUDY_PIXEL_PERCENTAGE", self.max_cloud_cover)),)),
            (
                "linkCollection",
                (
                    EECall("ImageCollection", (self.cloud_score_collection,)),
                    [self.cloud_score_band],
                ),
            ),
            ("map", (ClearMask(self.cloud_score_band, self.clear_threshold),)),
            ("select", (list(self.bands),)),
            ("median", ()),
        ]

    def build(self, ee: Any, region: Any, dates: Sequence[str] | None = None) -> Any:
        """The median composite over ``region`` (an ee.Image, before the tiles' rounding)."""
        start, end = dates or self.dates
        env = {REGION: region, START: start, END: end}
        return apply_steps(ee, _resolve(ee, self.root(), env), self.steps(), env)

    def python_source(self, name: str = "training_composite") -> str:
        """A Python function ``name(region, start, end)`` returning the composite, rounded as
        the tiles are."""
        chain = "".join(
            f"        .{method}({_render(args, 'python')})\n"
            for method, args in self.steps() + VALUE_STEPS
        )
        return (
            f"def {name}(region, start={json.dumps(self.dates[0])}, "
            f"end={json.dumps(self.dates[1])}):\n"
            '    """The composite the model was trained on: the median of the images with a '
            "Cloud\n    Score+ clear score of at least the threshold, reflectance x 10000 rounded "
            'as the\n    tiles are."""\n'
            "    import ee\n\n"
            f"    return (\n        {_render_one(self.root(), 'python')}\n{chain}    )\n"
        )

    def javascript_source(self, name: str = "minescanTrainingComposite") -> str:
        """The same as a Code Editor function ``name(region, start, end)``."""
        chain = "".join(
            f"\n    .{method}({_render(args, 'javascript')})"
            for method, args in self.steps() + VALUE_STEPS
        )
        return (
            "// The composite the model was trained on: the median of the images with a Cloud\n"
            "// Score+ clear score of at least the threshold, reflectance x 10000 rounded as the\n"
            "// tiles are.\n"
            f"function {name}(region, start, end) {{\n"
            f"  start = start || {json.dumps(self.dates[0])};\n"
            f"  end = end || {json.dumps(self.dates[1])};\n"
            f"  return {_render_one(self.root(), 'javascript')}{chain};\n"
            "}\n"
        )


def apply_steps(ee: Any, obj: Any, steps: Sequence[tuple[str, tuple]], env: dict | None = None):
    """``obj.<method>(*args)`` for each step in turn."""
    for method, args in steps:
        obj = getattr(obj, method)(*[_resolve(ee, arg, env or {}) for arg in args])
    return obj


def tile_values(image: Any) -> Any:
    """The composite's values as the tiles hold them (``VALUE_STEPS``)."""
    return apply_steps(None, image, VALUE_STEPS)


def _clear_mask(band: str, threshold: float) -> Callable[[Any], Any]:
    def clear(image: Any) -> Any:
        return image.updateMask(image.select(band).gte(threshold))

    return clear


def _resolve(ee: Any, arg: Any, env: dict) -> Any:
    if isinstance(arg, Ref):
        return env[arg]
    if isinstance(arg, EECall):
        target = ee
        for part in arg.path.split("."):
            target = getattr(target, part)
        return target(*[_resolve(ee, a, env) for a in arg.args])
    if isinstance(arg, ClearMask):
        return _clear_mask(arg.band, arg.threshold)
    if isinstance(arg, list):
        return [_resolve(ee, a, env) for a in arg]
    return arg


def _render_one(arg: Any, language: str) -> str:
    if isinstance(arg, Ref):
        return arg.name
    if isinstance(arg, EECall):
        inner = ", ".join(_render_one(a, language) for a in arg.args)
        return f"ee.{arg.path}({inner})"
    if isinstance(arg, ClearMask):
        body = f"image.updateMask(image.select({json.dumps(arg.band)}).gte({arg.threshold!r}))"
        if language == "python":
            return f"lambda image: {body}"
        return f"function (image) {{ return {body}; }}"
    return json.dumps(arg)  # strings, numbers and lists read the same in Python and JavaScript


def _render(args: tuple, language: str) -> str:
    return ", ".join(_render_one(a, language) for a in args)
