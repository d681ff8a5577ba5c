"""Per-cell Sentinel-2 tiles (seed 002, 2.2 and 4.2 step 2): backends, COG writing, previews."""
