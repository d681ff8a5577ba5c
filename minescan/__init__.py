"""minescan: find mines in Sentinel-2 imagery, from the MAUS polygons to trained models."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("minescan")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
