"""Built-in plugin: the Eq. 15 regularizer as a generator-loss term (SPEC §1-§2)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from torch import Tensor

from ..estimators import hessian_penalty, jacobian_penalty, joint_penalty
from ..hookspecs import hookimpl
from ..passes import batch_norms_in_training, slice_batch
from ..layers import find_module
from ..schedule import subbatch_size

if TYPE_CHECKING:  # pragma: no cover
    from ..session import Session


@hookimpl
def hjgan_generator_loss_terms(session: "Session", z: Tensor, G_args: tuple, G_kwargs: dict,
                               G_z: Any) -> dict[str, Tensor] | None:
    cfg = session.config
    gain, ramp = session.lazy_gain(), session.ramp()
    if cfg.penalty == "none" or gain == 0 or ramp == 0.0:
        return None
    G = session.penalty_generator
    n = z.shape[0]
    m = subbatch_size(n, cfg.subbatch)
    if not session.regularizes_output or (m < n and batch_norms_in_training(find_module(G))):
        G_z = None  # the adversarial output is not the regularized activation (or not its batch)
    if m < n:
        z, G_args, G_z = z[:m], slice_batch(G_args, n, m), slice_batch(G_z, n, m)
        G_kwargs = {key: slice_batch(v, n, m) for key, v in G_kwargs.items()}
    w_h = session.alpha * cfg.lambda_h * ramp * gain  # Eq. 15: α·λ_H (ramped, lazy gain)
    w_j = session.beta * cfg.lambda_j * ramp * gain  # Eq. 15: β·λ_J
    common = dict(k=cfg.k, epsilon=cfg.epsilon, reduction=cfg.reduction, G_z=G_z, unbiased=cfg.unbiased,
                  check_determinism=session.determinism_check(), G_args=G_args, **G_kwargs)
    if cfg.penalty == "joint":
        result = joint_penalty(G, z, w_h, w_j, difference=cfg.difference, **common)
        session.record(hj_hessian=result.hessian, hj_jacobian=result.jacobian)
        return {"hj_penalty": result.total}
    if cfg.penalty == "hessian":
        value = hessian_penalty(G, z, **common)
        session.record(hj_hessian=value)
        return {"hj_penalty": w_h * value}
    value = jacobian_penalty(G, z, difference=cfg.difference, **common)
    session.record(hj_jacobian=value)
    return {"hj_penalty": w_j * value}
