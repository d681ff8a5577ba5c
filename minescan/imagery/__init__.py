"""Per-cell Sentinel-2 tiles: backends, COG writing, previews."""
