"""The real-chip evaluation: pixel models trained and scored on real Sentinel-2 chip pairs."""
