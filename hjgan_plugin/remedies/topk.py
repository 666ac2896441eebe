"""Top-k generator updates (Sinha, Zhao, Goyal, Raffel, Odena, "Top-k Training of GANs: Improving GAN
Performance by Throwing Away Bad Samples", NeurIPS 2020).

Of a batch of B fakes only the k that D finds most real update G: the generator loss is the mean of the k
smallest per-sample losses. k starts at B and decays, ``k ← max(γ·k, ν·B)`` once per epoch in the paper; here
once per ``period`` generator steps (a plugin does not see epochs).
"""
from __future__ import annotations

import math

from torch import Tensor


def topk_fraction(step: int, nu: float, gamma: float, period: int) -> float:
    """``k / B`` at generator step ``step`` (0-based): ``max(ν, γ^⌊step / period⌋)`` (Sinha et al., Alg. 1)."""
    if not 0 < nu <= 1:
        raise ValueError(f"top-k: ν (the smallest fraction of the batch kept) must be in (0, 1], got {nu}")
    if not 0 < gamma <= 1:
        raise ValueError(f"top-k: γ (the decay per period) must be in (0, 1], got {gamma}")
    if period < 1:
        raise ValueError(f"top-k: the decay period must be at least one generator step, got {period}")
    return max(nu, gamma ** (step // period))


def topk_count(n: int, fraction: float) -> int:
    """``k`` for a batch of ``n``: ``⌈fraction·n⌉``, at least 1."""
    return max(1, min(n, math.ceil(fraction * n - 1e-9)))


def topk_mean(losses: Tensor, k: int) -> Tensor:
    """Mean of the ``k`` smallest per-sample generator losses: the fakes D scores as most real."""
    if losses.dim() != 1:
        raise ValueError(f"top-k needs one generator loss per sample, shape (N,), got {tuple(losses.shape)}")
    return losses.topk(k, largest=False).values.mean()
