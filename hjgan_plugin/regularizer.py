"""The built-in generator-loss term: Eq. 15's ``α·λ_H·L_H + β·λ_J·L_J`` for one step (docs/design.md §2).

:func:`regularizer_term` turns a config and the step's weights into one estimator call. The session
calls it; the math is in :mod:`.estimators`.
"""
from __future__ import annotations

from typing import Any, Callable

from torch import Tensor

from .config import HJConfig
from .estimators import hessian_penalty, jacobian_penalty, joint_penalty
from .layers import find_module
from .passes import batch_norms_in_training, slice_batch
from .schedule import subbatch_size


def regularizer_term(G: Callable, z: Tensor, config: HJConfig, *, weights: tuple[float, float], G_args: tuple,
                     G_kwargs: dict, G_z: Any, regularizes_output: bool,
                     check_determinism: str) -> tuple[Tensor, dict[str, Tensor]]:
    """Eq. 15's penalty for this step and its unweighted parts.

    :param G: the function the estimators differentiate (the adapter's call, layer capture applied).
    :param weights: ``(w_H, w_J)``, the effective weights of :func:`~hjgan_plugin.schedule.effective_weights`.
    :param G_z: the adversarial pass's output, reused when it is what is regularized, on the same batch.
    :return: ``(weighted total, {"hj_hessian": L_H, "hj_jacobian": L_J})`` (the terms the penalty has).
    """
    n = z.shape[0]
    m = subbatch_size(n, config.subbatch)
    if not regularizes_output or (m < n and batch_norms_in_training(find_module(G))):
        G_z = None  # the adversarial output is not the regularized activation (or not its batch)
    if m < n:
        z, G_args, G_z = z[:m], slice_batch(G_args, n, m), slice_batch(G_z, n, m)
        G_kwargs = {key: slice_batch(v, n, m) for key, v in G_kwargs.items()}
    w_h, w_j = weights
    common = dict(k=config.k, epsilon=config.epsilon, reduction=config.reduction, G_z=G_z, unbiased=config.unbiased,
                  check_determinism=check_determinism, G_args=G_args, **G_kwargs)
    if config.penalty == "joint":
        result = joint_penalty(G, z, w_h, w_j, difference=config.difference, **common)  # Eq. 12-15
        return result.total, {"hj_hessian": result.hessian, "hj_jacobian": result.jacobian}
    if config.penalty == "hessian":
        value = hessian_penalty(G, z, **common)  # Eq. 6-7
        return w_h * value, {"hj_hessian": value}
    value = jacobian_penalty(G, z, difference=config.difference, **common)  # Eq. 9-10
    return w_j * value, {"hj_jacobian": value}
