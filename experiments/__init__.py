"""One-off tries that produced the figures in docs/experiments.md: run from the repository root
as ``python -m experiments.<stage>.<name>``. The minescan package never imports them."""
