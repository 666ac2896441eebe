"""Generator and discriminator of the testbed of docs/design.md §8 (small enough for 2 CPU cores).

G: MLP 3 → 128 → 256 → 256 → 256 with a sigmoid, reshaped to ``(1, 16, 16)``; ``z ~ N(0, I₃)``.
D: two stride-2 convolutions (16 → 8 → 4) and a linear head giving one logit per image.
The hidden activation (LeakyReLU 0.2) and D's widths are [ours]; docs/design.md §8 fixes only the sizes above.
"""
from __future__ import annotations

import torch
from torch import nn

from .squares import SIZE

LATENT_DIM = 3
"""Dimension of the testbed's latent ``z``."""


class Generator(nn.Module):
    """MLP generator ``z (n, 3) -> images (n, 1, 16, 16)`` in (0, 1)."""

    def __init__(self, latent_dim: int = LATENT_DIM, hidden: tuple[int, ...] = (128, 256, 256),
                 size: int = SIZE, negative_slope: float = 0.2) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.size = size
        layers: list[nn.Module] = []
        width = latent_dim
        for h in hidden:
            layers += [nn.Linear(width, h), nn.LeakyReLU(negative_slope)]
            width = h
        layers += [nn.Linear(width, size * size), nn.Sigmoid()]
        self.net = nn.Sequential(*layers)

    def sample_z(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw ``n`` latents from ``N(0, I)`` on the generator's device."""
        device = next(self.parameters()).device
        return torch.randn(n, self.latent_dim, generator=generator).to(device)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(-1, 1, self.size, self.size)


class Discriminator(nn.Module):
    """Two-layer conv discriminator ``images (n, 1, 16, 16) -> logits (n,)``."""

    def __init__(self, channels: tuple[int, int] = (32, 64), size: int = SIZE,
                 negative_slope: float = 0.2) -> None:
        super().__init__()
        c1, c2 = channels
        self.features = nn.Sequential(
            nn.Conv2d(1, c1, 4, stride=2, padding=1), nn.LeakyReLU(negative_slope),
            nn.Conv2d(c1, c2, 4, stride=2, padding=1), nn.LeakyReLU(negative_slope),
        )
        self.head = nn.Linear(c2 * (size // 4) ** 2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).flatten(1)).squeeze(1)
