"""The runs of the direction-discovery benchmark: every method on a G with known directions, and on the
squares testbed's G trained without any penalty (discovery as the only disentangling step)."""
from __future__ import annotations

import time
from typing import Any

import torch

from hjgan_plugin.discovery import discover_directions, matched_cosines, random_directions
from hjgan_plugin.metrics.disentanglement import mig

#: label -> (method, options); "random" and "axes" are the references (no discovery).
METHODS: dict[str, tuple[str, dict[str, Any]]] = {
    "hessian": ("hessian", {"sampling": "path"}),
    "jacobian": ("jacobian", {"sampling": "zero"}),
    "joint": ("joint", {"sampling": "path"}),
    "sefa (E[JᵀJ])": ("sefa", {}),
    "ganspace": ("ganspace", {"samples": 2000}),
}


def find(G: Any, latent_dim: int, K: int, label: str, steps: int, seed: int) -> tuple[torch.Tensor, float, list]:
    """The directions of ``label`` for ``G`` (or the references), the wall time and the loss history."""
    start = time.perf_counter()
    if label == "random":
        return random_directions(K, latent_dim, seed=1000 + seed), 0.0, []
    if label == "axes":
        return torch.eye(latent_dim)[:K], 0.0, []
    method, options = METHODS[label]
    found = discover_directions(G, latent_dim, K, method, steps=steps, seed=seed, **options)
    return found.directions, time.perf_counter() - start, found.history


def coefficient_mig(Q: torch.Tensor, z: torch.Tensor, factors: torch.Tensor) -> float:
    """MIG of the coefficients ``z Qᵀ`` against the factors (20 bins, as the testbeds use)."""
    return float(mig((z @ Q.T).numpy(), factors.numpy(), bins=20))


def known_factors(seeds: list[int], steps: int, d: int = 4, samples: int = 5000) -> list[dict[str, Any]]:
    """Every method on ``Bumps(d, seed)``: matched |cos| to its true directions, MIG, wall time."""
    from hjgan_plugin.testbed.bumps import Bumps

    rows = []
    for seed in seeds:
        G = Bumps(d=d, seed=seed)
        z = torch.randn(samples, d, generator=torch.Generator().manual_seed(99 + seed))
        for label in ["random", *METHODS]:
            Q, seconds, history = find(G, d, d, label, steps, seed)
            cos = matched_cosines(Q, G.R)
            rows.append({"suite": "known", "seed": seed, "method": label, "cos_mean": float(cos.mean()),
                         "cos_min": float(cos.min()), "mig": coefficient_mig(Q, z, G.factors(z)),
                         "seconds": seconds, "final_loss": history[-1] if history else None})
    return rows


def trained_squares(seeds: list[int], steps: int, iters: int, samples: int = 10_000) -> tuple[list, dict]:
    """Train the squares testbed's baseline G per seed (no penalty), then run every method on it: MIG of the
    coefficients against the factors read from the images, wall time; the traversal images of seed 0."""
    from hjgan_plugin.discovery.traversal import traverse
    from hjgan_plugin.testbed import factors_from_images, valid_fraction
    from hjgan_plugin.testbed.training import train

    rows, pictures = [], {}
    for seed in seeds:
        run = train(None, iters=iters, seed=seed, log=lambda _: None)
        G = run["G"].eval()
        d = G.latent_dim
        z = torch.randn(samples, d, generator=torch.Generator().manual_seed(12345))
        with torch.no_grad():
            images = G(z)
        factors, valid = factors_from_images(images), valid_fraction(images)
        for label in ["axes", "random", *METHODS]:
            Q, seconds, _ = find(G, d, d, label, steps, seed)
            rows.append({"suite": "trained", "seed": seed, "method": label, "mig": coefficient_mig(Q, z, factors),
                         "valid": valid, "seconds": seconds, "train_seconds": run["seconds"]})
            if seed == seeds[0]:
                pictures[label] = traverse(G, Q, torch.zeros(1, d), steps=9, span=2.0)[0].squeeze(2).tolist()
    return rows, pictures
