"""Disentanglement and quality of a generator trained on a known-factor set, read with a :class:`FactorReadout`.

:func:`known_factor_scores` draws ``n`` latents, generates their images, reads their factors back and
returns, side by side:

* ``mig`` (20 bins) and DCI (``dci_d``, ``dci_c``, ``dci_i``; Lasso by default, fast and deterministic)
  of the latents against the factors read from the images: disentanglement;
* ``vp``: Variation Predictability, which needs no factors (``vp_pairs`` pairs, 10% to train, one run);
* ``fd``: the Fréchet distance between the read-out's features of the generated images and of real
  rendered ones, and ``valid``: the fraction of generated images that the read-out's validity gate
  passes (re-rendering their factors reproduces them as well as it does true images): quality.

``G`` maps ``(m, d)`` latents to images in ``[0, 1]`` (map a tanh output with ``(x + 1) / 2`` first).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch

from .dci import dci
from .disentanglement import mig
from .factor_readout import FactorReadout
from .quality import fid_from_features
from .vp import vp_score


@torch.no_grad()
def generate(G: Callable[[torch.Tensor], torch.Tensor], z: torch.Tensor, batch_size: int = 64) -> torch.Tensor:
    """``G`` over ``z`` in batches, on the CPU."""
    return torch.cat([G(z[i:i + batch_size]).float().cpu() for i in range(0, len(z), batch_size)])


def known_factor_scores(G: Callable[[torch.Tensor], torch.Tensor], latent_dim: int, readout: FactorReadout,
                        real: torch.Tensor, n: int = 5000, vp_pairs: int = 4000, seed: int = 0,
                        latents: Callable[[int, torch.Generator], torch.Tensor] | None = None,
                        dci_regressor: str = "lasso",
                        coordinates: Callable[[torch.Tensor], torch.Tensor] | None = None) -> dict[str, Any]:
    """The scores of the module docstring for ``G``; ``latents(n, generator)`` draws the inputs (default
    standard normal of ``latent_dim``); ``real`` are rendered images for the FD. ``vp_pairs=0`` skips VP.
    ``coordinates(z)``: what MIG and DCI read of each latent instead of ``z`` itself, e.g. its coordinates
    along G's top Jacobian directions where ``z`` is wide (StyleGAN's 512); VP still moves ``z``'s own
    coordinates, so pass ``vp_pairs=0`` with it unless that is meant."""
    gen = torch.Generator().manual_seed(seed)
    z = latents(n, gen) if latents is not None else torch.randn(n, latent_dim, generator=gen)
    images = generate(G, z)
    if not torch.isfinite(images).all():
        nan = float("nan")
        return {"mig": nan, "dci_d": nan, "dci_c": nan, "dci_i": nan, "vp": nan, "fd": nan, "valid": 0.0,
                "n": n, "nonfinite": True}
    images = images.clamp(0, 1)
    factors = readout.scores(images).numpy().astype(np.float64)
    latent = (coordinates(z) if coordinates is not None else z).reshape(n, -1).numpy().astype(np.float64)
    spread = factors.std(0) > 1e-6
    gap, per_factor = mig(latent, factors[:, spread], return_per_factor=True) if spread.any() else (0.0, [])
    out: dict[str, Any] = {"mig": float(gap), "mig_per_factor": {
        name: round(float(v), 4) for name, v in zip(np.array(readout.set.factor_names)[spread], per_factor)}}
    if spread.sum() >= 2 and latent.shape[1] >= 2:
        scores = dci(latent, factors[:, spread], regressor=dci_regressor, seed=seed)
        out.update(dci_d=float(scores["disentanglement"]), dci_c=float(scores["completeness"]),
                   dci_i=float(scores["informativeness"]))
    else:  # every generated image reads as the same factors: nothing to disentangle
        out.update(dci_d=0.0, dci_c=0.0, dci_i=0.0)
    out["fd"] = fid_from_features(readout.features(real).numpy(), readout.features(images).numpy())
    out["valid"] = float(readout.validity(images).double().mean())
    if vp_pairs:
        out["vp"] = vp_score(lambda x: G(x).clamp(0, 1), latent_dim, n_pairs=vp_pairs, train_fraction=0.1,
                             runs=1, seed=seed, epochs=10)
    out["n"] = n
    return out
