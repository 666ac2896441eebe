"""What the machine was doing during a benchmark: load averages, as numbers and as the pages' text."""
from __future__ import annotations

import os


def load_average() -> list[float] | None:
    """The 1-, 5- and 15-minute load averages (None where the OS has none): 2 workers alone give about 2."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def loads_text(values: list[float] | None) -> str:
    """``1.50 / 1.08 / 0.63``, or ``n/a``."""
    return "n/a" if values is None else " / ".join(f"{v:.2f}" for v in values)


def load_span(before: list[float] | None) -> str:
    """``load average before 0.10 / 0.20 / 0.30, after 2.00 / 1.90 / 1.50`` (after: now)."""
    return f"load average before {loads_text(before)}, after {loads_text(load_average())}"
