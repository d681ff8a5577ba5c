"""Mine footprints: U-Net/FPN segmentation of the tiles, probability and
mask COGs, footprint polygons with areas in m², their evaluation and a scoring command."""
