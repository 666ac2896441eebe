"""Pure read-outs of the lazy-regularization runs: per-setting statistics against the every-step penalty on
the same seeds, the screen's pick, and each setting's verdict."""
from __future__ import annotations

import math
import statistics
from typing import Any

from benchmarks.common.stats import compare, detectable_difference
from benchmarks.disentangle.suites import VALID_GATE

from .configs import EVERY_STEP, PLAIN, perturbed_per_step


def values(rows: list[dict[str, Any]], config: str, key: str, seeds: list[int] | None = None) -> list[float]:
    """``key`` of ``config``'s runs, in seed order, on ``seeds`` (all when None)."""
    picked = sorted((r for r in rows if r["config"] == config and (seeds is None or r["seed"] in seeds)),
                    key=lambda r: r["seed"])
    return [r[key] for r in picked]


def seeds_of(rows: list[dict[str, Any]], config: str) -> list[int]:
    return sorted(r["seed"] for r in rows if r["config"] == config)


def against_every_step(rows: list[dict[str, Any]], config: str) -> dict[str, Any]:
    """``config``'s MIG and valid fraction vs the every-step penalty's on the seeds both have: differences,
    Welch p-values, degenerate seeds (valid < the quality gate) and the smallest MIG difference the test
    detects at this spread (:func:`benchmarks.common.stats.detectable_difference`)."""
    seeds = [s for s in seeds_of(rows, config) if s in seeds_of(rows, EVERY_STEP)]
    mig, ref_mig = values(rows, config, "mig", seeds), values(rows, EVERY_STEP, "mig", seeds)
    valid, ref_valid = values(rows, config, "valid", seeds), values(rows, EVERY_STEP, "valid", seeds)
    d_mig, p_mig, _ = compare(mig, ref_mig, higher_better=True)
    d_valid, p_valid, _ = compare(valid, ref_valid, higher_better=True)
    n = len(seeds)
    return {"seeds": seeds, "mig": mig, "valid": valid, "d_mig": d_mig, "p_mig": p_mig, "d_valid": d_valid,
            "p_valid": p_valid, "degenerate": sum(v < VALID_GATE for v in valid),
            "detectable": detectable_difference(statistics.stdev(mig), statistics.stdev(ref_mig), n)
            if n > 1 else math.nan}


def shortfall(stats: dict[str, Any], ref: dict[str, Any]) -> float:
    """How far a screened setting falls short of the every-step result, in units of the every-step seed
    spread: ``max(0, ΔMIG deficit)/σ_MIG + max(0, Δvalid deficit)/σ_valid`` (0: not below it on either)."""
    sd_mig = statistics.stdev(ref["mig"]) or 1e-9
    sd_valid = statistics.stdev(ref["valid"]) or 1e-9
    return max(0.0, -stats["d_mig"]) / sd_mig + max(0.0, -stats["d_valid"]) / sd_valid


def pick(rows: list[dict[str, Any]], settings: dict[str, Any], count: int,
         max_perturbed: float = 1.0) -> list[str]:
    """The ``count`` cheap settings (at most ``max_perturbed`` perturbed samples per latent per step, a quarter
    of the every-step penalty's) that the screen puts closest to the every-step result: smallest
    :func:`shortfall`, then fewest perturbed samples, then the higher MIG."""
    cheap = [name for name, cfg in settings.items()
             if name not in (PLAIN, EVERY_STEP) and perturbed_per_step(cfg) <= max_perturbed
             and seeds_of(rows, name)]
    scored = []
    for name in cheap:
        stats = against_every_step(rows, name)
        ref = {"mig": values(rows, EVERY_STEP, "mig", stats["seeds"]),
               "valid": values(rows, EVERY_STEP, "valid", stats["seeds"])}
        scored.append((shortfall(stats, ref), perturbed_per_step(settings[name]), -statistics.mean(stats["mig"]), name))
    return [name for *_, name in sorted(scored)[:count]]


def verdict(stats: dict[str, Any], confirmed: bool) -> str:
    """Keeps / loses the every-step result (p < 0.05 on MIG or on the valid fraction), or screened only."""
    worse = [what for what, d, p in (("MIG", stats["d_mig"], stats["p_mig"]),
                                     ("quality", stats["d_valid"], stats["p_valid"])) if d < 0 and p < 0.05]
    if worse:
        return "loses " + " and ".join(worse)
    if not confirmed:
        return f"not worse on {len(stats['seeds'])} seeds (screen)"
    return "keeps it"
