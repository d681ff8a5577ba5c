"""Export a sparse linear model to Google Earth Engine.

The model becomes one ``ee.Image.expression`` string over the Sentinel-2 bands
(``b('B8')``...), applied to ``image.select(bands).toFloat()`` (so integer bands do not divide
as integers), followed by the model's link (logistic, or scale/offset/clamp). Earth Engine's
``divide`` returns 0 where the denominator is 0, which is how the numpy features treat zero
denominators, so both give the same score. :func:`evaluate_expression` evaluates the same
string on numpy arrays with those semantics; the tests compare it with the numpy model.

The generated usage builds the composite the model was trained on (``gee_composite``, the
description the gee backend builds its tiles from), so that the model meets the pixels it
learnt. ``earthengine-api`` is never imported here: :func:`apply_model` only calls methods of
the ``ee.Image`` it is given.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from minescan.imagery.backends.gee_composite import Composite
from minescan.pixelmodels.features import Feature
from minescan.pixelmodels.model import LinearModel

OUTPUT_BAND = "mine_probability"


def _number(value: float) -> str:
    return repr(float(value))


def _term(feature: Feature) -> str:
    if feature.b is None:
        return f"b('{feature.a}')"
    a, b = f"b('{feature.a}')", f"b('{feature.b}')"
    return f"(({a} - {b}) / ({a} + {b}))"


def ee_expression(model: LinearModel) -> str:
    """The model's score (before the link) as an ``ee.Image.expression`` string."""
    sparse = model.sparse()
    parts = [_number(sparse.intercept)]
    for feature, weight in zip(sparse.features, sparse.weights, strict=True):
        sign = "-" if weight < 0 else "+"
        parts.append(f" {sign} {_number(abs(weight))} * {_term(feature)}")
    return "".join(parts)


def apply_model(image: Any, model: LinearModel) -> Any:
    """Apply the model to an ``ee.Image`` of Sentinel-2 L2A bands (reflectance x 10000)."""
    score = image.select(model.bands).toFloat().expression(ee_expression(model))
    if model.link == "logistic":
        probability = score.multiply(-1).exp().add(1).pow(-1)
    else:
        probability = score.multiply(model.output_scale).add(model.output_offset).clamp(0, 1)
    return probability.rename(OUTPUT_BAND)


def _link_python(model: LinearModel) -> str:
    if model.link == "logistic":
        return "score.multiply(-1).exp().add(1).pow(-1)"
    return (
        f"score.multiply({_number(model.output_scale)}).add({_number(model.output_offset)})"
        ".clamp(0, 1)"
    )


def model_composite(model: LinearModel, params: Mapping[str, Any]) -> Composite:
    """The training composite of ``params`` (``imagery.backends.gee.composite_params``), which
    holds every band the model reads."""
    values = dict(params)
    bands, dates = tuple(values.pop("bands")), tuple(values.pop("dates"))
    missing = [band for band in model.bands if band not in bands]
    if missing:
        raise ValueError(f"the model reads {missing}, which the training composite lacks")
    return Composite(bands=bands, dates=dates, **values)


def python_source(model: LinearModel, composite: Composite, header: str = "") -> str:
    """A self-contained Python module with ``mine_probability(image) -> ee.Image`` and
    ``training_composite(region)``, the composite to apply it to."""
    bands = json.dumps(model.bands)
    return (
        f'"""minescan mine probability for Earth Engine (generated; do not edit).\n\n{header}'
        "\nUsage (compute or export at scale=10, the model's pixels):\n"
        "    import ee\n    ee.Initialize(project='your-project')\n"
        "    region = ee.Geometry.Rectangle([112.0, -3.0, 112.5, -2.5])\n"
        '    probability = mine_probability(training_composite(region))\n"""\n\n'
        f"BANDS = {bands}\n"
        f"EXPRESSION = {ee_expression(model)!r}\n\n\n"
        f"{composite.python_source('training_composite')}\n\n"
        "def mine_probability(image):\n"
        '    """Probability of a mine per pixel from Sentinel-2 reflectance x 10000."""\n'
        "    score = image.select(BANDS).toFloat().expression(EXPRESSION)\n"
        f"    return {_link_python(model)}.rename({OUTPUT_BAND!r})\n"
    )


def javascript_source(model: LinearModel, composite: Composite, header: str = "") -> str:
    """The same as a snippet for the Earth Engine Code Editor."""
    comment = "".join(f"// {line}\n" for line in header.splitlines())
    return (
        "// minescan mine probability for Earth Engine (generated; do not edit).\n"
        f"{comment}"
        f"var MINESCAN_BANDS = {json.dumps(model.bands)};\n"
        f"var MINESCAN_EXPRESSION = {json.dumps(ee_expression(model))};\n\n"
        f"{composite.javascript_source('minescanTrainingComposite')}\n"
        "function minescanMineProbability(image) {\n"
        "  var score = image.select(MINESCAN_BANDS).toFloat().expression(MINESCAN_EXPRESSION);\n"
        f"  return {_link_python(model)}.rename('{OUTPUT_BAND}');\n"
        "}\n\n"
        "// Example, over a region drawn in the Code Editor (`geometry`):\n"
        "// Map.addLayer(minescanMineProbability(minescanTrainingComposite(geometry)),\n"
        "//   {min: 0, max: 1, palette: ['white', 'orange', 'red']}, 'mine probability');\n"
    )


_BINARY = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
}


def evaluate_expression(expression: str, columns: Mapping[str, np.ndarray]) -> np.ndarray:
    """Evaluate an expression of the form ee_expression writes, with Earth Engine semantics
    (float arithmetic, ``x / 0 == 0``), on numpy arrays of band values."""

    def walk(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return np.float64(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -walk(node.operand)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            num, den = np.broadcast_arrays(walk(node.left), walk(node.right))
            out = np.zeros(num.shape, dtype=np.float64)
            np.divide(num, den, out=out, where=den != 0)
            return out
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return _BINARY[type(node.op)](walk(node.left), walk(node.right))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "b"
            and len(node.args) == 1
            and isinstance(node.args[0], ast.Constant)
        ):
            return np.asarray(columns[node.args[0].value], dtype=np.float64)
        raise ValueError(f"unsupported expression element {ast.dump(node)[:80]}")

    return walk(ast.parse(expression, mode="eval"))


def evaluate_probability(model: LinearModel, columns: Mapping[str, np.ndarray]) -> np.ndarray:
    """Probability from the exported expression plus the link, as Earth Engine computes it."""
    return model.score_to_probability(evaluate_expression(ee_expression(model), columns))
