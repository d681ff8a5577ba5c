"""Pixel-based learning: features, splits, LASSO and L1-logistic paths,
other model families, the comparison on held-out cells and the channel ranking."""
