"""The exported classifier's usage builds the composite the model was trained on: the generated
Python, run against the fake Earth Engine, makes the very calls of the gee backend's tile
request (collection, Cloud Score+ link, clear threshold, scene filter, dates, bands, median,
rounding), and the JavaScript says the same."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
from fixtures.fake_ee import Chain, FakeEE
from fixtures.imagery import cell_row
from fixtures.pixel_tables import BANDS

from minescan.cells import cell_from_row
from minescan.imagery.backends.gee import GeeBackend, composite_params
from minescan.pixelmodels.features import build_features
from minescan.pixelmodels.model import LinearModel
from minescan.probability.gee import javascript_source, model_composite, python_source

DATES = ["2021-03-01", "2021-10-01"]
COLLECTIONS = {"l2a": "COPERNICUS/S2_SR_HARMONIZED", "l1c": "COPERNICUS/S2_HARMONIZED"}


def imagery(level: str) -> dict:
    """Settings away from the defaults, so that each must travel from the config."""
    return {
        "backend": "gee",
        "bands": list(BANDS),
        "level": level,
        "max_cloud_cover": 35,
        "gee": {"project": "p", "clear_threshold": 0.55},
    }


def model() -> LinearModel:
    features = build_features(BANDS)
    weights = np.zeros(len(features))
    weights[[0, 3, len(features) - 1]] = [1e-3, -0.5, 2.0]
    return LinearModel(features, weights, 0.25, "logistic", 0.5, 0.5, {"kind": "test"})


def calls(value, region=None):
    """An Earth Engine object as comparable data: a chain as its calls in order, the region as
    a marker, a mapped function as the calls it makes on an image."""
    if region is not None and value is region:
        return "REGION"
    if isinstance(value, Chain):
        return [
            (name, tuple(calls(a, region) for a in args), {k: calls(v, region) for k, v in kw})
            for name, args, kw in ((n, a, sorted(k.items())) for n, a, k in value.ops())
        ]
    if callable(value):
        return ("function", calls(value(Chain([], "image")), region))
    if isinstance(value, list | tuple):
        return type(value)(calls(v, region) for v in value)
    return value


def backend_calls(level: str) -> list:
    """The gee backend's composite in a tile request, less its no-data fill and cast."""
    fake = FakeEE()
    backend = GeeBackend.from_config({**imagery(level), "dates": DATES})
    backend._ee = fake
    cell = cell_from_row(cell_row(32750, 511120, 9944740, 1280))
    expression = calls(backend.request(cell)["expression"])
    region = expression[1][1][0]  # filterBounds' argument: the cell in its own CRS
    assert expression[1][0] == "filterBounds" and region[0][:2] == (
        "Rectangle",
        ([511120.0, 9943460.0, 512400.0, 9944740.0], "EPSG:32750", False),
    )
    assert [name for name, _, _ in expression[-2:]] == ["unmask", "toUint16"]
    expression[1] = ("filterBounds", ("REGION",), {})
    return expression[:-2]


def snippet_calls(level: str, monkeypatch) -> tuple[list, str]:
    source = python_source(
        model(), model_composite(model(), composite_params(imagery(level), DATES))
    )
    compile(source, "mine_probability.py", "exec")  # valid Python
    fake = FakeEE()
    monkeypatch.setitem(sys.modules, "ee", fake)
    namespace: dict = {}
    exec(source, namespace)
    region = fake.Geometry.Rectangle([112.0, -3.0, 112.5, -2.5])
    composite = namespace["training_composite"](region)
    probability = namespace["mine_probability"](composite)
    assert calls(probability)[-1] == ("rename", ("mine_probability",), {})
    return calls(composite, region), source


@pytest.mark.parametrize("level", ["l2a", "l1c"])
def test_the_python_usage_builds_the_backends_composite(level, monkeypatch):
    backend = backend_calls(level)
    snippet, _ = snippet_calls(level, monkeypatch)
    assert snippet == backend
    by_name = {name: args for name, args, _ in snippet}
    assert snippet[0] == ("ImageCollection", (COLLECTIONS[level],), {})
    assert by_name["filterDate"] == tuple(DATES)
    assert by_name["filter"][0][-1] == ("lt", ("CLOUDY_PIXEL_PERCENTAGE", 35.0), {})
    link = by_name["linkCollection"]
    assert link[0] == [("ImageCollection", ("GOOGLE/CLOUD_SCORE_PLUS/V1/S2_HARMONIZED",), {})]
    assert link[1] == ["cs_cdf"]
    mask = by_name["map"][0][1]
    assert mask == [("updateMask", ([("select", ("cs_cdf",), {}), ("gte", (0.55,), {})],), {})]
    assert by_name["select"] == (list(BANDS),)
    assert [name for name, _, _ in snippet[-3:]] == ["median", "round", "max"]


def _chain_lines(source: str) -> list[str]:
    """The ``.method(...)`` lines of a generated composite, the mapped function's body bare."""
    lines = [line.strip().rstrip(";") for line in source.splitlines()]
    lines = [line.removeprefix("return ") for line in lines]
    lines = [line for line in lines if line.startswith((".", "ee.ImageCollection("))]
    return [
        re.sub(r"lambda image: (.*)\)$|function \(image\) \{ return (.*); \}\)$", r"\1\2)", line)
        for line in lines
    ]


def test_the_javascript_and_python_usage_agree():
    composite = model_composite(model(), composite_params(imagery("l1c"), DATES))
    python = python_source(model(), composite)
    js = javascript_source(model(), composite)
    assert _chain_lines(python) == _chain_lines(js)
    assert len(_chain_lines(js)) == 10
    for text in (python, js):
        assert ".gte(0.55)" in text and '"COPERNICUS/S2_HARMONIZED"' in text
        assert '"GOOGLE/CLOUD_SCORE_PLUS/V1/S2_HARMONIZED"' in text and '"2021-03-01"' in text
    assert "minescanMineProbability(minescanTrainingComposite(geometry))" in js


def test_the_javascript_parses(tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("no node to check the JavaScript's syntax")
    composite = model_composite(model(), composite_params(imagery("l2a"), DATES))
    script = tmp_path / "mine_probability.js"
    script.write_text(javascript_source(model(), composite))
    subprocess.run([node, "--check", str(script)], check=True, capture_output=True)
