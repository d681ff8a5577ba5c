"""Rule pyramid_plan: the planner's expected cells, shards, jobs, pixels and bytes per level."""

from minescan.logs import setup_logging
from minescan.pyramid.plan_cli import plan_step

if __name__ == "__main__":
    sm = snakemake  # noqa: F821 (injected by Snakemake)
    setup_logging(sm.log[0])
    plan_step(
        polygons=sm.input.polygons,
        out_csv=sm.output.plan,
        out_json=sm.output.summary,
        **dict(sm.params.items()),
    )
