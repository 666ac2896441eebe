"""The mode-collapse benchmark's networks (MLPs) and optimizer."""
from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

import numpy as np

from .configs import BETAS, Z_DIM


def _mlp(widths: Iterable[int], act) -> Any:
    from torch import nn

    widths = list(widths)
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(widths)):
        layers.append(nn.Linear(a, b))
        if i < len(widths) - 2:
            layers.append(act())
    return nn.Sequential(*layers)


def _mlp_forward(net, x, act):
    """``net(x)`` for a Sequential of Linear layers and activations, calling ``F.linear`` on the layers'
    own parameters: the same function, without nn.Module's per-call dispatch (about a third of an
    iteration's Python overhead at this size)."""
    import torch.nn.functional as F

    linears = [m for m in net if hasattr(m, "weight")]
    for i, layer in enumerate(linears):
        x = F.linear(x, layer.weight, layer.bias)
        if i < len(linears) - 1:
            x = act(x)
    return x


def fused_adam() -> bool:
    """Whether :func:`make_optimizer` gets the fused Adam on this torch."""
    import torch

    return make_optimizer([torch.zeros(1, requires_grad=True)], 1e-3).defaults.get("fused") is True


def make_optimizer(params, lr: float):
    """Adam with the benchmark's betas; the fused kernel where this torch has it on the CPU (the same
    update as the for-loop one, in one call per step instead of ~10 per parameter)."""
    import torch

    try:
        return torch.optim.Adam(params, lr=lr, betas=BETAS, fused=True)
    except (RuntimeError, TypeError, ValueError):  # older torch: no fused Adam for CPU tensors
        return torch.optim.Adam(params, lr=lr, betas=BETAS)


def make_nets(dataset: str, width: int):
    """G and D for ``dataset``; the mirror pairing of docs/design.md §4 pairs G's last two Linear layers
    (transposed) with D's first two."""
    import torch.nn.functional as F
    from torch import nn

    class Generator(nn.Module):
        def __init__(self, z_dim: int, out_shape: tuple[int, ...], sigmoid: bool):
            super().__init__()
            self.z_dim, self.out_shape = z_dim, out_shape
            self.net = _mlp([z_dim, width, width, int(np.prod(out_shape))], nn.ReLU)
            self.sigmoid = sigmoid

        def forward(self, z):
            x = _mlp_forward(self.net, z, F.relu)
            x = x.sigmoid() if self.sigmoid else x
            return x.view(-1, *self.out_shape)

    class Discriminator(nn.Module):
        def __init__(self, in_dim: int):
            super().__init__()
            self.net = _mlp([in_dim, width, width, 1], lambda: nn.LeakyReLU(0.2))

        def forward(self, x):
            return _mlp_forward(self.net, x.flatten(1), lambda h: F.leaky_relu(h, 0.2)).squeeze(1)

    if dataset == "digits":
        return Generator(Z_DIM[dataset], (3, 8, 8), True), Discriminator(3 * 8 * 8)
    return Generator(Z_DIM[dataset], (2,), False), Discriminator(2)
