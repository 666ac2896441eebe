"""Closed-form directions of a frozen G (docs/design.md §12): SeFa, its weight-free variant, GANSpace.

* :func:`sefa` -- Shen & Zhou, "Closed-Form Factorization of Latent Semantics in GANs", CVPR 2021: the
  top eigenvectors of ``AᵀA`` for the first layer's weight A (out, d), each output unit's row normalized
  first (as genforce/sefa's ``factorize_weight``).
* :func:`jacobian_eigenvectors` -- the weight-free variant: the top eigenvectors of ``E_z[J(z)ᵀ J(z)]``,
  estimated from vector-Jacobian products with Gaussian output probes (``E_u[Jᵀu uᵀJ] = JᵀJ``). For a
  linear G = Mz it is SeFa on M, and OroJaR's optimum over orthonormal bases.
* :func:`ganspace` -- Härkönen et al., "GANSpace: Discovering Interpretable GAN Controls", NeurIPS 2020:
  PCA of a layer's activations over many samples; the latents are regressed on the principal coordinates
  (``z ≈ U x``, least squares, the paper's transfer to latent space), giving one latent direction per
  component. With ``layer="input"`` it is PCA of
  the latents themselves (StyleGAN's w space).
"""
from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from ..passes import listify
from .latents import LatentSampler, latent_batches
from .orthonormal import orthonormalize


def _top_eigenvectors(M: Tensor, K: int) -> tuple[Tensor, Tensor]:
    """The K eigenvectors (rows) of the symmetric ``M`` with the largest eigenvalues, and those values."""
    values, vectors = torch.linalg.eigh(M.double())
    order = torch.argsort(values, descending=True)[:K]
    return vectors[:, order].T.float(), values[order].float()


def first_layer_weight(module: nn.Module, latent_dim: int) -> Tensor:
    """The weight of ``module`` as (out, latent_dim): a ``Linear`` as it is, a ``ConvTranspose2d`` (DCGAN's
    first layer, weight (d, C, kh, kw)) with each output channel and position as one row."""
    if isinstance(module, nn.Linear):
        W = module.weight
    elif isinstance(module, nn.ConvTranspose2d):
        W = module.weight.reshape(module.weight.shape[0], -1).T
    else:
        raise TypeError(f"sefa reads the weight of a Linear or ConvTranspose2d layer, got {type(module).__name__}; "
                        "name G's first latent-to-feature layer, or use layer=None for the weight-free variant")
    if W.shape[1] != latent_dim:
        raise ValueError(f"sefa: the layer's weight takes {W.shape[1]} inputs, the latent has {latent_dim}: "
                         "name the layer that reads the latent")
    return W.detach()


def sefa(weight: Tensor, num_directions: int) -> tuple[Tensor, Tensor]:
    """SeFa on ``weight`` (out, d): rows normalized, top eigenvectors of ``AᵀA`` (K, d) and their eigenvalues."""
    A = weight.double()
    A = A / A.norm(dim=1, keepdim=True).clamp_min(1e-12)
    return _top_eigenvectors(A.T @ A, num_directions)


def jacobian_eigenvectors(G: Callable, latent_dim: int, num_directions: int, *, samples: int = 256,
                          probes: int = 4, batch_size: int = 32, seed: int = 0,
                          sample_latents: LatentSampler | None = None,
                          G_args: tuple = ()) -> tuple[Tensor, Tensor]:
    """Top eigenvectors of ``E_z[JᵀJ]`` (J: G's Jacobian at z, all outputs flattened) and their eigenvalues,
    from ``samples × probes`` vector-Jacobian products (one backward pass per probe and batch)."""
    gen = torch.Generator().manual_seed(seed)
    M = torch.zeros(latent_dim, latent_dim, dtype=torch.float64)
    for z in latent_batches(sample_latents, latent_dim, samples, batch_size, gen):
        z.requires_grad_(True)
        outs = [o.reshape(len(z), -1) for o in listify(G(z, *G_args))]
        for p in range(probes):
            us = [torch.randn(o.shape, generator=gen).to(o) for o in outs]
            dot = sum((o * u).sum() for o, u in zip(outs, us))
            (g,) = torch.autograd.grad(dot, [z], retain_graph=p < probes - 1)
            M += g.double().T @ g.double()  # per-sample gradients uᵀJ: G is per-sample (no batch coupling)
    return _top_eigenvectors(M / (samples * probes), num_directions)


def activations(G: Callable, layer_call: Callable, latent_dim: int, samples: int, batch_size: int, seed: int,
                sample_latents: LatentSampler | None, G_args: tuple
                ) -> tuple[Tensor, Tensor]:
    """``samples`` latents and the flattened activations ``layer_call`` returns for them (no gradients)."""
    gen = torch.Generator().manual_seed(seed)
    zs, acts = [], []
    with torch.no_grad():
        for z in latent_batches(sample_latents, latent_dim, samples, batch_size, gen):
            zs.append(z)
            acts.append(torch.cat([a.reshape(len(z), -1) for a in listify(layer_call(z, *G_args))], dim=1))
    return torch.cat(zs), torch.cat(acts)


def ganspace(z: Tensor, acts: Tensor | None, num_directions: int) -> tuple[Tensor, Tensor]:
    """GANSpace from ``samples`` latents ``z`` (N, d) and their activations (N, P) (``None``: PCA of z):
    PCA of the activations, then ``U = argmin Σ ||U x_j - z_j||²`` over the principal coordinates x_j: U's
    columns are the latent directions. Returns orthonormalized directions (K, d), in the components' order, and the components'
    explained-variance fractions."""
    data = z if acts is None else acts
    centered = data.double() - data.double().mean(0)
    _, S, Vh = torch.linalg.svd(centered, full_matrices=False)
    if num_directions > Vh.shape[0]:
        raise ValueError(f"ganspace: {num_directions} components asked, the activations have rank <= {Vh.shape[0]} "
                         "(use more samples or fewer directions)")
    explained = (S ** 2 / (S ** 2).sum())[:num_directions].float()
    if acts is None:
        return Vh[:num_directions].float(), explained
    coords = centered @ Vh[:num_directions].T  # (N, K) principal coordinates
    zc = z.double() - z.double().mean(0)
    U = torch.linalg.lstsq(coords, zc).solution  # zc ≈ coords U: row k of U is component k's latent direction
    return orthonormalize(U.float()), explained


__all__ = ["activations", "first_layer_weight", "ganspace", "jacobian_eigenvectors", "sefa"]
