"""Audit of the rules for what the SLURM profile relies on.

Every rule that runs something must declare `threads:` and `resources:` with `mem_mb` and
`runtime` (minutes), unless it is a `localrules:` entry; rules asking for a GPU (`gpu=`) also
declare `cpus_per_gpu`; download and small aggregation rules (by name) should be local; training
and inference rules (by name) should ask for a GPU. Reads the files as text, so it needs no
config and no installed workflow.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RULE = re.compile(r"^(rule|checkpoint) (\w+):", re.MULTILINE)
LOCALRULES = re.compile(r"^localrules:((?:\s*\w+,?)+)", re.MULTILINE)
# A rule without one of these only collects inputs (like `all`) and never becomes a job.
RUNS = re.compile(r"^\s+(shell|script|run|notebook|wrapper|cwl):", re.MULTILINE)
SHOULD_BE_LOCAL = re.compile(r"download|fetch|_summary$|^summary")
# Whole words of a rule name (detection_dataset is no detector; detection_train is).
WANTS_GPU = re.compile(r"(^|_)(train|predict|infer|detect)(_|$)")


def rule_blocks(text: str) -> dict[str, str]:
    """Each rule's text, from its header to the next top-level line."""
    blocks = {}
    for match in RULE.finditer(text):
        rest = text[match.end() :]
        end = re.search(r"^\S", rest, re.MULTILINE)
        blocks[match.group(2)] = rest[: end.start() if end else len(rest)]
    return blocks


def audit(files: list[Path]) -> list[str]:
    texts = [path.read_text() for path in files]
    local = {
        name.strip()
        for text in texts
        for line in LOCALRULES.findall(text)
        for name in re.split(r"[,\s]+", line)
        if name.strip()
    }
    gaps = []
    for text in texts:
        for name, block in rule_blocks(text).items():
            if not RUNS.search(block):
                continue
            resources = re.search(r"^\s+resources:(.*?)(?=^\s{4}\w+:|\Z)", block, re.M | re.S)
            declared = resources.group(1) if resources else ""
            if name in local:
                continue
            if SHOULD_BE_LOCAL.search(name):
                gaps.append(
                    f"{name}: looks like a download or small aggregation; not in localrules"
                )
            if "threads:" not in block:
                gaps.append(f"{name}: no threads")
            for resource in ("mem_mb", "runtime"):
                if f"{resource}=" not in declared:
                    gaps.append(f"{name}: no resources {resource}")
            if "gpu=" in declared and "cpus_per_gpu=" not in declared:
                gaps.append(f"{name}: asks for a GPU without cpus_per_gpu")
            if WANTS_GPU.search(name) and "gpu=" not in declared:
                gaps.append(f"{name}: looks like training or inference; no gpu=1")
    return gaps


def test_every_rule_declares_what_the_cluster_profile_needs():
    files = [REPO / "Snakefile", *sorted((REPO / "workflow" / "rules").glob("*.smk"))]
    assert audit(files) == []


def test_the_audit_finds_a_rule_without_resources(tmp_path):
    smk = tmp_path / "bad.smk"
    smk.write_text(
        "rule train_detector:\n    output:\n        'x'\n    shell:\n        'touch x'\n"
    )
    assert audit([smk]) == [
        "train_detector: no threads",
        "train_detector: no resources mem_mb",
        "train_detector: no resources runtime",
        "train_detector: looks like training or inference; no gpu=1",
    ]
