"""Pixel-based learning (seed 002, section 3): features, splits, linear paths, model
comparison, channel ranking, Earth Engine export and fast scanning of tiles."""
