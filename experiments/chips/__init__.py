"""Tries of the real-chip recipes (the code of the chips rules, run outside the workflow)."""
