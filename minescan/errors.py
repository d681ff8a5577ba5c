"""Errors a user can act on: each names the file (and row or key) and says what to do."""

from __future__ import annotations


class MinescanInputError(ValueError):
    """Bad user input: the message names the offending file, row or key and the remedy."""

    def __init__(self, source: str, problem: str, remedy: str = "") -> None:
        self.source = str(source)
        self.problem = problem
        self.remedy = remedy
        message = f"{self.source}: {problem}"
        if remedy:
            message += f" -> {remedy}"
        super().__init__(message)
