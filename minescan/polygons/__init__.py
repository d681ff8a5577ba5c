"""Mining polygons: reading any OGR format or GeoParquet, checking and cleaning."""
