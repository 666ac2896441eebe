"""The mode-collapse figure (``mode_collapse.png``): metric bars per dataset and the generated 2D points."""
from __future__ import annotations

import math
import statistics
from pathlib import Path

import numpy as np

from ..common.plots import PALETTE, pyplot
from ..common.stats import mean
from .configs import METRICS, scatter_keys
from .metrics import mixture, values
from .report import Report


def plot(report: Report, path: Path) -> None:
    """Bars (mean ± std over seeds) of each dataset's first two metrics, with the reference rows as lines,
    and scatter plots of the first seed's points for the baseline, the chosen exchange, its matched
    control and MSGAN."""
    plt = pyplot()
    rows, refs, datasets = report.rows, report.refs, report.datasets
    keys = [c.key for c in report.configs if any(r["config"] == c.key for r in rows)]
    labels = report.labels
    colors = dict(zip(keys, PALETTE * 2, strict=False))  # PALETTE * 2 may be longer
    panels = []
    for d in datasets:
        for m, lab, _ in METRICS[d][:2]:
            panels.append((d, m, lab))
    scatter = [k for k in scatter_keys(report.configs, report.chosen) if k in keys]
    two_d = [d for d in ("ring", "grid") if d in datasets]
    n_cols = max(len(panels) // 2 if len(panels) > 1 else 1, 1)
    n_scatter_rows = len(two_d)
    fig = plt.figure(figsize=(4.2 * max(n_cols, len(scatter)), 3.6 * (2 + n_scatter_rows)))
    grid = fig.add_gridspec(2 + n_scatter_rows, max(n_cols, len(scatter)))
    for i, (d, m, lab) in enumerate(panels):
        ax = fig.add_subplot(grid[i % 2, i // 2])
        means = [mean(values(rows, d, k, m)) for k in keys]
        stds = []
        for k in keys:
            v = [x for x in values(rows, d, k, m) if not math.isnan(x)]
            stds.append(statistics.stdev(v) if len(v) > 1 else 0.0)
        ax.bar(range(len(keys)), means, yerr=stds, color=[colors[k] for k in keys], capsize=2)
        for ref, ls in (("real data", "--"), ("uniform spray", ":")):
            v = mean(values(refs, d, ref, m))
            if not math.isnan(v):
                ax.axhline(v, color="k", ls=ls, lw=1, label=ref)
        ax.set_xticks(range(len(keys)))
        ax.set_xticklabels([labels[k].replace(", every ", " e").replace(", η=", " η") for k in keys],
                           rotation=60, ha="right", fontsize=7)
        ax.set_title(f"{d}: {lab}", fontsize=10)
        if i == 0:
            ax.legend(fontsize=7)
    plot_seed = min((r["seed"] for r in rows if "points" in r), default=None)
    for row_i, d in enumerate(two_d):
        centers = mixture(d).centers.numpy()
        for j, k in enumerate(scatter):
            ax = fig.add_subplot(grid[2 + row_i, j])
            run = next((r for r in rows if r["dataset"] == d and r["config"] == k and r["seed"] == plot_seed
                        and "points" in r), None)
            if run is None:
                continue
            pts = np.asarray(run["points"])
            ax.scatter(pts[:, 0], pts[:, 1], s=1, alpha=0.3, color=colors[k])
            ax.scatter(centers[:, 0], centers[:, 1], s=12, marker="x", color="k")
            lim = 5.2 if d == "grid" else 2.6
            ax.set_xlim(-lim, lim)
            ax.set_ylim(-lim, lim)
            ax.set_aspect("equal")
            ax.set_title(f"{d}, {labels[k]}\nstrict {run['modes_strict']}, HQ {run['hq']:.2f} (seed {plot_seed})",
                         fontsize=8)
            ax.tick_params(labelsize=6)
    fig.suptitle("Mode collapse: bars mean ± std over seeds (dashed: real data, dotted: uniform spray); "
                 "scatter: generated points, x = modes", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
