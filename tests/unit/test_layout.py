"""The package's layers in data-flow order: no stage imports a later one, no stage imports
another stage's rule-facing ``steps`` module, no module imports itself back through others,
the shared modules at the package root (the cell contract, the writers, config, errors) import
no stage, and nothing in the package imports the tries in ``experiments/``."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "minescan"
# Data-flow order of the package's folders; a new stage takes its place here. ``ml`` holds the
# building blocks the learning stages share (it may use the stages before it, never those
# after); ``cli`` hands the package's commands over to their stages and comes last.
STAGES = [
    "polygons",
    "grid",
    "imagery",
    "pixels",
    "pixelmodels",
    "probability",
    "ml",
    "chips",
    "detection",
    "pyramid",
    "footprints",
    "growth",
    "webmap",
    "report",
    "cli",
]
# Imports of another stage's steps module still to move below it, with the reason they wait.
STEPS_TO_MOVE: set[str] = set()


@cache
def imported_modules(path: Path) -> frozenset[str]:
    """Every module name a file imports, at any depth of it (lazy imports count): ``from a
    import b`` yields ``a`` and ``a.b`` (b may be a module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return frozenset(found)


def imported_stages(path: Path) -> set[str]:
    """The minescan stage packages a module imports (at any depth of the module)."""
    found = set()
    for name in imported_modules(path):
        parts = name.split(".")
        if parts[0] == "minescan" and len(parts) > 1 and (PACKAGE / parts[1]).is_dir():
            found.add(parts[1])
    return found


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports (names that are packages or modules)."""
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {
        name: {m for m in imported_modules(path) if m in files and m != name}
        for name, path in files.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_stage_package_is_placed_in_the_order():
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert packages == set(STAGES)


@pytest.mark.slow
def test_no_stage_imports_a_later_stage():
    backwards = []
    for stage in STAGES:
        for module in sorted((PACKAGE / stage).rglob("*.py")):
            for other in imported_stages(module):
                if STAGES.index(other) > STAGES.index(stage):
                    backwards.append(f"{module.relative_to(PACKAGE)} imports minescan.{other}")
    assert backwards == []


def test_no_stage_imports_another_stages_steps():
    """``steps`` modules face the rules; what two stages share lives below both of them."""
    offenders = []
    for module in sorted(PACKAGE.rglob("*.py")):
        own = module.relative_to(PACKAGE).parts[0]
        for name in imported_modules(module):
            parts = name.split(".")
            if parts[0] == "minescan" and parts[2:3] == ["steps"] and parts[1] != own:
                offenders.append(f"{module.relative_to(PACKAGE)} imports {name}")
    assert sorted(set(offenders) - STEPS_TO_MOVE) == []


def test_the_package_has_no_import_cycle():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle_hidden_in_a_lazy_import(tmp_path):
    (tmp_path / "a.py").write_text("import minescan.b\n")
    (tmp_path / "b.py").write_text("def f():\n    from minescan.a import thing\n")
    graph = {
        "minescan.a": imported_modules(tmp_path / "a.py") & {"minescan.b"},
        "minescan.b": imported_modules(tmp_path / "b.py") & {"minescan.a"},
    }
    assert cycles(graph) == [["minescan.a", "minescan.b"]]


def test_shared_root_modules_import_no_stage():
    offenders = {
        module.name: sorted(imported_stages(module))
        for module in PACKAGE.glob("*.py")
        if imported_stages(module)
    }
    assert offenders == {}


def test_the_package_imports_no_experiment():
    offenders = [
        str(module.relative_to(PACKAGE))
        for module in sorted(PACKAGE.rglob("*.py"))
        if any(name.split(".")[0] == "experiments" for name in imported_modules(module))
    ]
    assert offenders == []
