"""The runs of the direction-discovery benchmark: every method on a G with known directions, and on the
squares testbed's G trained without any penalty (discovery as the only disentangling step)."""
from __future__ import annotations

import time
from typing import Any

import torch

from hjgan_plugin.discovery import discover_directions, matched_cosines, random_directions
from hjgan_plugin.metrics.disentanglement import mig

from ..common.results import image_list

#: label -> (method, options); "random" and "axes" are the references (no discovery).
METHODS: dict[str, tuple[str, dict[str, Any]]] = {
    "hessian": ("hessian", {"sampling": "path"}),
    "jacobian": ("jacobian", {"sampling": "zero"}),
    "joint": ("joint", {"sampling": "path"}),
    "sefa (E[JᵀJ])": ("sefa", {}),
    "ganspace": ("ganspace", {"samples": 2000}),
}


def find(G: Any, latent_dim: int, K: int, label: str, steps: int, seed: int,
         **kw: Any) -> tuple[torch.Tensor, float, list]:
    """The directions of ``label`` for ``G`` (or the references), the wall time and the loss history;
    ``kw`` goes to :func:`discover_directions` (e.g. ``sample_latents``)."""
    start = time.perf_counter()
    if label == "random":
        return random_directions(K, latent_dim, seed=1000 + seed), 0.0, []
    if label == "axes":
        return torch.eye(latent_dim)[:K], 0.0, []
    method, options = METHODS[label]
    found = discover_directions(G, latent_dim, K, method, steps=steps, seed=seed, **options, **kw)
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
                pictures[label] = image_list(traverse(G, Q, torch.zeros(1, d), steps=9, span=2.0)[0].squeeze(2))
    return rows, pictures


def stylegan2_ada(pkl: str, steps: int, K: int = 3, samples: int = 4000, seed: int = 0) -> tuple[list, dict]:
    """Every method on a StyleGAN2-ADA pickle trained on the squares (``testbed.squares.write_pngs`` through
    upstream's ``dataset_tool.py``), in z and w space, through the integration's loader (the checkout from
    ``HJGAN_STYLEGAN2_ADA_DIR``): MIG of the coefficients against the factors read from its images (grey,
    16x16), wall time, and the traversals of each space."""
    import torch.nn.functional as F
    from hjgan_stylegan2_ada.loading import load

    from hjgan_plugin.discovery.traversal import traverse
    from hjgan_plugin.testbed import SIZE, factors_from_images

    def grey(images: torch.Tensor) -> torch.Tensor:
        x = ((images.mean(1, keepdim=True) + 1) / 2).clamp(0, 1)
        return x if x.shape[-1] == SIZE else F.interpolate(x, size=(SIZE, SIZE), mode="area")

    rows, pictures = [], {}
    for space in ("z", "w"):
        loaded = load(pkl, space=space)
        gen = torch.Generator().manual_seed(12345)
        z = loaded.sample_latents(samples, gen) if loaded.sample_latents else torch.randn(samples, loaded.latent_dim,
                                                                                           generator=gen)
        with torch.no_grad():
            factors = factors_from_images(torch.cat([grey(loaded.G(c)) for c in z.split(256)]))
        centre = z.mean(0, keepdim=True)
        for label in ["random", *METHODS]:
            Q, seconds, _ = find(loaded.G, loaded.latent_dim, K, label, steps, seed, sample_latents=loaded.sample_latents)
            rows.append({"suite": f"stylegan2-ada {space}", "seed": seed, "method": label, "seconds": seconds,
                         "mig": coefficient_mig(Q, z - centre, factors)})
            pictures[f"{space}: {label}"] = image_list(grey(traverse(loaded.G, Q, centre, steps=7, span=3.0)[0]
                                                            .flatten(0, 1)).view(K, 7, SIZE, SIZE))
    return rows, pictures
