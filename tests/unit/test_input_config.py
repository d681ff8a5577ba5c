"""Config mistakes: --config values typed by the schema, one-line schema errors with a hint,
dates, and keys that must agree with each other."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from snakemake.utils import update_config

from minescan.config import check_config
from minescan.errors import MinescanInputError
from minescan.schema import check_schema, coerce_overrides, load_schema

REPO = Path(__file__).resolve().parents[2]
SCHEMA = load_schema(REPO / "workflow" / "schemas" / "config.schema.yaml")


def _config() -> dict:
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def _override(overrides: dict) -> dict:
    """The config as Snakemake builds it from ``--config`` (strings inside), then coerced."""
    config = _config()
    update_config(config, copy.deepcopy(overrides))
    coerce_overrides(config, overrides, SCHEMA)
    return config


@pytest.mark.parametrize(
    ("overrides", "key", "expected"),
    [
        ({"grid": {"zoom_levels": ["14", "15"]}}, ("grid", "zoom_levels"), [14, 15]),
        ({"pyramid": {"exhaustive": "false"}}, ("pyramid", "exhaustive"), False),
        ({"pyramid": {"detect": "False"}}, ("pyramid", "detect"), False),
        (
            {"pyramid": {"region": ["110", "-1", "111", "0"]}},
            ("pyramid", "region"),
            [110, -1, 111, 0],
        ),
        ({"pyramid": {"region": ["110.5", "-1.25"]}}, ("pyramid", "region"), [110.5, -1.25]),
        ({"pyramid": {"region": "BRA"}}, ("pyramid", "region"), "BRA"),
        ({"pyramid": {"region": ["BRA", "PER"]}}, ("pyramid", "region"), ["BRA", "PER"]),
        ({"pyramid": {"target_recall": "0.95"}}, ("pyramid", "target_recall"), 0.95),
        ({"models": {"zoom": "null"}}, ("models", "zoom"), None),
        ({"models": {"zoom": "15"}}, ("models", "zoom"), 15),
        ({"imagery": {"epoch": "2019"}}, ("imagery", "epoch"), "2019"),
        ({"polygons": {"layer": "mines"}}, ("polygons", "layer"), "mines"),
        ({"detection": {"channels": ["B4", "B3"]}}, ("detection", "channels"), ["B4", "B3"]),
        (
            {"detection": {"hyperparameters": {"cos_lr": "true"}}},
            ("detection", "hyperparameters"),
            {"cos_lr": True},
        ),
        (
            {"imagery": {"epochs": {"2020": ["2020-01-01", "2021-01-01"]}}},
            ("imagery", "epochs"),
            {**_config()["imagery"]["epochs"], "2020": ["2020-01-01", "2021-01-01"]},
        ),
    ],
)
def test_command_line_strings_get_the_schema_type(overrides, key, expected):
    config = _override(overrides)
    assert config[key[0]][key[1]] == expected
    check_schema(config, SCHEMA)


def test_a_nested_override_with_typed_values_inside_is_coerced_too():
    config = _config()
    config["imagery"].update({"backend": "local", "local": {"path": "/data", "scale": "10000"}})
    coerce_overrides(config, {"imagery": {"local": {"path": "/data", "scale": "10000"}}}, SCHEMA)
    assert config["imagery"]["local"] == {"path": "/data", "scale": 10000}


def test_values_from_a_config_file_are_left_alone():
    config = _config()
    config["grid"]["zoom_levels"] = ["14", "15"]  # written so in a YAML file: the user's to fix
    coerce_overrides(config, {"pyramid": {"exhaustive": "false"}}, SCHEMA)
    assert config["grid"]["zoom_levels"] == ["14", "15"]
    with pytest.raises(MinescanInputError, match=r"grid.zoom_levels\[\d\]: '1[45]' is not of type"):
        check_schema(config, SCHEMA)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("grid", "zoom_levels", ["14", "x"]), r"config: grid.zoom_levels\[\d\]: '(14|x)' is"),
        (("grid", "typo_key", 3), r"grid: Additional properties .*'typo_key'.* -> remove"),
        (("pyramid", "exhaustive", "maybe"), r"pyramid.exhaustive: 'maybe' is not of type"),
        (("chips", "score", {"../../../escape": "x"}), r"chips.score: '../../../escape' does not"),
        (("detection", "labelled", {"z16": "x"}), r"detection.labelled: 'z16' does not match"),
    ],
)
def test_schema_errors_are_one_line_naming_the_key(change, message):
    config = _config()
    config[change[0]][change[1]] = change[2]
    with pytest.raises(MinescanInputError, match=message) as error:
        check_schema(config, SCHEMA)
    text = str(error.value)
    assert "\n" not in text and "Failed validating" not in text and len(text) < 400


def test_unquoted_yaml_dates_get_a_hint_to_quote_them():
    config = _config()
    config["imagery"]["epochs"] = yaml.safe_load('"2019": [2019-01-01, 2020-01-01]')
    hint = r"imagery.epochs.2019\[\d\]: datetime.date.*quote dates in YAML"
    with pytest.raises(MinescanInputError, match=hint):
        check_schema(config, SCHEMA)


@pytest.mark.parametrize(
    ("day", "ok"),
    [("2019-13-01", False), ("2019-02-30", False), ("2019-00-10", False), ("2020-02-29", True)],
)
def test_dates_must_be_days_of_the_calendar(day, ok):
    config = _config()
    config["imagery"]["epochs"] = {"2019": ["2019-01-01", day]}
    if ok:
        check_config(config)
        return
    with pytest.raises(MinescanInputError, match=f"imagery.epochs.2019: '{day}' is not a date"):
        check_config(config)


@pytest.mark.parametrize(("zoom", "ok"), [(17, False), (13, False), (16, True), (None, True)])
def test_models_zoom_must_be_a_grid_zoom(zoom, ok):
    config = copy.deepcopy(_config())
    config["models"]["zoom"] = zoom
    if ok:
        check_config(config)
        return
    with pytest.raises(MinescanInputError, match=f"models.zoom {zoom} is not one of"):
        check_config(config)


def test_an_override_that_is_not_yaml_says_so():
    config = _config()
    config["pyramid"] = "{region: BRA"  # Snakemake keeps an unparsable value as a string
    with pytest.raises(MinescanInputError, match="pyramid: .* not valid YAML: check its brackets"):
        check_schema(config, SCHEMA)


@pytest.mark.parametrize(
    ("region", "message"),
    [
        ("absent.gpkg", r"absent.gpkg: file does not exist -> check the region \(pyramid.region"),
        ([111, -1, 110, 0], r"region \[111, -1, 110, 0\] is not a bounding box"),
        ([110, -1, 111], r"region \[110, -1, 111\] is not a bounding box"),
        (["XYZ"], r"unknown ISO 3166-1 alpha-3 country code\(s\) \['XYZ'\]"),
    ],
)
def test_a_bad_pyramid_region_is_named(region, message):
    from minescan.grid.regions import region_geometry

    with pytest.raises(MinescanInputError, match=message):
        region_geometry(region)


def test_an_unquoted_date_window_key_replaces_the_default_window(tmp_path):
    """``epochs: {2019: [...]}`` in a user's file (YAML reads an integer key) is the user's
    2019 window, not a second key beside the default's "2019" that is then ignored."""
    from minescan.schema import prepare_config

    config = _config()
    user = yaml.safe_load('imagery: {epochs: {2019: ["2019-06-01", "2020-06-01"]}}')
    assert 2019 in user["imagery"]["epochs"]
    update_config(config, user)
    prepare_config(config, {}, REPO / "workflow" / "schemas" / "config.schema.yaml")
    epochs = config["imagery"]["epochs"]
    assert epochs["2019"] == ["2019-06-01", "2020-06-01"]
    assert all(isinstance(name, str) for name in epochs)
    assert list(epochs) == ["2019", "2021", "2023"]
    check_config(config)


@pytest.mark.parametrize(("fractions", "ok"), [([0.6, 0.2, 0.1], False), ([0.7, 0.2, 0.1], True)])
def test_split_fractions_must_sum_to_one_before_any_job(fractions, ok):
    config = _config()
    config["models"]["split"]["fractions"] = fractions
    if ok:
        check_config(config)
        return
    with pytest.raises(MinescanInputError, match=r"models.split.fractions \[0.6, 0.2, 0.1\] sum"):
        check_config(config)
