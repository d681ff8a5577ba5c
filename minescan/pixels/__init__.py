"""Pixel tables (seed 002, 2.2, ``3_gtiff_csv_s2``): one row per valid pixel of every tile."""
