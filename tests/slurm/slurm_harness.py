"""What the SLURM tests share: the cluster harness, copies of the workflow, Snakemake runs and
the accounting database's view of them (see README.md beside this file)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HARNESS = REPO / "tests" / "slurm" / "cluster.sh"
PROFILE = REPO / "workflow" / "profiles" / "slurm"
# What a copy of the workflow needs; the minescan package itself is installed (editable).
WORKFLOW_PATHS = ["Snakefile", "workflow", "config", "resources", "envs"]
# Faster polling than a real cluster needs: the jobs here take seconds, not hours.
SLURM_TEST_ARGS = [
    "--slurm-init-seconds-before-status-checks=2",
    "--seconds-between-status-checks=2",
    "--latency-wait=5",
]


def run_harness(command: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(HARNESS), command, *args],
        capture_output=True,
        text=True,
        timeout=900,  # the first `up` installs the Debian packages
    )


def cluster_env(state: Path, up_options: Sequence[str] = ()) -> Iterator[dict[str, str]]:
    """Start the cluster in ``state`` (``cluster.sh up [up_options]``); yield the environment its
    clients and Snakemake need; stop it, whatever happened. Skips where it cannot run."""
    check = run_harness("check")
    if check.returncode != 0:
        pytest.skip(f"no SLURM test cluster on this machine: {check.stdout.strip()}")
    started = time.monotonic()
    try:
        up = run_harness("up", *up_options, str(state))
        if up.returncode == 3:
            pytest.skip(f"apt could not install the SLURM packages: {up.stderr.strip()}")
        assert up.returncode == 0, f"cluster.sh up failed:\n{up.stderr}\n{daemon_logs(state)}"
        print(f"SLURM cluster up in {time.monotonic() - started:.0f} s")

        env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
        env["SLURM_CONF"] = str(state / "etc" / "slurm.conf")
        # Jobs inherit this environment (sbatch --export=ALL): put this Python first on PATH,
        # so that `python -m snakemake` inside the job runs from the same virtual environment.
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        yield env
    finally:
        down = run_harness("down", str(state))
        status = run_harness("status", str(state))
        assert down.returncode == 0, f"cluster.sh down failed:\n{down.stderr}"
        assert "running" not in status.stdout, f"daemons left running:\n{status.stdout}"


def daemon_logs(state: Path, lines: int = 20) -> str:
    """The tail of every daemon log, for failure messages."""
    tails = []
    for log in sorted((state / "log").glob("*")):
        text = log.read_text(errors="replace").splitlines()[-lines:]
        tails.append(f"--- {log.name}\n" + "\n".join(text))
    return "\n".join(tails)


def copy_workflow(destination: Path) -> Path:
    destination.mkdir(parents=True)
    for name in WORKFLOW_PATHS:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(
                source, destination / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        elif source.exists():
            shutil.copy2(source, destination / name)
    # The config may point at the shared data folder beside the checkout: keep that relation.
    shared = REPO.parent / "shared"
    if shared.exists() and not (destination.parent / "shared").exists():
        (destination.parent / "shared").symlink_to(shared)
    return destination


def snakemake(
    workdir: Path, args: list[str], env: dict[str, str], timeout: int
) -> subprocess.CompletedProcess:
    """Run Snakemake in workdir, interrupted with SIGINT (then killed 30 s later) on timeout."""
    command = ["timeout", "-s", "INT", "-k", "30", str(timeout)]
    command += [sys.executable, "-m", "snakemake", *args]
    result = subprocess.run(
        command, cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout + 60
    )
    result.stdout += result.stderr  # Snakemake logs to stderr; keep one stream to search
    return result


def sacct_jobs(
    run_id: str,
    env: dict[str, str],
    fields: Sequence[str] = ("JobID", "JobName", "State", "Comment"),
) -> list[dict[str, str]]:
    """Allocations (not steps) named after this Snakemake run, as accounting recorded them."""
    out = subprocess.run(
        ["sacct", "--allusers", "--parsable2", "--noheader", "--starttime=now-1days"]
        + [f"--format={','.join(fields)}", f"--name={run_id}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = [dict(zip(fields, line.split("|"), strict=True)) for line in out.splitlines()]
    return [row for row in rows if "." not in row["JobID"]]


def rule_of(comment: str) -> str:
    """The rule name in the plugin's job comment: `rule_<name>` or `rule_<name>_wildcards_<..>`."""
    assert comment.startswith("rule_"), comment
    return comment.removeprefix("rule_").split("_wildcards_")[0]
