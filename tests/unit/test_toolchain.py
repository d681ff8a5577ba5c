"""The house style, checked like any behaviour: ruff finds nothing, snakefmt would change no rule
file, and no comment or docstring cites the research plan's sections (a reader of the
repository cannot open them)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RULE_FILES = ["Snakefile", "workflow/rules"]
CITATION = re.compile(r"\bseeds? 0\d\d\b|\bsection \d")


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return found


def test_ruff_finds_nothing():
    run = subprocess.run([_tool("ruff"), "check", "."], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:]


def test_the_rules_are_formatted_by_snakefmt():
    run = subprocess.run(
        [_tool("snakefmt"), "--check", *RULE_FILES], cwd=REPO, capture_output=True, text=True
    )
    assert run.returncode == 0, f"run `snakefmt {' '.join(RULE_FILES)}`:\n{run.stderr[-3000:]}"


def test_no_comment_cites_the_research_plan():
    paths = [*REPO.glob("minescan/**/*.py"), *REPO.glob("workflow/**/*.smk")]
    paths += [REPO / "Snakefile", REPO / "workflow/schemas/config.schema.yaml"]
    cited = [
        f"{path.relative_to(REPO)}:{number}"
        for path in paths
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if CITATION.search(line)
    ]
    assert not cited, cited
