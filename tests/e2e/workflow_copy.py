"""Copies of the workflow in temporary folders, and Snakemake runs in them (shared by the
end-to-end tests and their session's demo run)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
COPIED = ["Snakefile", "workflow", "config", "resources", "envs", "experiments"]


def copy_workflow(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target / name)
    # The real data folder sits beside the checkout; keep that relation in the copy.
    shared = REPO.parent / "shared"
    if shared.exists() and not (target.parent / "shared").exists():
        (target.parent / "shared").symlink_to(shared)
    return target


def run_snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "snakemake", "--cores", "2", "--directory", str(workdir)]
    return subprocess.run(
        [*command, *args], cwd=workdir, capture_output=True, text=True, timeout=1500
    )
