"""Run several ``snakemake`` command lines as dry runs in one Python process.

Each command goes through Snakemake's own command-line entry point, as typed; only the
interpreter start and the imports (about 2-3 s a command on the test machines) are shared.
Output of each command is framed by marker lines on stderr so the caller can split it.

    python dry_runs.py "<args of command 1>" "<args of command 2>" ...
"""

from __future__ import annotations

import shlex
import sys
import time

MARKER = "@@minescan-dry-run@@"


def run_all(commands: list[str]) -> None:
    from snakemake.cli import main

    for command in commands:
        print(f"{MARKER} start {command}", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            main(shlex.split(command))
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
        except Exception as error:  # a crash of one command must not hide the others
            print(f"{type(error).__name__}: {error}", file=sys.stderr)
            code = 1
        sys.stdout.flush()
        seconds = time.perf_counter() - started
        print(f"{MARKER} end {code} {seconds:.1f} s", file=sys.stderr, flush=True)


def split_output(stderr: str) -> list[tuple[str, int, str]]:
    """(command, exit code, its output) of every command, in order."""
    runs = []
    for part in stderr.split(f"{MARKER} start ")[1:]:
        command, _, rest = part.partition("\n")
        output, _, tail = rest.partition(f"{MARKER} end ")
        runs.append((command, int(tail.split()[0]), output))
    return runs


if __name__ == "__main__":
    run_all(sys.argv[1:])
