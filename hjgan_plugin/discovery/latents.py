"""Drawing a method's latents (docs/design.md §12): the user's ``sample_latents`` or the standard normal,
in chunks of at most ``batch_size``."""
from __future__ import annotations

from collections.abc import Callable, Iterator

import torch
from torch import Tensor

LatentSampler = Callable[[int, torch.Generator], Tensor]


def latent_sampler(sample_latents: LatentSampler | None, latent_dim: int) -> LatentSampler:
    """``sample_latents``, or ``(n, gen) -> N(0, I)`` of ``latent_dim`` when it is ``None``."""
    if sample_latents is not None:
        return sample_latents
    return lambda n, gen: torch.randn(n, latent_dim, generator=gen)


def latent_batches(sample_latents: LatentSampler | None, latent_dim: int, samples: int, batch_size: int,
                   gen: torch.Generator) -> Iterator[Tensor]:
    """``samples`` latents in chunks of at most ``batch_size``, each drawn from ``gen`` only when the
    previous one has been used (so a caller's own draws from ``gen`` in between keep their order)."""
    draw = latent_sampler(sample_latents, latent_dim)
    done = 0
    while done < samples:
        n = min(batch_size, samples - done)
        yield draw(n, gen)
        done += n


__all__ = ["LatentSampler", "latent_batches", "latent_sampler"]
