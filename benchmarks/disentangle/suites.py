"""The disentanglement benchmark's suites of configs (``hjgan_plugin.attach`` options, ``None`` for the
baseline) and one run: train the squares testbed GAN, measure MIG, VP and the valid fraction."""
from __future__ import annotations

import math
import time
from typing import Any

from hjgan_plugin.testbed.training import DEFAULT_LAMBDA_H as LAMBDA_H  # the demo's base scales (docs/demo_sweep.md)
from hjgan_plugin.testbed.training import DEFAULT_LAMBDA_J as LAMBDA_J

JOINT = {"penalty": "joint", "lambda_h": LAMBDA_H, "lambda_j": LAMBDA_J}
SUITES: dict[str, dict[str, dict[str, Any] | None]] = {
    # each term alone (at its weight inside the joint) vs the joint penalty
    "terms": {
        "baseline": None,
        "hessian": {"penalty": "hessian", "lambda_h": LAMBDA_H},
        "jacobian": {"penalty": "jacobian", "lambda_j": LAMBDA_J},
        "joint": JOINT,
    },
    # amortized cost of lazy regularization (gain N) and of a sub-batch
    "lazy": {
        "baseline": None,
        "joint": JOINT,
        "interval 2": {**JOINT, "interval": 2},
        "interval 4": {**JOINT, "interval": 4},
        "interval 8": {**JOINT, "interval": 8},
        "subbatch 0.5": {**JOINT, "subbatch": 0.5},
    },
}
# the λ sweep: every penalty config at these multiples of its base λ (in "terms"), so that "joint vs each
# term" is compared at each config's best weight, not at one shared weight
LAMBDA_SCALES = (0.25, 0.5, 1.0, 2.0)
TERMS = ("hessian", "jacobian", "joint")


def scaled(term: str, scale: float) -> dict[str, Any]:
    """``SUITES["terms"][term]`` with every base λ multiplied by ``scale``."""
    cfg = dict(SUITES["terms"][term])
    for key in ("lambda_h", "lambda_j"):
        if key in cfg:
            cfg[key] *= scale
    return cfg


def sweep_name(term: str, scale: float) -> str:
    return f"{term} x{scale:g}"


SUITES["lambda"] = {"baseline": None,
                    **{sweep_name(t, s): scaled(t, s) for t in TERMS for s in LAMBDA_SCALES}}
# the references' recipe on the testbed: the penalty on G's intermediate activations instead of its image.
# The testbed G has no normalization layer; its last two hidden activations (LeakyReLU after each Linear) are
# the nearest thing to "after normalization". Their unweighted terms on a trained plain G are about 5e3
# (Hessian) and 2e7 (Jacobian), against 1e3 and 2e4 at the output, hence λ_J = λ_H · 1e-3 here.
HIDDEN = "net.3,net.5"


def hidden(lambda_h: float, layers: str = HIDDEN, penalty: str = "joint") -> dict[str, Any]:
    return {"penalty": penalty, "layers": layers, "lambda_h": lambda_h, "lambda_j": lambda_h * 1e-3}


SUITES["layers"] = {"baseline": None, "joint": JOINT,
                    "hidden 1e-5": hidden(1e-5), "hidden 1e-4": hidden(1e-4), "hidden 1e-3": hidden(1e-3),
                    "hidden+out 1e-5": hidden(1e-5, HIDDEN + ",output"),
                    "hidden H 1e-4": {"penalty": "hessian", "layers": HIDDEN, "lambda_h": 1e-4}}
OUTPUT_NAME = {"terms": "disentanglement", "lazy": "lazy_cost", "lambda": "lambda_sweep", "layers": "layer_sweep"}
CONFIGS: dict[str, dict[str, Any] | None] = {name: cfg for suite in SUITES.values() for name, cfg in suite.items()}
VALID_GATE = 0.3  # docs/design.md §8: a MIG gain with valid fraction < 0.3 is degenerate


def run_one(job: tuple[str, int, int, int]) -> dict[str, Any]:
    """Train one config with one seed and measure it (runs in a worker process)."""
    name, seed, iters, vp_pairs = job
    import torch

    torch.set_num_threads(1)
    from hjgan_plugin.metrics import vp_score
    from hjgan_plugin.testbed.training import evaluate, train, traversal

    result = train(CONFIGS[name], iters=iters, seed=seed, log=lambda _line: None, name=name)
    G = result["G"].eval()
    metrics = evaluate(G)
    start = time.perf_counter()
    vp, vp_runs = (vp_score(G, G.latent_dim, n_pairs=vp_pairs, runs=3, seed=seed, return_runs=True)
                   if vp_pairs else (math.nan, []))
    return {"config": name, "seed": seed, "mig": float(metrics["mig"]), "valid": float(metrics["valid"]),
            "vp": float(vp), "vp_runs": [float(v) for v in vp_runs], "train_seconds": result["seconds"],
            "ms_per_iteration": 1e3 * result["seconds"] / iters,
            "vp_seconds": time.perf_counter() - start, "traversal": traversal(G).tolist()}
