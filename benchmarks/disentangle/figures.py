"""The disentanglement figures: traversals and metric-vs-quality scatter (``plot``), the λ sweep (``plot_lambda``)."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ..common.plots import PALETTE, pyplot, traversal_panel
from .analysis import best_settings, seed_means
from .suites import CONFIGS, LAMBDA_SCALES, TERMS, VALID_GATE, sweep_name

TRAVERSAL_LABEL = "z1, z2, z3 swept −2…2"


def plot_lambda(rows: list[dict[str, Any]], path: Path) -> None:
    """MIG against valid fraction per config as λ grows, and the traversal of each config's most reliable
    scale (:func:`best_settings`; first seed)."""
    plt = pyplot()
    colors = {"hessian": "#55a868", "jacobian": "#c44e52", "joint": "#4c72b0"}
    best = best_settings(rows)
    first_seed = min(r["seed"] for r in rows)
    shown = ["baseline"] + [best[t][0] for t in TERMS if best.get(t) is not None]
    fig = plt.figure(figsize=(12, 9))
    grid = fig.add_gridspec(2, len(shown), height_ratios=[1, 2.2])
    for i, name in enumerate(shown):
        run = next((r for r in rows if r["config"] == name and r["seed"] == first_seed), None)
        if run is None:
            continue
        traversal_panel(fig.add_subplot(grid[0, i]), run, name, first_seed, TRAVERSAL_LABEL if i == 0 else "",
                        fontsize=8)
    ax = fig.add_subplot(grid[1, :])
    for term in TERMS:
        pts = [(s, seed_means(rows, sweep_name(term, s))) for s in LAMBDA_SCALES
               if any(r["config"] == sweep_name(term, s) for r in rows)]
        if not pts:
            continue
        ax.errorbar([m["valid"] for _, m in pts], [m["mig"] for _, m in pts], xerr=[m["valid_std"] for _, m in pts],
                    yerr=[m["mig_std"] for _, m in pts], color=colors[term], marker="o", capsize=3, label=term)
        for s, m in pts:
            ax.annotate(f"×{s:g}", (m["valid"], m["mig"]), textcoords="offset points", xytext=(4, 4), fontsize=8,
                        color=colors[term])
    if any(r["config"] == "baseline" for r in rows):
        m = seed_means(rows, "baseline")
        ax.errorbar([m["valid"]], [m["mig"]], xerr=[m["valid_std"]], yerr=[m["mig_std"]], color="#777777",
                    marker="s", capsize=3, label="baseline")
    ax.axvline(VALID_GATE, color="k", ls=":", lw=1)
    ax.set_xlabel(f"valid fraction (quality gate; dotted: {VALID_GATE})")
    ax.set_ylabel("MIG")
    ax.legend(fontsize=8)
    ax.set_title("λ sweep: mean ± std over seeds, labels = multiple of base λ", fontsize=10)
    fig.suptitle("Each penalty config across λ: disentanglement vs quality; traversals: each config's most "
                 "reliable λ (fewest degenerate seeds, then MIG)",
                 fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    """The first seed's traversal per config, and MIG and VP (or ms / iteration) against the valid fraction."""
    plt = pyplot()
    names = [n for n in CONFIGS if any(r["config"] == n for r in rows)]
    colors = dict(zip(names, PALETTE, strict=False))  # a subset may be shorter
    first_seed = min(r["seed"] for r in rows)
    fig = plt.figure(figsize=(12, 6.5))
    grid = fig.add_gridspec(2, max(len(names), 2), height_ratios=[1, 1.15])
    for i, name in enumerate(names):
        run = next(r for r in rows if r["config"] == name and r["seed"] == first_seed)
        traversal_panel(fig.add_subplot(grid[0, i]), run, name, first_seed, TRAVERSAL_LABEL if i == 0 else "")
    panels = [("mig", "MIG"), ("vp", "VP")]
    if all(math.isnan(r["vp"]) for r in rows):
        panels = [("mig", "MIG"), ("ms_per_iteration", "ms / iteration")]
    for j, (metric, label) in enumerate(panels):
        half = max(len(names), 2) // 2
        ax = fig.add_subplot(grid[1, j * half:(j + 1) * half])
        for name in names:
            runs = [r for r in rows if r["config"] == name]
            ax.scatter([r["valid"] for r in runs], [r[metric] for r in runs], color=colors[name], label=name, s=40)
        ax.axvline(0.3, color="k", ls=":", lw=1)
        ax.set_xlabel("valid fraction (quality gate; dotted: 0.3)")
        ax.set_ylabel(label)
        ax.legend(fontsize=8)
    fig.suptitle("Disentanglement vs quality, one point per seed", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
