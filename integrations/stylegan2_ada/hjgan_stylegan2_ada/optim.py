"""The step-hooked optimizer of the StyleGAN2-ADA integration (``G_opt_kwargs.class_name`` swap).

Upstream builds the loss first and the optimizers after it, each with
``construct_class_by_name(params, **opt_kwargs)``. :func:`step_hooked` is that ``class_name``: it builds
the optimizer upstream asked for (``hj_class_name``, ``torch.optim.Adam``), unchanged, and registers a
step post-hook that tells the loss of this process which role just stepped. The optimizer object is a
plain ``torch.optim.Adam``: its state and pickles are upstream's.
"""
from __future__ import annotations

import importlib
from typing import Any, Iterable, Protocol

import torch

ROLES = ("G", "D")


class _StepListener(Protocol):
    def after_optimizer_step(self, role: str) -> None: ...


_active: list[_StepListener] = []  # the integration's loss of this process (one training per process)


def register_loss(loss: _StepListener) -> None:
    """Called by the loss when upstream builds it; the optimizers built next report to it."""
    _active[:] = [loss]


def active_loss() -> _StepListener:
    if not _active:
        raise RuntimeError(
            "hjgan step-hooked optimizer: no hjgan StyleGAN2 loss was built in this process. Upstream builds "
            "the loss before the optimizers; set loss_kwargs.class_name to "
            "'hjgan_stylegan2_ada.loss.HJStyleGAN2Loss' (train.py --hj=1 does both swaps)")
    return _active[0]


def _resolve(name: str) -> type:
    module, _, attr = name.rpartition(".")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ValueError(f"hj_class_name {name!r} is not an importable optimizer class") from exc


def step_hooked(params: Iterable[Any], *, hj_role: str, hj_class_name: str = "torch.optim.Adam",
                **kwargs: Any) -> torch.optim.Optimizer:
    """Build ``hj_class_name(params, **kwargs)`` and hook its steps to the loss of this process.

    :param hj_role: ``"G"`` or ``"D"``: which network this optimizer steps.
    :param hj_class_name: the optimizer upstream configured (its ``class_name`` before the swap).
    """
    if hj_role not in ROLES:
        raise ValueError(f"hj_role must be one of {list(ROLES)}, got {hj_role!r}")
    listener = active_loss()
    optimizer = _resolve(hj_class_name)(params, **kwargs)

    def after_step(_opt: torch.optim.Optimizer, _args: Any, _kwargs: Any) -> None:
        listener.after_optimizer_step(hj_role)

    optimizer.register_step_post_hook(after_step)
    return optimizer
