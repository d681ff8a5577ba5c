"""Growth between date windows: mine area, new and lost area and new sites per cell,
country and region."""
