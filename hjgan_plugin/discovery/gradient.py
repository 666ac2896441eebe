"""Classifier-guided directions (docs/design.md §12), a reconstruction from the abstract of Chen et al.,
"Exploring Gradient-based Multi-directional Controls in GANs", ECCV 2022; where the abstract is silent,
the choices below are ours [ours].

For each attribute a, a user-supplied score ``f_a(image) -> (N,)``: its gradient with respect to z,
``g_a(z) = ∇_z f_a(G(z))``, normalized per sample and averaged over samples, is the attribute's direction.
The paper moves only the latent channels that matter most for the target attribute and least for the
others; we score channel c by ``I_a[c] / Σ I_a - max_{b≠a} I_b[c] / Σ I_b`` with ``I_a[c] = E|g_a[c]|`` and
keep the ``channels`` fraction with the highest scores [ours]. Rows are then orthonormalized in the
attributes' order.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor

from .latents import LatentSampler, latent_batches
from .orthonormal import orthonormalize


def attribute_gradients(G: Callable, attributes: Sequence[Callable[[Tensor], Tensor]], z: Tensor,
                        G_args: tuple = ()) -> Tensor:
    """Per-sample gradients ``∇_z f_a(G(z))`` for every attribute: (A, N, d)."""
    z = z.detach().requires_grad_(True)
    image = G(z, *G_args)
    grads = []
    for i, f in enumerate(attributes):
        score = f(image)
        if not isinstance(score, Tensor) or score.shape != (len(z),):
            raise ValueError(f"attribute {i} must return one score per image, shape ({len(z)},), "
                             f"got {getattr(score, 'shape', type(score).__name__)}")
        (g,) = torch.autograd.grad(score.sum(), [z], retain_graph=i < len(attributes) - 1, allow_unused=True)
        if g is None:
            raise ValueError(f"attribute {i}'s score does not depend on G's output (no gradient reaches z)")
        grads.append(g)
    return torch.stack(grads)


def channel_masks(importance: Tensor, channels: float) -> Tensor:
    """0/1 masks (A, d): per attribute, the ``channels`` fraction of latent channels that matter most for it
    and least for the others (the score in the module docstring)."""
    if not 0 < channels <= 1:
        raise ValueError(f"channels must be a fraction in (0, 1], got {channels}")
    share = importance / importance.sum(dim=1, keepdim=True).clamp_min(1e-30)
    A, d = share.shape
    keep = max(1, round(channels * d))
    masks = torch.zeros(A, d)
    for a in range(A):
        others = torch.cat([share[:a], share[a + 1:]])
        score = share[a] - (others.max(dim=0).values if len(others) else 0)
        masks[a, torch.argsort(score, descending=True)[:keep]] = 1
    return masks


def gradient_directions(G: Callable, latent_dim: int, attributes: Sequence[Callable[[Tensor], Tensor]], *,
                        samples: int = 256, batch_size: int = 32, channels: float = 0.5, seed: int = 0,
                        sample_latents: LatentSampler | None = None,
                        G_args: tuple = ()) -> tuple[Tensor, Tensor]:
    """One direction per attribute (A, d), orthonormal rows, and the channel masks used."""
    if not attributes:
        raise ValueError("method 'gradient' needs attributes: a list of functions image -> (N,) scores")
    gen = torch.Generator().manual_seed(seed)
    mean_dir = torch.zeros(len(attributes), latent_dim)
    importance = torch.zeros(len(attributes), latent_dim)
    for z in latent_batches(sample_latents, latent_dim, samples, batch_size, gen):
        g = attribute_gradients(G, attributes, z, G_args).detach()
        unit = g / g.norm(dim=2, keepdim=True).clamp_min(1e-12)
        mean_dir += unit.sum(dim=1)
        importance += unit.abs().sum(dim=1)
    masks = channel_masks(importance / samples, channels)
    return orthonormalize(mean_dir / samples * masks), masks


__all__ = ["attribute_gradients", "channel_masks", "gradient_directions"]
