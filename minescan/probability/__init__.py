"""Applying a pixel model to tiles: probability rasters, per-cell scores, Earth Engine export."""
