"""Spectral normalization of a discriminator (Miyato, Kataoka, Koyama, Yoshida, "Spectral Normalization for
Generative Adversarial Networks", ICLR 2018), through ``torch.nn.utils.parametrizations.spectral_norm``.

Every linear and convolution layer's weight is divided by its largest singular value, estimated by power
iteration (one per forward in training mode, as in the paper). :func:`plain_state_dict` gives the state dict
a network without the parametrization loads: each normalized weight under its original name.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import spectral_norm

NORMALIZED_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d,
                     nn.ConvTranspose3d)
"""The layer types whose ``weight`` is normalized."""


def apply_spectral_norm(D: nn.Module, n_power_iterations: int = 1) -> list[str]:
    """Normalize every :data:`NORMALIZED_LAYERS` weight of ``D`` in place; returns the layers' names.

    A layer already parametrized (or carrying the old hook-based ``spectral_norm``) is left as it is. The
    weight's Parameter object stays the same one (now ``parametrizations.weight.original``), so an optimizer
    built before keeps updating it. Raises ``ValueError`` when ``D`` has no such layer.
    """
    if not isinstance(D, nn.Module):
        raise ValueError(f"spectral normalization wraps the discriminator's layers: D must be an nn.Module, "
                         f"got {type(D).__name__}")
    if n_power_iterations < 1:
        raise ValueError(f"spectral normalization needs at least one power iteration, got {n_power_iterations}")
    done = []
    for name, module in D.named_modules():
        if not isinstance(module, NORMALIZED_LAYERS) or getattr(module, "weight", None) is None:
            continue
        if parametrize.is_parametrized(module, "weight") or hasattr(module, "weight_orig"):
            continue
        spectral_norm(module, n_power_iterations=n_power_iterations)
        done.append(name)
    if not done and not any(parametrize.is_parametrized(m) for m in D.modules()):
        raise ValueError(f"spectral normalization found no layer to normalize in {type(D).__name__}: it wraps "
                         f"{', '.join(t.__name__ for t in NORMALIZED_LAYERS)} weights")
    return done


def remove_spectral_norm(D: nn.Module, names: list[str]) -> None:
    """Undo :func:`apply_spectral_norm` on the layers ``names`` it returned: each gets its plain weight back,
    the same Parameter object, under its original name."""
    modules = dict(D.named_modules())
    for name in names:
        module = modules[name]
        if parametrize.is_parametrized(module, "weight"):
            parametrize.remove_parametrizations(module, "weight", leave_parametrized=False)
            params = module._parameters  # torch's layers register weight first: keep the state dict's order
            module._parameters = {"weight": params["weight"], **{k: v for k, v in params.items() if k != "weight"}}


@torch.no_grad()
def plain_state_dict(D: nn.Module) -> dict[str, Any]:
    """``D.state_dict()`` as a network without parametrizations has it: each parametrized tensor evaluated
    (the normalized weight, read in eval mode so no power iteration runs) under its original name."""
    out: dict[str, Any] = {}
    for key, value in D.state_dict().items():
        if ".parametrizations." not in f".{key}":
            out[key] = value
    for name, module in D.named_modules():
        if not parametrize.is_parametrized(module):
            continue
        was_training = module.training
        module.eval()
        for tensor_name in module.parametrizations:
            out[f"{name}.{tensor_name}" if name else tensor_name] = getattr(module, tensor_name).detach().clone()
        module.train(was_training)
    return out
