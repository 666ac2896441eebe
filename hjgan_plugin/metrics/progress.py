"""A tiny progress bar on stderr for the metrics' long loops (no dependency).

Library calls keep it off (``progress=False`` everywhere); ``hjgan eval`` turns it on, and
``--no-progress`` turns it off again. The bar redraws in place with ``\\r`` at most every
``min_interval`` seconds and ends with a newline::

    Inception features |#########-----------|  45/100  12s<15s

Usage::

    with ProgressBar(total=len(batches), desc="Inception features", enabled=progress) as bar:
        for batch in batches:
            ...
            bar.update()
"""
from __future__ import annotations

import math
import sys
import time
from collections.abc import Iterable, Iterator
from typing import IO, TypeVar

if sys.version_info >= (3, 11):
    from typing import Self
else:  # typing_extensions comes with torch
    from typing_extensions import Self

T = TypeVar("T")

__all__ = ["ProgressBar", "track"]


class ProgressBar:
    """Count ``total`` steps on ``stream`` (stderr); a no-op when ``enabled`` is false."""

    width = 20

    def __init__(self, total: int, desc: str, enabled: bool = False, stream: IO[str] | None = None,
                 min_interval: float = 0.2) -> None:
        self.total = max(int(total), 0)
        self.desc = desc
        self.enabled = bool(enabled)
        self.stream = stream
        self.min_interval = min_interval
        self.done = 0
        self.note = ""
        self._start = time.monotonic()
        self._last_draw = float("-inf")
        self._drawn = -1
        self._closed = False

    def update(self, n: int = 1, note: str | None = None) -> None:
        """Advance by ``n`` steps; ``note`` (e.g. a running value) is shown after the counts."""
        self.done = min(self.done + n, self.total) if self.total else self.done + n
        if note is not None:
            self.note = note
        now = time.monotonic()
        if self.enabled and (now - self._last_draw >= self.min_interval or self.done >= self.total):
            self._draw(now)

    def close(self) -> None:
        """Draw the final state (unless it is on screen) and end the line (once)."""
        if self.enabled and not self._closed:
            if self._drawn != self.done:
                self._draw(time.monotonic())
            self._out().write("\n")
            self._out().flush()
        self._closed = True

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _out(self) -> IO[str]:
        return self.stream if self.stream is not None else sys.stderr

    def _draw(self, now: float) -> None:
        self._last_draw, self._drawn = now, self.done
        elapsed = now - self._start
        if self.total:
            filled = int(self.width * self.done / self.total)
            bar = "#" * filled + "-" * (self.width - filled)
            eta = elapsed / self.done * (self.total - self.done) if self.done else float("nan")
            eta_text = "" if math.isnan(eta) else f"<{eta:.0f}s"
            text = f"{self.desc} |{bar}| {self.done:>{len(str(self.total))}}/{self.total}  {elapsed:.0f}s{eta_text}"
        else:
            text = f"{self.desc}  {self.done}  {elapsed:.0f}s"
        if self.note:
            text += f"  {self.note}"
        self._out().write("\r" + text)
        self._out().flush()


def track(iterable: Iterable[T], total: int, desc: str, enabled: bool = False) -> Iterator[T]:
    """Yield from ``iterable`` while a :class:`ProgressBar` of ``total`` steps counts them."""
    with ProgressBar(total, desc, enabled) as bar:
        for item in iterable:
            yield item
            bar.update()
