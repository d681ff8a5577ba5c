"""The package's commands (``[project.scripts]`` in pyproject.toml): scoring a trained model on
a folder, building a detector ensemble, planning a pyramid scan, and the growth of real chip
pairs. Each is the ``main`` of its stage's module (also run as ``python -m <module>``); this
layer sits after every stage and only hands the command line over."""

from __future__ import annotations


def score_chips() -> None:
    """``minescan-score-chips``: a chip model's scores on any chips folder."""
    from minescan.chips.scoring import main

    main()


def score_detector() -> None:
    """``minescan-score-detector``: a detector's recall and false alarms on a labelled folder."""
    from minescan.detection.scoring import main

    main()


def score_footprints() -> None:
    """``minescan-score-footprints``: a segmenter's footprints on a labelled folder."""
    from minescan.footprints.scoring import main

    main()


def detector_ensemble() -> None:
    """``minescan-detector-ensemble``: one detector of several trained fold models."""
    from minescan.detection.ensemble import main

    main()


def plan_pyramid() -> None:
    """``minescan-plan-pyramid``: the cost of a pyramid scan of a region, before any job."""
    from minescan.pyramid.plan_cli import main

    main()


def growth_chip_pairs() -> None:
    """``minescan-growth-chip-pairs``: growth measured on real chip pairs against polygons."""
    from minescan.growth.chip_pairs import main

    main()
