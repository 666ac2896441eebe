"""Reading the runs: seed means, each config's most reliable λ scale, the Pareto front."""
from __future__ import annotations

import statistics
from typing import Any

from .suites import CONFIGS, LAMBDA_SCALES, TERMS, VALID_GATE, sweep_name


def seed_means(rows: list[dict[str, Any]], name: str) -> dict[str, float]:
    """Seed means (and stds) of MIG and the valid fraction of ``name``'s runs, its degenerate seeds and run count."""
    runs = [r for r in rows if r["config"] == name]
    return {"mig": statistics.mean(r["mig"] for r in runs), "valid": statistics.mean(r["valid"] for r in runs),
            "mig_std": statistics.stdev(r["mig"] for r in runs) if len(runs) > 1 else 0.0,
            "valid_std": statistics.stdev(r["valid"] for r in runs) if len(runs) > 1 else 0.0,
            "degenerate": sum(r["valid"] < VALID_GATE for r in runs), "n": len(runs)}


def best_settings(rows: list[dict[str, Any]]) -> dict[str, tuple[str, dict[str, float]] | None]:
    """Per penalty config, its most reliable λ scale: the fewest seeds below the quality gate, then the
    highest seed-mean MIG (``None`` for a config with no run)."""
    out: dict[str, tuple[str, dict[str, float]] | None] = {}
    for term in TERMS:
        runs = [(name, seed_means(rows, name)) for name in (sweep_name(term, s) for s in LAMBDA_SCALES)
                if any(r["config"] == name for r in rows)]
        out[term] = min(runs, key=lambda nm: (nm[1]["degenerate"], -nm[1]["mig"])) if runs else None
    return out


def pareto_front(rows: list[dict[str, Any]]) -> list[str]:
    """Configs no other config beats on both seed-mean MIG and seed-mean valid fraction (ties kept),
    by falling MIG."""
    means = {name: seed_means(rows, name) for name in dict.fromkeys(r["config"] for r in rows)}

    def beats(a: dict[str, float], b: dict[str, float]) -> bool:
        return a["mig"] >= b["mig"] and a["valid"] >= b["valid"] and (a["mig"] > b["mig"] or a["valid"] > b["valid"])

    front = [n for n, m in means.items() if not any(beats(o, m) for k, o in means.items() if k != n)]
    return sorted(front, key=lambda n: -means[n]["mig"])


def shown_in_figure(suite: str, rows: list[dict[str, Any]]) -> list[str]:
    """The configs whose first-seed traversal the suite's figure shows."""
    if suite == "lambda":
        return ["baseline"] + [pick[0] for pick in best_settings(rows).values() if pick is not None]
    return [n for n in CONFIGS if any(r["config"] == n for r in rows)]
