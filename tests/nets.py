"""Small networks shared by the test modules."""
from __future__ import annotations

from torch import nn


def mlp(*widths: int) -> nn.Sequential:
    """Linear layers of the given widths with Tanh between them (none after the last)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(widths) - 2:
            layers.append(nn.Tanh())
    return nn.Sequential(*layers)
