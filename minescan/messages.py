"""What the workflow says at the end of a successful run."""

from __future__ import annotations

from pathlib import Path


def done_message(results: str, logs: str, map_dir: str) -> str:
    """Where the results are; the map only when this or an earlier run built it (a run of one
    stage, such as ``grid``, builds none, and pointing to a missing page misleads)."""
    page = Path(map_dir) / "index.html"
    lines = [f"minescan: done. Results are in {results}/ (logs: {logs}/)."]
    if page.is_file():
        lines.append(f"  The map (opens offline): {page.resolve()}")
    else:
        lines.append("  The map: not built by this run; `snakemake --cores all map` builds it")
    lines.append(
        f"  The report: snakemake --report {results}/report.html, then open "
        f"{Path(results).resolve()}/report.html"
    )
    return "\n".join(lines)


__all__ = ["done_message"]
