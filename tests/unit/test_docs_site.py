"""The documentation: the README is a front door under 250 lines whose links all resolve, and
the mkdocs site builds with warnings as errors (broken links, missing pages and anchors)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_the_readme_is_a_front_door_whose_links_resolve():
    text = (REPO / "README.md").read_text()
    assert len(text.splitlines()) < 250
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    local = [link.split("#")[0] for link in links if "://" not in link]
    assert "docs/configuration.md" in local and "docs/outputs.md" in local
    missing = [link for link in local if not (REPO / link).exists()]
    assert not missing, f"README.md links to missing files: {missing}"


def test_the_site_builds_with_warnings_as_errors(tmp_path):
    pytest.importorskip("mkdocs", reason="mkdocs is in the test extra")
    pytest.importorskip("material", reason="mkdocs-material is in the test extra")
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "WARNING" not in run.stderr, run.stderr[-3000:]
    reference = (tmp_path / "configuration" / "index.html").read_text()
    assert "max_cells_per_shard" in reference
    outputs = (tmp_path / "outputs" / "index.html").read_text()
    assert "results/growth/z{zoom}/changes.csv" in outputs
