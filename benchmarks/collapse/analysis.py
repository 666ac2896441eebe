"""Reading the runs: which exchange setting to control, and when the baseline stops improving."""
from __future__ import annotations

import math
import statistics
from pathlib import Path
from typing import Any

from ..common.markdown import table
from ..common.plateau import plateau_summary as _plateau_summary
from ..common.results import read_json
from ..common.stats import mean, mean_std
from .configs import METRICS, PLATEAU_TOL, Config
from .metrics import values

BASELINE_PLATEAU_JSON = "mode_collapse.baseline_plateau.json"


def choose_setting(rows: list[dict[str, Any]], candidates: list[Config], others: list[Config],
                   datasets: list[str]) -> tuple[Config, dict[str, float]]:
    """The blend setting with the best mean rank over (dataset, metric) among all phase-one configs
    (baseline, the blend sweep, MSGAN); ties go to the weaker per-iteration pull."""
    from scipy.stats import rankdata

    pool = others + candidates
    ranks: dict[str, list[float]] = {c.key: [] for c in pool}
    for dataset in datasets:
        for metric, _, higher in METRICS[dataset]:
            means = [mean(values(rows, dataset, c.key, metric)) for c in pool]
            means = [(-m if higher else m) if not math.isnan(m) else math.inf for m in means]
            for c, r in zip(pool, rankdata(means), strict=True):
                ranks[c.key].append(float(r))
    mean_rank = {k: statistics.mean(v) for k, v in ranks.items() if v}
    best = min(candidates, key=lambda c: (mean_rank[c.key], c.pull))
    return best, mean_rank


def plateau_summary(rows: list[dict[str, Any]], datasets: list[str]) -> dict[str, dict[str, Any]]:
    """The baseline's plateau per dataset (:func:`benchmarks.common.plateau.plateau_summary` with this
    benchmark's metrics and tolerances)."""
    return _plateau_summary(rows, datasets, METRICS, PLATEAU_TOL)


def baseline_curves(rows: list[dict[str, Any]], dataset: str) -> tuple[list[int], dict[str, list[str]]]:
    """The baseline's checkpoints on ``dataset`` and, per metric, its ``mean ± std`` cell at each."""
    runs = [r["history"] for r in rows if r["dataset"] == dataset and r["config"] == "baseline" and "history" in r]
    if not runs:
        return [], {}
    its = [h["iteration"] for h in runs[0]]
    keys = ["modes_loose", "modes_strict", "hq", "reverse_kl"] if dataset != "digits" else \
        ["modes", "reverse_kl", "confident"]
    out = {}
    for k in keys:
        out[k] = [mean_std([math.nan if h[i].get(k) is None else float(h[i][k]) for h in runs])
                  for i in range(len(its))]
    return its, out


def curve_table(its: list[int], curves: dict[str, list[str]]) -> list[str]:
    """:func:`baseline_curves` as a markdown table, one row per checkpoint."""
    return table(["iteration", *curves], [[it, *(curves[k][i] for k in curves)] for i, it in enumerate(its)])


def plateau_line(dataset: str, p: dict[str, Any], longer_p: dict[str, Any]) -> str:
    """What the run's checkpoints say about the baseline's plateau (``p``: :func:`plateau_summary`'s entry),
    read together with a longer baseline-only check's (``longer_p``, may be empty)."""
    at_end = p.get("iteration") is not None and p.get("iteration") == p.get("final_iteration")
    if at_end and longer_p.get("iteration") is not None and longer_p["iteration"] <= p["final_iteration"] \
            and longer_p["iteration"] < longer_p["final_iteration"]:
        return (f"**{dataset}**: trained to iteration {p['final_iteration']}, where the longer check below finds the "
                f"baseline's plateau ({longer_p['iteration']}); within this run the last checkpoint still improves on "
                "the earlier ones, as it does when a run stops at its plateau.")
    if at_end:
        return (f"**{dataset}**: **no plateau**: still improving at the last checkpoint, iteration {p['iteration']} "
                "(train longer to compare at convergence).")
    return (f"**{dataset}**: plateau by iteration {p.get('iteration', 'n/a')} "
            f"({', '.join(f'{k} {v}' for k, v in p.get('per_metric', {}).items())}).")


def longer_baseline(out: Path, settings: dict[str, Any]) -> dict[str, Any] | None:
    """The ``--baseline-only`` result in ``out`` if it ran the same settings (but for the iterations)."""
    path = out / BASELINE_PLATEAU_JSON
    if not path.exists():
        return None
    other = read_json(path)
    same = ("lr", "batch", "width", "digit_samples", "samples", "adam")
    if any(other["settings"].get(k) != settings.get(k) for k in same):
        return None
    return other
