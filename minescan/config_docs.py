"""The configuration reference, generated from the config schema: one source per setting.

Every key's type, default and description live in ``workflow/schemas/config.schema.yaml``;
``config/README.md`` and ``docs/configuration.md`` are rendered from it, with what the demo
config ``config/config.yaml`` sets beside the default. A test fails when the checked-in files
drift from what this renders.

    python -m minescan.config_docs          # rewrite both files
    python -m minescan.config_docs --check  # exit 1, naming the stale file, when one drifts
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

SCHEMA = Path("workflow/schemas/config.schema.yaml")
DEMO = Path("config/config.yaml")
TARGETS = (Path("config/README.md"), Path("docs/configuration.md"))
_MISSING = object()

HEADER = """\
# Configuration

<!-- Generated from workflow/schemas/config.schema.yaml by `python -m minescan.config_docs`;
edit the schema, not this file (tests/unit/test_docs_config_reference.py checks). -->

Every key minescan reads, with its type, its **default** (the schema's: what a key left out of
your config file is), what the **demo** config `config/config.yaml` sets where that differs,
and its meaning. The config is validated against `workflow/schemas/config.schema.yaml` before
any job starts (unknown keys are rejected, defaults filled in); relations between keys are
checked by `minescan.config.check_config`. Use your own file with
`snakemake --configfile my.yaml`, or override one key with `--config`.

`config/config.yaml` runs offline, end to end, every stage, in a few minutes on two cores, on
the shipped demo sample (37 real MAUS v1 polygons around the coal mines of Kutai Kartanegara,
East Kalimantan, Indonesia; see `resources/maus_sample/README.md`) with **simulated** imagery.
Its sizes (polygons, shards, sampling fractions, row caps) are chosen for that; every code path
still runs. For your own data, start from it and raise `models.max_rows`, `models.*.max_rows`,
`pixels.sample_fraction` and `grid.max_cells_per_shard` (256 suits a cluster).

**What reruns what.** Snakemake reruns a job when its `params` change. Rules receive only the
values their job computes on: resources (`threads`, `mem_mb`, `runtime_min`), preview looks,
the retries and concurrency of remote backends, and the sections of backends not in use never
reach a job's `params`, so changing them reruns nothing (preview looks rerun only the
previews). Sections are passed with sorted keys: rewriting the file in another key order reruns
nothing either.
"""


def _flow(value: Any) -> str:
    """A value as it is written in YAML flow style, on one line."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value) if value == "" or value.strip() != value else value
    if isinstance(value, list | dict):
        return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    return str(value)


def _cell(text: str) -> str:
    """Text fit for one table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _code(value: Any) -> str:
    return f"`{_cell(_flow(value))}`"


def _bounds(node: Mapping[str, Any]) -> str:
    low = node.get("minimum", node.get("exclusiveMinimum"))
    high = node.get("maximum", node.get("exclusiveMaximum"))
    if low is None and high is None:
        return ""
    left = ("> " if "exclusiveMinimum" in node else ">= ") + str(low) if low is not None else ""
    right = ("< " if "exclusiveMaximum" in node else "<= ") + str(high) if high is not None else ""
    return ", ".join(part for part in (left, right) if part)


def describe_type(node: Mapping[str, Any]) -> str:
    """The key's type in words: JSON types, enums, bounds, list items, mapping values."""
    if "enum" in node:
        return "one of " + ", ".join(_code(choice) for choice in node["enum"])
    if "const" in node:
        return _code(node["const"])
    branches = node.get("oneOf") or node.get("anyOf")
    if branches:
        return " or ".join(describe_type(branch) for branch in branches)
    declared = node.get("type", "any")
    types = [declared] if isinstance(declared, str) else list(declared)
    words = []
    for kind in types:
        if kind == "array":
            items = node.get("items", {})
            word = f"list of {describe_type(items)}" if items else "list"
            if node.get("minItems") is not None and node.get("minItems") == node.get("maxItems"):
                word += f" ({node['minItems']} items)"
        elif kind == "object" and isinstance(node.get("additionalProperties"), Mapping):
            word = f"mapping of name to {describe_type(node['additionalProperties'])}"
        elif kind == "object":
            word = "mapping"
        elif kind == "string" and "pattern" in node:
            word = "string"
            if node.get("format"):
                word += f" ({node['format']})"
        else:
            word = kind
        words.append(word)
    text = " or ".join(words)
    bounds = _bounds(node)
    return f"{text} ({bounds})" if bounds else text


def walk(
    node: Mapping[str, Any], demo: Any, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Mapping[str, Any], Any]]:
    """(path, schema node, demo value or _MISSING) of every key below node, depth first."""
    for key, child in node.get("properties", {}).items():
        value = demo.get(key, _MISSING) if isinstance(demo, Mapping) else _MISSING
        yield (*path, key), child, value
        if "properties" in child:
            yield from walk(child, value, (*path, key))


def _default(node: Mapping[str, Any], required: bool) -> str:
    if "default" in node:
        return _code(node["default"])
    if "properties" in node:
        return "(its keys' defaults)"
    return "required" if required else "none"


def _demo(node: Mapping[str, Any], value: Any) -> str:
    """The demo's value where it differs from the default; blank where it does not."""
    if value is _MISSING or "properties" in node:
        return ""
    if "default" in node and node["default"] == value:
        return ""
    return _code(value)


def render_section(name: str, node: Mapping[str, Any], demo: Any) -> str:
    lines = [f"## {name}", ""]
    if node.get("description"):
        lines += [" ".join(str(node["description"]).split()), ""]
    lines += [
        "| key | type | default | demo | meaning |",
        "|---|---|---|---|---|",
    ]
    for path, child, value in walk(node, demo):
        parent = node
        for part in path[:-1]:
            parent = parent["properties"][part]
        required = path[-1] in parent.get("required", [])
        lines.append(
            f"| `{'.'.join(path)}` | {_cell(describe_type(child))} | "
            f"{_default(child, required)} | {_demo(child, value)} | "
            f"{_cell(child.get('description', ''))} |"
        )
    return "\n".join(lines) + "\n"


def render(schema: Mapping[str, Any], demo: Mapping[str, Any]) -> str:
    """The whole reference: the header, then one section per top-level key, schema order."""
    sections = [HEADER]
    for name, node in schema.get("properties", {}).items():
        sections.append(render_section(name, node, demo.get(name, _MISSING)))
    return "\n".join(sections)


def generate(root: Path = Path(".")) -> str:
    schema = yaml.safe_load((root / SCHEMA).read_text())
    demo = yaml.safe_load((root / DEMO).read_text())
    return render(schema, demo)


def stale(root: Path = Path(".")) -> list[Path]:
    """The checked-in references that differ from what the schema renders."""
    text = generate(root)
    return [
        path for path in TARGETS if not (root / path).exists() or (root / path).read_text() != text
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="report drift, write nothing")
    args = parser.parse_args(argv)
    if args.check:
        drifted = stale()
        for path in drifted:
            print(
                f"{path}: differs from {SCHEMA} -> run python -m minescan.config_docs",
                file=sys.stderr,
            )
        return 1 if drifted else 0
    text = generate()
    for path in TARGETS:
        path.write_text(text)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
