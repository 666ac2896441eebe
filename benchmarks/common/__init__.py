"""Pieces the benchmark scripts share; one job per module.

- :mod:`.stats`: ``mean ± std`` cells, NaN-skipping means, Welch's test with a verdict;
- :mod:`.pool`: runs jobs in spawned worker processes (or in this process);
- :mod:`.results`: the ``--out`` / ``--from-json`` arguments and the JSON result files;
- :mod:`.markdown`: table lines, and rewriting a generated ``.md`` while keeping parts of the old one;
- :mod:`.plateau`: where a metric stops improving over training checkpoints;
- :mod:`.plots`: matplotlib without a display, the shared palette, traversal panels.
"""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The repository."""

DEFAULT_OUT = ROOT / "docs" / "benchmarks"
"""Where the scripts write their tables, JSON and figures by default."""
