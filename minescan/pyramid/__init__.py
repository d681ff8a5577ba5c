"""The coarse-to-fine pyramid scan: screen a region's coarse cells, descend into
the children of the promising ones, and account for what it costs and what it misses."""
