"""The coarse-to-fine pyramid scan (seed 002, section 4.1) and its planner."""
