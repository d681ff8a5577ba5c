"""Building blocks shared by the learning stages (chips, detection, pyramid, footprints, growth):
labelled folders and the table of labelled tiles, a tile's pixels and mine regions, channels
and scaling, spatial and region-out splits, sliding windows and boxes, mine-free background
imagery, and torch's device, seeding and offline setup. Nothing here imports a stage that uses
it."""
