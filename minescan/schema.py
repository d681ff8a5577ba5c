"""The config against its JSON schema, as a user meets it on the command line.

Snakemake parses a nested ``--config key='{...}'`` value with YAML's base loader, so every
scalar inside it arrives as a string (``'14'``, ``'false'``); only top-level values are typed.
``coerce_overrides`` re-reads those strings as YAML wherever the schema allows a non-string
type there, so the documented overrides work as written. ``check_schema`` then reports the
first schema error in one line, naming the key, instead of the schema dump.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from minescan.errors import MinescanInputError

SOURCE = "config"
_JSON_TYPES = {
    bool: "boolean",
    int: "integer",
    float: "number",
    type(None): "null",
    list: "array",
    dict: "object",
}


def load_schema(path: str | Path) -> dict:
    return yaml.safe_load(Path(path).read_text())


def _allowed_types(schema: Mapping[str, Any]) -> set[str]:
    """JSON types a schema node accepts (through ``type`` and its oneOf/anyOf branches)."""
    declared = schema.get("type")
    types = set([declared] if isinstance(declared, str) else declared or [])
    for branch in [*schema.get("oneOf", []), *schema.get("anyOf", [])]:
        types |= _allowed_types(branch)
    if "integer" in types:
        types.add("number")
    if "number" in types:
        types.add("integer")
    return types


def _branches(schema: Mapping[str, Any], kind: str) -> list[Mapping[str, Any]]:
    """The sub-schemas of ``schema`` (itself or its oneOf/anyOf branches) of JSON type kind."""
    found = [schema] if kind in _allowed_types({"type": schema.get("type")}) else []
    for branch in [*schema.get("oneOf", []), *schema.get("anyOf", [])]:
        found += _branches(branch, kind)
    return found


def _child(schema: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    for branch in _branches(schema, "object"):
        if key in branch.get("properties", {}):
            return branch["properties"][key]
        if isinstance(branch.get("additionalProperties"), Mapping):
            return branch["additionalProperties"]
    return {}


def _items(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    for branch in _branches(schema, "array"):
        if isinstance(branch.get("items"), Mapping):
            return branch["items"]
    return {}


def _coerce(value: Any, schema: Mapping[str, Any]) -> Any:
    if isinstance(value, dict):
        return {key: _coerce(item, _child(schema, key)) for key, item in value.items()}
    if isinstance(value, list):
        items = _items(schema)
        return [_coerce(item, items) for item in value]
    if not isinstance(value, str):
        return value
    allowed = _allowed_types(schema)
    if not allowed - {"string"}:
        return value  # a string where only strings go: "2019" stays a name
    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError:
        return value
    if _JSON_TYPES.get(type(parsed)) in allowed:
        return _coerce(parsed, schema) if isinstance(parsed, list | dict) else parsed
    return value


def coerce_overrides(
    config: MutableMapping[str, Any], overrides: Mapping[str, Any], schema: Mapping[str, Any]
) -> None:
    """Give the ``--config`` values in ``config`` the types the schema expects, in place.

    Only the keys given on the command line are touched: a config file is parsed by YAML with
    its types, and a string where a number belongs there is the user's to fix.
    """
    for key, given in overrides.items():
        node = _child(schema, key)
        if isinstance(given, Mapping) and isinstance(config.get(key), MutableMapping):
            coerce_overrides(config[key], given, node)
        elif key in config:
            config[key] = _coerce(config[key], node)


def name_keys(config: MutableMapping[str, Any], schema: Mapping[str, Any]) -> None:
    """Make the user-named keys of ``config`` (mappings whose schema constrains their names,
    such as imagery.epochs) strings, in place.

    YAML reads ``2019:`` as an integer; merged over the default's ``"2019"`` both keys would
    stand and the default's window would be used. A key that was not a string can only come
    from the user's file (the shipped ones quote them), so it wins over its string twin.
    """
    for key, value in list(config.items()):
        node = _child(schema, str(key))
        if not isinstance(value, MutableMapping):
            continue
        named = any("propertyNames" in branch for branch in _branches(node, "object"))
        if named and any(not isinstance(k, str) for k in value):
            typed = {str(k): v for k, v in value.items() if not isinstance(k, str)}
            renamed = {k: v for k, v in value.items() if isinstance(k, str)} | typed
            value.clear()
            value.update(renamed)
        name_keys(value, node)


def _key(path: Any) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def _description(schema: Mapping[str, Any], path: Any) -> str:
    """The description of the deepest key on ``path`` that has one."""
    found = schema.get("description", "")
    for part in path:
        schema = _items(schema) if isinstance(part, int) else _child(schema, str(part))
        found = schema.get("description", found)
    return " ".join(str(found).split())


def _remedy(error: jsonschema.ValidationError, schema: Mapping[str, Any]) -> str:
    if isinstance(error.instance, dt.date):
        return f'quote dates in YAML ("{error.instance.isoformat()}"): unquoted, YAML reads a date'
    if isinstance(error.instance, str) and error.instance.lstrip()[:1] in ("{", "["):
        return "this --config value is not valid YAML: check its brackets, commas and quotes"
    description = _description(schema, error.absolute_path)
    if error.validator == "additionalProperties":
        return "remove or correct the key (see config/README.md for the keys)"
    if error.validator == "required":
        return "add the key (see config/README.md)"
    if description and error.absolute_path:
        return description if len(description) <= 200 else description[:197] + "..."
    return "see config/README.md for this key"


def check_schema(config: Mapping[str, Any], schema: Mapping[str, Any]) -> None:
    """Raise MinescanInputError naming the key and its problem when config breaks schema."""
    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(config))
    if error is None:
        return
    # best_match prefers the shallowest error; the deepest branch of a oneOf says more.
    while error.context:
        error = jsonschema.exceptions.best_match(error.context)
    raise MinescanInputError(
        SOURCE, f"{_key(error.absolute_path)}: {error.message}", _remedy(error, schema)
    )


def prepare_config(
    config: MutableMapping[str, Any], overrides: Mapping[str, Any], schema_path: str | Path
) -> None:
    """Name keys as strings, type the command line's values, check the config against the schema."""
    schema = load_schema(schema_path)
    name_keys(config, schema)
    coerce_overrides(config, overrides, schema)
    check_schema(config, schema)


__all__ = ["check_schema", "coerce_overrides", "load_schema", "name_keys", "prepare_config"]
