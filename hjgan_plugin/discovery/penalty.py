"""Directions learned by penalizing a frozen G with respect to their coefficients (docs/design.md §12).

The procedure of the Hessian Penalty and OroJaR repositories' ``biggan_discovery`` (Peebles et al.,
ECCV 2020; Wei et al., ICCV 2021), for any G: a (K, d) matrix A is the only trainable tensor; every step
its rows are orthonormalized (Q), a sample is ``G(z + wᵀQ)`` and the penalty is taken with respect to the
coefficients ``w`` (not z) with the project's estimators (Eq. 6-7 Hessian, Eq. 9-10 Jacobian, Eq. 15 joint,
sharing one set of passes). The base latent z goes in as a batch-aligned input of the shifted function,
so the batched passes stay exact.

``sampling="path"`` is the Hessian Penalty's: each sample moves along one random direction by a distance
``t ~ U[-path_size, path_size]``; ``"zero"`` is OroJaR's evaluation at ``w = 0``.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from ..directions import rademacher
from ..estimators import hessian_penalty, jacobian_penalty, joint_penalty
from ..layers import capture, find_module
from .latents import LatentSampler, latent_sampler
from .orthonormal import embed, orthonormalize

PENALTIES = ("hessian", "jacobian", "joint")
SAMPLINGS = ("path", "zero")


class ShiftedGenerator(nn.Module):
    """``(w, z, *args) -> G(z + w Q, *args)``: one module for every step (Q is swapped in place), so the
    determinism probe runs once and G's BatchNorm/dropout modules are seen as its own."""

    def __init__(self, G: Callable, Q: Tensor):
        super().__init__()
        self.G = G  # registered as a submodule when it is one
        self.Q = Q

    def forward(self, w: Tensor, z: Tensor, *args: Any, **kwargs: Any) -> Any:
        return self.G(z + w @ self.Q, *args, **kwargs)


def coefficients(sampling: str, n: int, K: int, path_size: float, gen: torch.Generator) -> Tensor:
    """The ``w`` the penalty is evaluated at: ``"path"``: one random coordinate per sample set to
    ``t ~ U[-path_size, path_size]``; ``"zero"``: zeros."""
    if sampling == "zero":
        return torch.zeros(n, K)
    which = torch.randint(0, K, (n,), generator=gen)
    distance = torch.rand(n, 1, generator=gen) * (2 * path_size) - path_size
    return torch.eye(K)[which] * distance


def penalty_value(f: Callable, w: Tensor, z: Tensor, args: tuple, penalty: str, *, k: int, epsilon: float,
                  alpha: float, beta: float, directions: Tensor | None = None) -> Tensor:
    """The discovery loss: the penalty of ``f`` with respect to ``w`` at base latents ``z`` (mean reduction,
    as the discovery code uses). ``alpha``/``beta`` weight the joint penalty's terms (Eq. 15); ``directions``
    (k, *w.shape) are the Rademacher probes (default: drawn from the global RNG, as the estimators do)."""
    kw = {"k": k, "epsilon": epsilon, "reduction": torch.mean, "directions": directions, "G_args": (z, *args)}
    if penalty == "hessian":  # Eq. 6-7
        return hessian_penalty(f, w, **kw)
    if penalty == "jacobian":  # Eq. 9-10
        return jacobian_penalty(f, w, **kw)
    return joint_penalty(f, w, alpha, beta, **kw).total


def learn_directions(G: Callable, latent_dim: int, num_directions: int, *, penalty: str = "joint",
                     steps: int = 500, batch_size: int = 32, lr: float = 0.01, seed: int = 0,
                     sampling: str = "path", path_size: float = 3.0, subspace: Sequence[int] | None = None,
                     ortho: bool = True, layers: Sequence[str] | None = None, k: int = 2, epsilon: float = 0.1,
                     alpha: float = 0.05, beta: float = 5e-5, init: str = "random",
                     sample_latents: LatentSampler | None = None,
                     G_args: tuple = (), on_step: Callable[[int, float], None] | None = None
                     ) -> tuple[Tensor, list[float]]:
    """Learn ``num_directions`` rows for the frozen ``G``; returns ``(Q, history)``, Q (K, latent_dim).

    A starts as Kaiming-normal noise (``init="random"``, the discovery code's default) or the first K
    coordinate axes of the subspace (``"coords"``); Adam on A alone (G's parameters get no gradient and
    are not changed). Latents, coefficients and the Rademacher probes all come from one generator seeded
    with ``seed`` (the global RNG is neither read nor advanced). ``alpha``/``beta`` default to the training
    defaults (λ_H α, λ_J β with α = β = 0.5); they only matter for ``joint``. ``on_step(step, loss)`` is called after each step. A non-finite loss
    raises ``FloatingPointError`` naming the step and the value.
    """
    if penalty not in PENALTIES:
        raise ValueError(f"penalty must be one of {PENALTIES}, got {penalty!r}")
    if sampling not in SAMPLINGS:
        raise ValueError(f"sampling must be one of {SAMPLINGS}, got {sampling!r}")
    width = latent_dim if subspace is None else len(subspace)
    gen = torch.Generator().manual_seed(seed)
    if init == "random":
        A = torch.empty(num_directions, width)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            nn.init.kaiming_normal_(A)
    elif init == "coords":
        A = torch.eye(num_directions, width)
    else:
        raise ValueError(f"init must be 'random' or 'coords', got {init!r}")
    A.requires_grad_(True)
    opt = torch.optim.Adam([A], lr=lr)
    module = find_module(G)
    call = capture(module, list(layers), call=G) if layers else G
    f = ShiftedGenerator(call, torch.zeros(num_directions, latent_dim))
    draw = latent_sampler(sample_latents, latent_dim)
    history: list[float] = []
    for step in range(steps):
        f.Q = embed(orthonormalize(A) if ortho else A, subspace, latent_dim)
        z = draw(batch_size, gen)
        w = coefficients(sampling, batch_size, num_directions, path_size, gen).to(z)
        probes = rademacher((k, *w.shape), dtype=w.dtype, generator=gen).to(w.device)  # seeded, not global
        loss = penalty_value(f, w, z, G_args, penalty, k=k, epsilon=epsilon, alpha=alpha, beta=beta,
                             directions=probes)
        value = float(loss.detach())
        if not torch.isfinite(loss.detach()):
            raise FloatingPointError(f"direction discovery stopped at step {step}: the {penalty} loss is {value}")
        (grad,) = torch.autograd.grad(loss, [A])
        opt.zero_grad(set_to_none=True)
        A.grad = grad
        opt.step()
        history.append(value)
        if on_step is not None:
            on_step(step, value)
    with torch.no_grad():
        Q = embed(orthonormalize(A) if ortho else A, subspace, latent_dim)
    return Q.detach().clone(), history


__all__ = ["PENALTIES", "SAMPLINGS", "ShiftedGenerator", "coefficients", "learn_directions", "penalty_value"]
