"""Rademacher directions shared by every estimator (docs/design.md §1)."""
from __future__ import annotations

import warnings

import torch
from torch import Tensor

from .errors import StepSizeWarning
from .options import check_value


def rademacher(shape: torch.Size | tuple[int, ...], device: torch.device | str = "cpu",
               dtype: torch.dtype = torch.float32, generator: torch.Generator | None = None) -> Tensor:
    """A tensor of independent ±1 entries, P(+1) = P(-1) = 1/2.

    Drawn exactly as the reference implementations draw it (``random_(0, 2)``, then 0 -> -1), so
    with the same RNG state our estimators see the same directions as ``hessian_penalty_pytorch``
    and ``orojar_pytorch``.
    """
    x = torch.empty(shape, device=device, dtype=dtype)
    x.random_(0, 2, generator=generator)
    return x.mul_(2).sub_(1)  # 0 -> -1, 1 -> 1 as the references' x[x == 0] = -1, without a host sync


def check_latent(z: Tensor) -> None:
    """z must be a floating tensor with a batch dimension: shape (N, ...)."""
    if not isinstance(z, Tensor):
        raise TypeError(f"z must be a torch.Tensor of shape (N, ...), got {type(z).__name__}")
    if z.dim() < 2:
        raise ValueError(
            f"z must have a batch dimension, shape (N, d) or (N, ...); got shape {tuple(z.shape)}. "
            "For a single latent use z.unsqueeze(0); for one scalar latent per sample use z.unsqueeze(1)."
        )
    if not z.is_floating_point():
        raise TypeError(f"z must be a floating-point tensor, got dtype {z.dtype}")
    if z.shape[0] == 0:
        raise ValueError(f"z is an empty batch (shape {tuple(z.shape)}): the penalty needs at least one sample. "
                         "Skip the call for an empty batch (e.g. the last batch of a drop_last=False loader).")


def check_hyperparameters(k: int, epsilon: float, z: Tensor | None = None) -> None:
    """``k`` an integer >= 2 and ``epsilon`` a finite number > 0; with ``z``, a :class:`StepSizeWarning` where
    the step is lost in z's dtype (z + εv rounds back to z, or ε⁴, the Hessian term's scale, underflows)."""
    check_value("k", k, int, ">= 2", why="the variance over directions needs at least two")
    check_value("epsilon", epsilon, float, "> 0", why="the finite-difference step")
    if z is None or not z.is_floating_point():
        return
    info = torch.finfo(z.dtype)
    scale = float(z.detach().abs().max()) if z.numel() else 0.0
    if epsilon ** 4 < info.tiny or epsilon < info.eps * scale:
        warnings.warn(f"epsilon={epsilon:g} is lost in z's {str(z.dtype).replace('torch.', '')}: "
                      + ("ε⁴ underflows" if epsilon ** 4 < info.tiny else
                         f"z + εv rounds back to z (|z| up to {scale:.3g}, resolution {info.eps * scale:.2g})")
                      + ", so the differences read 0 or rounding noise. Use epsilon near the references' 0.1.",
                      StepSizeWarning, stacklevel=3)


def make_directions(k: int, z: Tensor, directions: Tensor | None = None) -> Tensor:
    """Return the (k, *z.shape) ±1 directions: ``directions`` validated, or a fresh draw."""
    shape = torch.Size((k, *z.shape))
    if directions is None:
        return rademacher(shape, device=z.device, dtype=z.dtype)
    if not isinstance(directions, Tensor):
        raise TypeError(f"directions must be a torch.Tensor of shape {tuple(shape)}, got {type(directions).__name__}")
    if directions.shape != shape:
        raise ValueError(
            f"directions must have shape (k, *z.shape) = {tuple(shape)}, got {tuple(directions.shape)}; "
            "draw them with hjgan_plugin.rademacher((k, *z.shape))"
        )
    if not bool(((directions == 1) | (directions == -1)).all()):
        raise ValueError(
            "directions must contain only +1 and -1 (Rademacher); scale goes in epsilon, not in directions"
        )
    return directions.to(device=z.device, dtype=z.dtype)
