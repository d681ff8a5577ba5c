"""The package's stages in data-flow order: no stage imports a later one, and the shared
modules at the package root (the cell contract, the writers, config, errors) import no stage."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "minescan"
# Data-flow order of the stage packages; a new stage takes its place here.
STAGES = [
    "polygons",
    "grid",
    "imagery",
    "pixels",
    "pixelmodels",
    "probability",
    "chips",
    "detection",
    "pyramid",
    "footprints",
    "growth",
    "webmap",
    "report",
]


def imported_stages(path: Path) -> set[str]:
    """The minescan stage packages a module imports (at any depth of the module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "minescan" and len(parts) > 1 and (PACKAGE / parts[1]).is_dir():
                found.add(parts[1])
    return found


def test_every_stage_package_is_placed_in_the_order():
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert packages == set(STAGES)


def test_no_stage_imports_a_later_stage():
    backwards = []
    for stage in STAGES:
        for module in sorted((PACKAGE / stage).rglob("*.py")):
            for other in imported_stages(module):
                if STAGES.index(other) > STAGES.index(stage):
                    backwards.append(f"{module.relative_to(PACKAGE)} imports minescan.{other}")
    assert backwards == []


def test_shared_root_modules_import_no_stage():
    offenders = {
        module.name: sorted(imported_stages(module))
        for module in PACKAGE.glob("*.py")
        if imported_stages(module)
    }
    assert offenders == {}
