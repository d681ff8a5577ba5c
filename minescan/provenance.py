"""Provenance recorded with every output: code version, configuration, inputs."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from pathlib import Path
from typing import Any

from minescan import __version__

REPO_ROOT = Path(__file__).resolve().parent.parent


def git_commit() -> str | None:
    """The commit of the source tree, with ``-dirty`` when it has changes; None outside git."""
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=12"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def file_sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def provenance(params: dict[str, Any], inputs: dict[str, str | Path] | None = None) -> dict:
    """A JSON-serialisable record of how an output was made (no timestamps: reproducible)."""
    record: dict[str, Any] = {
        "software": "minescan",
        "version": __version__,
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "params": params,
    }
    if inputs:
        record["inputs"] = {
            name: {"path": str(path), "sha256": file_sha256(path)}
            for name, path in inputs.items()
            if Path(path).is_file()
        }
    return json.loads(json.dumps(record, default=str))
