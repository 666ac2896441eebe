"""The cheap-penalty settings the lazy-regularization benchmark compares with the every-step penalty.

Every setting is ``hjgan_plugin.attach`` keyword arguments (``None``: the plain GAN). On a lazy step the
penalty's weight is gain·λ, so for one interval N the gain and a re-tuned λ are the same knob: gain 1 at λ
is gain N at λ/N. The grid therefore spans the lazy step's weight as a multiple ``m`` of the every-step
λ: m = 1, √N, N, the three ``lazy_gain`` modes at the every-step λ, which are also gain N with λ re-tuned
to λ/N, λ/√N and λ (a three-point λ sweep per interval). Gain N at 2λ (m = 2N) is in the grid for a longer
run. Sub-batch and direction-count settings halve or keep the number of perturbed samples per step.
"""
from __future__ import annotations

import math
from typing import Any

from benchmarks.disentangle.suites import JOINT

INTERVALS = (2, 4, 8, 16)
GAINS = {"one": lambda n: 1.0, "sqrt": math.sqrt, "interval": float}
PLAIN, EVERY_STEP = "plain", "every step"


def lazy(interval: int, gain: str, lambda_scale: float = 1.0) -> dict[str, Any]:
    """The every-step joint penalty applied every ``interval`` G steps with ``gain``, λ times ``lambda_scale``."""
    return {**JOINT, "lambda_h": JOINT["lambda_h"] * lambda_scale, "lambda_j": JOINT["lambda_j"] * lambda_scale,
            "interval": interval, "lazy_gain": gain}


def lazy_name(interval: int, gain: str, lambda_scale: float = 1.0) -> str:
    label = {"one": "gain 1", "sqrt": "gain √N", "interval": "gain N"}[gain]
    return f"interval {interval}, {label}" + (f", λ×{lambda_scale:g}" if lambda_scale != 1 else "")


DEFAULT_SETTINGS = [*(f"interval {n}, {g}" for n in INTERVALS for g in ("gain 1", "gain √N", "gain N")),
                    "sub-batch 0.5", "sub-batch 0.25", "k 4, sub-batch 0.5"]
"""The settings a default run of the benchmark screens (about 75 minutes on 2 cores)."""


def settings() -> dict[str, dict[str, Any] | None]:
    """Every setting by name, in the order of the page."""
    out: dict[str, dict[str, Any] | None] = {PLAIN: None, EVERY_STEP: dict(JOINT)}
    for n in INTERVALS:
        for gain in GAINS:
            out[lazy_name(n, gain)] = lazy(n, gain)
        out[lazy_name(n, "interval", 2.0)] = lazy(n, "interval", 2.0)
    out["sub-batch 0.5"] = {**JOINT, "subbatch": 0.5}
    out["sub-batch 0.25"] = {**JOINT, "subbatch": 0.25}
    out["k 4, sub-batch 0.5"] = {**JOINT, "k": 4, "subbatch": 0.5}
    out["k 8, sub-batch 0.25"] = {**JOINT, "k": 8, "subbatch": 0.25}
    return out


def lazy_weight(cfg: dict[str, Any] | None) -> float:
    """The lazy step's weight as a multiple of the every-step λ (m in the module docstring); 0 for plain."""
    if cfg is None:
        return 0.0
    n = cfg.get("interval", 1)
    return GAINS[cfg.get("lazy_gain", "interval")](n) * cfg["lambda_h"] / JOINT["lambda_h"]


def perturbed_per_step(cfg: dict[str, Any] | None) -> float:
    """Perturbed generator samples per latent per G step, averaged over steps: 2k · sub-batch / interval
    (the joint estimator's 2k shared-direction passes)."""
    if cfg is None:
        return 0.0
    return 2 * cfg.get("k", 2) * cfg.get("subbatch", 1.0) / cfg.get("interval", 1)
