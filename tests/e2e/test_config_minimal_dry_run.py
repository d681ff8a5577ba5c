"""A config with only the keys the schema requires plans the whole workflow: every other
setting comes from the schema's defaults (filled in by validation), not from fallbacks
restated in the rules."""

from __future__ import annotations

import pytest
import yaml
from workflow_copy import copy_workflow, run_snakemake

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _required_only(schema: dict, config: dict) -> dict:
    """The config's values of the keys the schema requires, recursively."""
    kept = {}
    for key in schema.get("required", []):
        node, value = schema["properties"][key], config[key]
        kept[key] = _required_only(node, value) if "properties" in node else value
    return kept


def test_a_config_of_required_keys_plans_every_stage(tmp_path):
    workdir = copy_workflow(tmp_path / "minescan")
    schema = yaml.safe_load((workdir / "workflow/schemas/config.schema.yaml").read_text())
    demo = yaml.safe_load((workdir / "config/config.yaml").read_text())
    minimal = _required_only(schema, demo)
    # The scan's region has no default and no place is a sensible one: every real config sets it.
    minimal["pyramid"]["region"] = demo["pyramid"]["region"]
    assert "cnn" not in minimal["chips"] and "region_out" not in minimal["detection"]
    (workdir / "config/config.yaml").write_text(yaml.safe_dump(minimal, sort_keys=False))
    run = run_snakemake(workdir, "-n")
    assert run.returncode == 0, run.stderr[-3000:]
    plan = run.stdout + run.stderr
    for rule in ("grid_cells", "detection_train", "footprints_train", "pyramid_cells", "map_page"):
        assert rule in plan, f"{rule} missing from the plan"
