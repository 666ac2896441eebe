"""Unrolled GAN (Metz, Poole, Pfau, Sohl-Dickstein, "Unrolled Generative Adversarial Networks", ICLR 2017).

G's loss is taken against the discriminator after K more of its own steps on the current batch,
``θ_D^{k+1} = θ_D^k − η ∇_θD L_D(θ_D^k)`` (Eq. 4, here with plain gradient steps of size η), so that G
answers the D it is about to face rather than the current one. With ``second_order`` the gradient flows
through the unrolled steps into G (the paper's method); without it D^K is a constant for G.
"""
from __future__ import annotations

from typing import Any, Callable

import torch
from torch import Tensor, nn
from torch.func import functional_call


def unrolled_parameters(D: nn.Module, d_loss: Callable[..., Tensor], real: Tensor, fake: Tensor, steps: int,
                        lr: float, second_order: bool = True, args: tuple = ()) -> dict[str, Tensor]:
    """D's parameters after ``steps`` gradient steps of size ``lr`` on ``d_loss(D, real, fake, *args)``
    (Eq. 4, with plain gradient steps), as tensors for :func:`torch.func.functional_call`; D is not changed.
    ``second_order``: the steps stay in the graph (of ``fake`` and of D's parameters)."""
    if steps < 0:
        raise ValueError(f"the unrolled GAN needs steps >= 0, got {steps}")
    if lr <= 0:
        raise ValueError(f"the unrolled GAN's step size must be > 0, got {lr}")
    names = [n for n, p in D.named_parameters() if p.requires_grad]
    params = {n: p for n, p in D.named_parameters() if p.requires_grad}
    buffers = dict(D.named_buffers())
    if not second_order:
        fake = fake.detach()
        params = {n: p.detach().requires_grad_(True) for n, p in params.items()}
    for _ in range(steps):
        def call(x: Tensor, *a: Any, _p: dict[str, Tensor] = params) -> Tensor:
            return functional_call(D, {**_p, **buffers}, (x, *a))

        loss = d_loss(call, real, fake, *args)
        grads = torch.autograd.grad(loss, [params[n] for n in names], create_graph=second_order)
        params = {n: params[n] - lr * g for n, g in zip(names, grads)}
        if not second_order:
            params = {n: p.detach().requires_grad_(True) for n, p in params.items()}
    return {**params, **buffers}


def as_module_call(D: nn.Module, params: dict[str, Tensor]) -> Callable[..., Tensor]:
    """``D`` evaluated with ``params`` (from :func:`unrolled_parameters`): ``call(x, *args)``."""
    def call(x: Tensor, *args: Any) -> Tensor:
        return functional_call(D, params, (x, *args))

    return call
