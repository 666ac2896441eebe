"""Figure helpers: matplotlib without a display, one palette, saving, the traversal panel."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PALETTE = ["#777777", "#4c72b0", "#55a868", "#c44e52", "#8172b2", "#ccb974", "#64b5cd", "#dd8452", "#937860",
           "#da8bc3", "#8c8c8c", "#2f4b7c"]
"""Colours in the order configs get them (the first, grey, is the baseline's)."""


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend (files only, no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig: Any, path: Any, dpi: int = 90) -> None:
    """``tight_layout``, write ``fig`` to ``path`` and close it."""
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    pyplot().close(fig)


def traversal_panel(ax: Any, run: Mapping[str, Any], name: str, seed: int, ylabel: str = "", **ylabel_kw: Any) -> None:
    """A run's latent-traversal grid (``run["traversal"]``) titled with its MIG and valid fraction."""
    import numpy as np

    ax.imshow(np.asarray(run["traversal"]), cmap="gray", vmin=0, vmax=1)
    ax.set_title(f"{name} (seed {seed})\nMIG {run['mig']:.2f}, valid {run['valid']:.2f}", fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_ylabel(ylabel, **ylabel_kw)
