"""A stdout that is also kept: benchmarks print their tables and save the same text as results."""

from __future__ import annotations

import io
import sys


class Tee(io.TextIOBase):
    """Writes go to the real stdout and into :attr:`buffer` (use with ``contextlib.redirect_stdout``)."""

    def __init__(self) -> None:
        super().__init__()
        self.buffer = io.StringIO()

    def write(self, s: str) -> int:
        sys.__stdout__.write(s)
        self.buffer.write(s)
        return len(s)

    def flush(self) -> None:
        sys.__stdout__.flush()

    def getvalue(self) -> str:
        """Everything written so far."""
        return self.buffer.getvalue()
