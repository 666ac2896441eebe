"""A frozen generator whose factor directions are known: the check for direction discovery
(docs/design.md §12).

``Bumps(d, seed)``: the latent z (N, d) is read along the rows of a fixed random orthonormal R (the true
directions, ``G.R``); factor i = tanh(r_i · z) moves one bump along the i-th horizontal band of a
(1, 4d, 16) image in [-1, 1]. Each factor changes its own pixels only, so G's Hessian and Jacobian with
respect to coefficients along R are diagonal and block-orthogonal: the answer a penalty method should
find, rotated away from the latent axes. Random orthonormal bases match R with a mean |cos| of about
0.8 at d = 4.

    hjgan discover --generator hjgan_plugin.testbed.bumps:make --latent-dim 4 --num-directions 4 --out DIR
"""
from __future__ import annotations

import torch
from torch import Tensor, nn


class Bumps(nn.Module):
    """The known-factor generator; ``factors(z)`` gives the true factor values."""

    def __init__(self, d: int = 4, seed: int = 5):
        super().__init__()
        q, _ = torch.linalg.qr(torch.randn(d, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64))
        self.register_buffer("R", q.T.contiguous().float())
        self.fc = nn.Linear(d, 8)  # a layer the latent never reaches (what SeFa on the wrong layer sees)
        self.d = d

    def factors(self, z: Tensor) -> Tensor:
        """The true factors (N, d): tanh of z along R's rows."""
        return torch.tanh(z @ self.R.T)

    def forward(self, z: Tensor) -> Tensor:
        pos = self.factors(z) * 2.5
        xs = torch.linspace(-3, 3, 16, device=z.device)
        bands = torch.exp(-(xs.view(1, 1, 16) - pos.unsqueeze(2)) ** 2 / 0.5)  # (N, d, 16)
        return bands.repeat_interleave(4, dim=1).unsqueeze(1) * 2 - 1  # (N, 1, 4d, 16)


def make() -> Bumps:
    """``hjgan discover --generator hjgan_plugin.testbed.bumps:make``: the d = 4 instance."""
    return Bumps()


__all__ = ["Bumps", "make"]
