"""The exported Earth Engine code computes the numpy model's probabilities."""

import numpy as np
import pytest
from fixtures.pixel_tables import BANDS

from minescan.imagery.backends.gee_composite import Composite
from minescan.pixelmodels.features import build_features
from minescan.pixelmodels.model import LinearModel
from minescan.probability.gee import (
    ee_expression,
    evaluate_expression,
    javascript_source,
    python_source,
)


class FakeImage:
    """The few ee.Image methods the exported code calls, evaluated with numpy and Earth
    Engine's semantics (expression division by zero gives 0)."""

    def __init__(self, bands: dict[str, np.ndarray]):
        self.bands = bands

    def select(self, names):
        return FakeImage({n: self.bands[n] for n in names})

    def toFloat(self):  # noqa: N802 (Earth Engine's name)
        return FakeImage({n: v.astype(np.float64) for n, v in self.bands.items()})

    def expression(self, text):
        return FakeImage({"constant": evaluate_expression(text, self.bands)})

    def _map(self, f):
        return FakeImage({n: f(v) for n, v in self.bands.items()})

    def multiply(self, k):
        return self._map(lambda v: v * k)

    def add(self, k):
        return self._map(lambda v: v + k)

    def exp(self):
        return self._map(np.exp)

    def pow(self, k):
        return self._map(lambda v: v**k)

    def clamp(self, lo, hi):
        return self._map(lambda v: np.clip(v, lo, hi))

    def rename(self, name):
        return FakeImage({name: next(iter(self.bands.values()))})


COMPOSITE = Composite(tuple(BANDS), ("2019-01-01", "2020-01-01"))


def _model(link: str, seed: int = 0) -> LinearModel:
    rng = np.random.default_rng(seed)
    features = build_features(BANDS)
    weights = np.zeros(len(features))
    used = rng.choice(len(features), 9, replace=False)
    weights[used] = rng.normal(scale=[1e-3 if features[i].b is None else 1.0 for i in used])
    return LinearModel(features, weights, 0.25, link, 0.5, 0.5, {"kind": "test"})


def _columns(n: int = 5000, seed: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    cols = {b: rng.integers(0, 6000, n).astype(np.uint16) for b in BANDS}
    for b in BANDS:  # no-data pixels and pairs with a zero denominator
        cols[b][:50] = 0
    cols["B4"][50:100] = 0
    return cols


@pytest.mark.parametrize("link", ["logistic", "identity"])
def test_exported_python_function_matches_numpy_model(link):
    model = _model(link)
    cols = _columns()
    namespace: dict = {}
    exec(python_source(model, COMPOSITE, "test header"), namespace)  # the generated module
    result = namespace["mine_probability"](FakeImage(cols))
    got = result.bands["mine_probability"]
    # numpy features are float32, as toFloat() makes them in Earth Engine
    np.testing.assert_allclose(got, model.probability(cols), rtol=0, atol=1e-6)
    assert np.isfinite(got).all()


def test_expression_uses_only_the_model_bands_and_appears_in_javascript():
    model = _model("logistic")
    expression = ee_expression(model)
    used = {b for f in model.sparse().features for b in f.bands}
    assert {b for b in BANDS if f"b('{b}')" in expression} == used
    js = javascript_source(model, COMPOSITE)
    assert "function minescanMineProbability(image)" in js
    assert expression.replace("'", "\\'") in js or expression in js.replace('\\"', '"')
    assert "ee." not in python_source(model, COMPOSITE).split('"""')[2].split("def ")[0]


def test_earthengine_api_is_not_imported():
    import sys

    import minescan.probability.gee  # noqa: F401

    assert "ee" not in sys.modules or sys.modules["ee"].__name__ == "ee"
