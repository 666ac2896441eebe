"""The cost of each setting as a ratio to a plain iteration, measured in one process: every setting's
training state is built, then the settings run ``iterations`` iterations each in turn, ``rounds`` times
(round-robin, so drift in clock or load hits all alike); a setting's figure is its median round."""
from __future__ import annotations

import os
import statistics
import time
from typing import Any


def _fb_ms(G: Any, n: int, repeats: int) -> float:
    """Median ms of one G forward + backward on ``n`` latents."""
    import torch

    times = []
    for _ in range(repeats):
        z = torch.randn(n, G.latent_dim)
        start = time.perf_counter()
        G(z).sum().backward()
        times.append(time.perf_counter() - start)
    G.zero_grad(set_to_none=True)
    return 1e3 * statistics.median(times)


def measure(settings: dict[str, dict[str, Any] | None], iterations: int = 40, rounds: int = 15,
            warmup: int = 10, lr_g: float | None = None, perturbed: int = 4) -> dict[str, Any]:
    """``{"ms": {name: median ms per iteration over the rounds}, "per_round": {name: [ms, ...]}, "ratio":
    {name: ms / plain ms}, "fb_ms": ms of one G
    forward+backward on a batch, "fb_ms_perturbed": on ``perturbed`` batches at once (the every-step
    penalty's 2k), "load": the load average before and after}``; one torch thread.
    ``settings`` must hold ``"plain"`` (``None``)."""
    import torch

    from hjgan_plugin.testbed.training import BATCH, LR_G, iteration, setup

    torch.set_num_threads(1)
    load_before = os.getloadavg()
    states = {name: setup(cfg, seed=0, lr_g=lr_g or LR_G) for name, cfg in settings.items()}
    for state in states.values():
        for _ in range(warmup):
            iteration(state)
    per_round: dict[str, list[float]] = {name: [] for name in settings}
    for _ in range(rounds):
        for name, state in states.items():
            start = time.perf_counter()
            for _ in range(iterations):
                iteration(state)
            per_round[name].append(1e3 * (time.perf_counter() - start) / iterations)
    ms = {name: statistics.median(v) for name, v in per_round.items()}
    fb = _fb_ms(states["plain"].G, BATCH, repeats=5 * iterations)
    fb_perturbed = _fb_ms(states["plain"].G, perturbed * BATCH, repeats=5 * iterations)
    return {"ms": ms, "per_round": per_round, "ratio": {name: v / ms["plain"] for name, v in ms.items()}, "fb_ms": fb,
            "fb_ms_perturbed": fb_perturbed,
            "fb_ratio": fb / ms["plain"], "iterations": iterations, "rounds": rounds,
            "load": [*load_before, *os.getloadavg()]}
