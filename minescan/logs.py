"""Logging for rule scripts: everything, uncaught exceptions included, goes to the rule's log."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from types import TracebackType

from minescan.errors import MinescanInputError

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(log_file: str | Path | None = None, level: int = logging.INFO) -> None:
    """Send log records to stderr and, when given, to ``log_file``; log uncaught exceptions."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, mode="w"))
    logging.basicConfig(level=level, format=FORMAT, handlers=handlers, force=True)

    def log_uncaught(
        kind: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        logger = logging.getLogger("minescan")
        if isinstance(value, MinescanInputError):
            # The message says what is wrong and what to do; a traceback would only bury it.
            logger.critical("input error: %s", value)
        else:
            logger.critical("uncaught exception", exc_info=(kind, value, tb))

    sys.excepthook = log_uncaught
