"""Pixel tables: one row per valid pixel of every tile."""
