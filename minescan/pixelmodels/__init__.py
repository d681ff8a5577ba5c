"""Pixel-based learning (seed 002, section 3): features, splits, LASSO and L1-logistic paths,
other model families, the comparison on held-out cells and the channel ranking."""
