"""Where a metric stops improving: the first checkpoint no later checkpoint beats by more than the noise."""
from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Any


def plateau(history_rows: Sequence[Sequence[Mapping[str, Any]]], metric: str, higher: bool, tol: float) -> int | None:
    """First checkpoint ``t`` after which the seed mean of ``metric`` never improves on its value at ``t`` by
    more than ``tol`` plus the standard error (over seeds) of the later checkpoint: no later improvement
    beyond a set tolerance and the seed noise. ``history_rows`` has one list of checkpoints
    (``{"iteration": ..., metric: ...}``) per seed, all at the same iterations. ``None`` if even the last
    checkpoint fails (it never does: the last one is compared with nothing after it)."""
    its = [h["iteration"] for h in history_rows[0]]
    curve, se = [], []
    for i in range(len(its)):
        vals = [float(v) for v in (h[i].get(metric) for h in history_rows) if v is not None]
        vals = [v for v in vals if not math.isnan(v)]
        curve.append(statistics.mean(vals) if vals else math.nan)
        se.append(statistics.stdev(vals) / math.sqrt(len(vals)) if len(vals) > 1 else 0.0)
    sign = 1.0 if higher else -1.0
    for i, it in enumerate(its):
        if math.isnan(curve[i]):
            continue
        if all(sign * (curve[j] - curve[i]) <= tol + se[j] for j in range(i + 1, len(its)) if not math.isnan(curve[j])):
            return it
    return None


def plateau_summary(rows: Sequence[Mapping[str, Any]], datasets: Sequence[str],
                    metrics: Mapping[str, Sequence[tuple[str, str, bool]]], tolerances: Mapping[str, float],
                    config: str = "baseline") -> dict[str, dict[str, Any]]:
    """Per dataset, the plateau of ``config``'s runs (their ``history``) for each of the dataset's
    ``(metric, label, higher is better)`` and the latest of them: ``{"iteration", "per_metric",
    "final_iteration"}``. A dataset without such runs, or whose runs have different checkpoints, is left out."""
    out = {}
    for d in datasets:
        runs = [r["history"] for r in rows if r["dataset"] == d and r["config"] == config]
        if not runs or len({len(h) for h in runs}) != 1:
            continue
        per = {m: plateau(runs, m, hi, tolerances[m]) for m, _, hi in metrics[d]}
        known = [v for v in per.values() if v is not None]
        out[d] = {"iteration": max(known) if known else None, "per_metric": per,
                  "final_iteration": runs[0][-1]["iteration"]}
    return out
