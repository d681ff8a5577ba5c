"""The configuration reference is generated from the schema, the one source of every setting:
the checked-in config/README.md and docs/configuration.md are what the schema renders, every
key has one row with a description, and a row gives the schema's default apart from the demo's
value."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from minescan.config_docs import SCHEMA, TARGETS, generate, stale, walk

REPO = Path(__file__).resolve().parents[2]


def _row(text: str, section: str, key: str) -> list[str]:
    """The cells of a key's row in its section's table."""
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in body.splitlines() if line.startswith(f"| `{key}` |")]
    assert len(rows) == 1, f"{section}.{key}: {len(rows)} rows"
    return [cell.strip() for cell in rows[0].strip("|").split(" | ")]


def test_the_checked_in_references_are_what_the_schema_renders():
    drifted = stale(REPO)
    assert not drifted, f"{drifted} differ from {SCHEMA}: run python -m minescan.config_docs"


def test_a_row_gives_the_schema_default_and_what_the_demo_sets_apart():
    text = (REPO / "config" / "README.md").read_text()
    key, kind, default, demo, meaning = _row(text, "grid", "max_cells_per_shard")
    assert (default, demo) == ("`256`", "`1024`")
    assert kind == "integer (>= 1, <= 100000)"
    assert meaning.startswith("Upper bound on the cells of one shard")
    # a key the demo leaves at the default shows no demo value; a required key says so
    assert _row(text, "grid", "pixel_size_m")[2:4] == ["`10`", ""]
    assert _row(text, "polygons", "path")[2] == "required"


def test_every_key_has_one_row_with_a_description():
    schema = yaml.safe_load((REPO / SCHEMA).read_text())
    text = (REPO / TARGETS[0]).read_text()
    keys = 0
    for section, node in schema["properties"].items():
        assert node.get("description"), f"{section} has no description in {SCHEMA}"
        for path, child, _ in walk(node, {}):
            key = ".".join(path)
            assert child.get("description"), f"{section}.{key} has no description in {SCHEMA}"
            assert _row(text, section, key)[4], f"{section}.{key}: empty meaning"
            keys += 1
    assert keys > 250


def test_a_changed_description_makes_both_references_stale(tmp_path):
    for path in (SCHEMA, Path("config/config.yaml"), *TARGETS):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / path, tmp_path / path)
    assert stale(tmp_path) == []
    schema = (tmp_path / SCHEMA).read_text()
    old = "Upper bound on the cells of one shard"
    assert old in schema
    (tmp_path / SCHEMA).write_text(schema.replace(old, "Most cells of one shard", 1))
    assert stale(tmp_path) == list(TARGETS)
    assert "Most cells of one shard" in generate(tmp_path)
