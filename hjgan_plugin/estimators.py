"""Hessian Penalty, orthogonal-Jacobian penalty and their joint form (docs/design.md §1-§2, paper Eq. 6-15).

Drop-in for the reference implementations: ``hessian_penalty`` has the signature of
``wpeebles/hessian_penalty`` (``hessian_penalty_pytorch.hessian_penalty``) and ``jacobian_penalty``
(alias ``orojar``) the signature of ``csyxwei/OroJaR`` (``orojar_pytorch.orojar``); with the same RNG
state they draw the same directions and return the same numbers. Extra keyword-only options:
``directions`` (fix the ±1 directions, shape (k, *z.shape)), ``unbiased`` (variance convention),
``difference`` (Jacobian: forward or central), ``batched`` (one batched forward, decided
automatically), ``check_determinism`` and ``G_args`` (positional inputs of G after z).

``joint_penalty`` computes both terms of Eq. 15 from one shared set of k directions and 2k
perturbed passes (Eq. 12-14: both are read off the same Taylor expansion).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Callable, Union

import torch
from torch import Tensor

from .options import DIFFERENCES
from .errors import LowPrecisionWarning
from .directions import check_hyperparameters, check_latent, make_directions
from .layers import find_module
from .passes import call_batched, call_each, listify, plan_passes, preserved_running_stats

Reduction = Union[Callable[[Tensor], Tensor], str]
_REDUCTIONS: dict[str, Callable[[Tensor], Tensor]] = {"max": torch.max, "mean": torch.mean, "sum": torch.sum}


# --------------------------------------------------------------------------- pure math
# Perturbed outputs arrive stacked over directions: plus[i] = G(z+εvᵢ), shape (k, N, ...).
def second_directional_derivative(plus: Tensor, base: Tensor, minus: Tensor, epsilon: float) -> Tensor:
    """Eq. 7: ``(G(z+εv) - 2G(z) + G(z-εv)) / ε²`` ≈ vᵀHv, elementwise (for every direction at once)."""
    return (plus - 2 * base + minus) / epsilon ** 2


def first_directional_derivative(plus: Tensor, base: Tensor | None, minus: Tensor | None, epsilon: float,
                                 difference: str = "forward") -> Tensor:
    """Eq. 10: forward ``(G(z+εv) - G(z)) / ε`` ≈ Jv; [ours] central ``(G(z+εv) - G(z-εv)) / 2ε``."""
    if difference == "forward":
        return (plus - base) / epsilon
    return (plus - minus) / (2 * epsilon)


def variance_over_directions(x: Tensor, unbiased: bool = True) -> Tensor:
    """``torch.var(x, dim=0, unbiased=unbiased)``, written out: the same numbers, and on the CPU about 6× faster
    forward and backward than ``torch.var`` over a short leading dim (measured in ``benchmarks/variance_op.py``)."""
    centred = x - x.mean(dim=0, keepdim=True)
    return centred.square().sum(dim=0) / (x.shape[0] - 1 if unbiased else x.shape[0])


def hessian_term(second_derivatives: Tensor, reduction: Callable[[Tensor], Tensor], unbiased: bool = True) -> Tensor:
    """Eq. 6: variance over the k directions (dim 0) per output element, then ``reduction``."""
    return reduction(variance_over_directions(second_derivatives, unbiased))


def jacobian_term(first_derivatives: Tensor, reduction: Callable[[Tensor], Tensor], unbiased: bool = True) -> Tensor:
    """Eq. 9: per-sample ‖Jv‖² over all elements of the layer, variance over directions, ``reduction``."""
    k, n = first_derivatives.shape[:2]
    norms = first_derivatives.square().reshape(k, n, -1).sum(dim=2)
    return reduction(variance_over_directions(norms, unbiased))


# --------------------------------------------------------------------------- passes
@dataclass
class PerturbedOutputs:
    """Per-layer outputs of the passes: ``base[l]`` = G(z) (N, ...); ``plus[l]``/``minus[l]`` stack
    G(z±εvᵢ) over the directions, (k, N, ...)."""

    base: list[Tensor] | None
    plus: list[Tensor]
    minus: list[Tensor] | None
    directions: Tensor
    batched: bool
    forward_samples: int  # number of latent samples pushed through G by the penalty itself


_LOW_PRECISION = (torch.float16, torch.bfloat16)


def _as_float(t: Tensor) -> Tensor:
    # finite differences of fp16/bf16 activations lose digits: at least take them in float32
    return t.float() if t.dtype in _LOW_PRECISION else t


def _warn_low_precision(outs: list[Tensor], epsilon: float) -> None:
    low = sorted({str(t.dtype).replace("torch.", "") for t in outs if t.dtype in _LOW_PRECISION})
    if low:
        warnings.warn(
            f"G's activations are {', '.join(low)} (autocast or half weights): rounding enters the finite "
            f"differences at epsilon={epsilon}. Measured on an H100 conv G at epsilon=0.1: float16 within 5% "
            "of float32, bfloat16 inflates the Hessian term ~1.4x; at epsilon=0.5 both within 3%. For exact "
            "terms run the penalty in float32 (torch.autocast(device_type, enabled=False)) or raise epsilon.",
            LowPrecisionWarning, stacklevel=3)


def perturbed_outputs(G: Callable, z: Tensor, *, k: int, epsilon: float, directions: Tensor | None,
                      need_base: bool, need_minus: bool, G_z: Any = None, G_args: tuple = (),
                      G_kwargs: dict | None = None, batched: bool | None = None,
                      check_determinism: str = "once") -> PerturbedOutputs:
    """Run the passes an estimator needs: G(z) unless given, G(z+εv) for each direction, G(z-εv) if asked.

    All of them run as one batched forward when G is a per-sample function (exact), else one forward
    per pass with the batch composition of z and BatchNorm running statistics restored (docs/design.md §5).
    The batched output is only viewed, never copied, as (passes, N, ...).
    """
    check_latent(z)
    check_hyperparameters(k, epsilon, z)
    G_kwargs = G_kwargs or {}
    v = make_directions(k, z, directions)
    use_batch = plan_passes(G, z, G_args, G_kwargs, batched=batched, check_determinism=check_determinism)
    offsets = epsilon * v
    compute_base = need_base and G_z is None
    zs = [z.unsqueeze(0)] if compute_base else []
    zs += [z + offsets] + ([z - offsets] if need_minus else [])
    with preserved_running_stats(find_module(G)):
        outs = (call_batched if use_batch else call_each)(G, torch.cat(zs), G_args, G_kwargs)
    _warn_low_precision(outs, epsilon)
    outs = [_as_float(o) for o in outs]
    first = 1 if compute_base else 0
    base = None
    if need_base:
        base = [o[0] for o in outs] if compute_base else [_as_float(t) for t in listify(G_z)]
        if len(base) != len(outs):
            raise ValueError(f"G_z has {len(base)} activation(s) but G returns {len(outs)}")
        for i, (given, out) in enumerate(zip(base, outs)):
            if tuple(given.shape) != tuple(out.shape[1:]):
                raise ValueError(f"G_z{'' if len(base) == 1 else f'[{i}]'} has shape {tuple(given.shape)} but G(z) "
                                 f"has {tuple(out.shape[1:])}: pass G_z=G(z) of this z (or leave it out)")
    plus = [o[first:first + k] for o in outs]
    minus = [o[first + k:first + 2 * k] for o in outs] if need_minus else None
    return PerturbedOutputs(base, plus, minus, v, use_batch, z.shape[0] * (first + k * (2 if need_minus else 1)))


def _reduction(reduction: Reduction) -> Callable[[Tensor], Tensor]:
    if isinstance(reduction, str):
        if reduction not in _REDUCTIONS:
            raise ValueError(f"reduction must be a callable or one of {list(_REDUCTIONS)}, got {reduction!r}")
        return _REDUCTIONS[reduction]
    if not callable(reduction):
        raise ValueError(f"reduction must be a callable or one of {list(_REDUCTIONS)}, got {reduction!r}")

    def scalar(x: Tensor) -> Tensor:
        out = reduction(x)
        if not isinstance(out, Tensor) or out.numel() != 1:
            shape = tuple(out.shape) if isinstance(out, Tensor) else type(out).__name__
            raise ValueError(f"reduction {getattr(reduction, '__name__', reduction)!r} returned {shape}; it must "
                             "reduce the variances it is given to one scalar tensor (as torch.max or torch.mean do)")
        return out.reshape(())

    return scalar


def _check_difference(difference: str) -> None:
    if difference not in DIFFERENCES:
        raise ValueError(f"difference must be one of {list(DIFFERENCES)}, got {difference!r}")


def _hessian_layers(p: PerturbedOutputs, epsilon: float, reduction: Callable, unbiased: bool) -> list[Tensor]:
    return [hessian_term(second_directional_derivative(plus, base, minus, epsilon), reduction, unbiased)
            for plus, base, minus in zip(p.plus, p.base, p.minus)]


def _jacobian_layers(p: PerturbedOutputs, epsilon: float, reduction: Callable, unbiased: bool,
                     difference: str) -> list[Tensor]:
    n_layers = len(p.plus)
    base = p.base or [None] * n_layers
    minus = p.minus or [None] * n_layers
    return [jacobian_term(first_directional_derivative(p.plus[l], base[l], minus[l], epsilon, difference),
                          reduction, unbiased) for l in range(n_layers)]


def _combine(layers: list[Tensor], return_separately: bool) -> Tensor | list[Tensor]:
    return layers if return_separately else sum(layers[1:], layers[0])


# --------------------------------------------------------------------------- public API
def hessian_penalty(G: Callable, z: Tensor, k: int = 2, epsilon: float = 0.1, reduction: Reduction = torch.max,
                    return_separately: bool = False, G_z: Any = None, *, directions: Tensor | None = None,
                    unbiased: bool = True, batched: bool | None = None, check_determinism: str = "once",
                    G_args: tuple = (), **G_kwargs: Any) -> Tensor | list[Tensor]:
    """Hessian Penalty (Eq. 6-7): ``reduce(Var_v[(G(z+εv) - 2G(z) + G(z-εv)) / ε²])``.

    Same signature and result as the reference ``hessian_penalty`` (wpeebles/hessian_penalty).
    Costs 2k perturbed samples per latent (plus one if ``G_z`` is not given), in one batched forward
    where G is a per-sample function. Returns a differentiable scalar, or one per activation of G
    if ``return_separately``.
    """
    p = perturbed_outputs(G, z, k=k, epsilon=epsilon, directions=directions, need_base=True, need_minus=True,
                          G_z=G_z, G_args=G_args, G_kwargs=G_kwargs, batched=batched,
                          check_determinism=check_determinism)
    return _combine(_hessian_layers(p, epsilon, _reduction(reduction), unbiased), return_separately)


def jacobian_penalty(G: Callable, z: Tensor, k: int = 2, epsilon: float = 0.1, reduction: Reduction = torch.max,
                     return_separately: bool = False, G_z: Any = None, *, directions: Tensor | None = None,
                     unbiased: bool = True, difference: str = "forward", batched: bool | None = None,
                     check_determinism: str = "once", G_args: tuple = (), **G_kwargs: Any) -> Tensor | list[Tensor]:
    """Orthogonal Jacobian penalty, OroJaR (Eq. 9-10): ``reduce(Var_v[‖(G(z+εv) - G(z)) / ε‖²])``.

    Same signature and result as the reference ``orojar`` (csyxwei/OroJaR) for
    ``difference="forward"`` (k perturbed samples, plus one without ``G_z``). ``difference="central"``
    [ours] uses ``(G(z+εv) - G(z-εv)) / 2ε`` (2k samples, never G(z); O(ε²) error).
    """
    _check_difference(difference)
    central = difference == "central"
    p = perturbed_outputs(G, z, k=k, epsilon=epsilon, directions=directions, need_base=not central,
                          need_minus=central, G_z=G_z, G_args=G_args, G_kwargs=G_kwargs, batched=batched,
                          check_determinism=check_determinism)
    return _combine(_jacobian_layers(p, epsilon, _reduction(reduction), unbiased, difference), return_separately)


orojar = jacobian_penalty  # the reference's name, so `from hjgan_plugin import orojar` is a drop-in


@dataclass
class JointPenalty:
    """Result of :func:`joint_penalty`: both terms of Eq. 15 and their weighted sum."""

    hessian: Tensor  # L_H, summed over layers (unweighted)
    jacobian: Tensor  # L_J, summed over layers (unweighted)
    total: Tensor  # alpha·L_H + beta·L_J
    hessian_layers: list[Tensor]
    jacobian_layers: list[Tensor]
    alpha: float
    beta: float
    directions: Tensor
    forward_samples: int

    @property
    def finite(self) -> bool:
        return bool(torch.isfinite(self.total.detach()).all())

    def scalars(self, prefix: str = "hj_") -> dict[str, float]:
        """Plain floats for logging: totals and per-layer values."""
        out = {f"{prefix}hessian": float(self.hessian.detach()), f"{prefix}jacobian": float(self.jacobian.detach()),
               f"{prefix}total": float(self.total.detach())}
        if len(self.hessian_layers) > 1:
            for i, (h, j) in enumerate(zip(self.hessian_layers, self.jacobian_layers)):
                out[f"{prefix}hessian_layer{i}"] = float(h.detach())
                out[f"{prefix}jacobian_layer{i}"] = float(j.detach())
        return out


def joint_penalty(G: Callable, z: Tensor, alpha: float, beta: float, k: int = 2, epsilon: float = 0.1,
                  reduction: Reduction = torch.max, G_z: Any = None, *, directions: Tensor | None = None,
                  unbiased: bool = True, difference: str = "forward", batched: bool | None = None,
                  check_determinism: str = "once", G_args: tuple = (), **G_kwargs: Any) -> JointPenalty:
    """Eq. 15's regularizer ``alpha·L_H + beta·L_J`` from one shared set of k directions (Eq. 12-14).

    The Hessian term needs G(z), G(z+εvᵢ), G(z-εvᵢ); the Jacobian term reads its first differences
    off the same passes, so the joint penalty costs 2k perturbed samples per latent (plus G(z) when
    ``G_z`` is not given) — the Hessian Penalty's cost, where the two references called one after
    the other cost 3k (+2). ``alpha`` and ``beta`` are used exactly as given (the session multiplies
    the game's α, β by the base scales λ_H, λ_J). With the same ``directions`` the two terms equal
    :func:`hessian_penalty` and :func:`jacobian_penalty` to floating-point precision.
    """
    _check_difference(difference)
    red = _reduction(reduction)
    p = perturbed_outputs(G, z, k=k, epsilon=epsilon, directions=directions, need_base=True, need_minus=True,
                          G_z=G_z, G_args=G_args, G_kwargs=G_kwargs, batched=batched,
                          check_determinism=check_determinism)
    h_layers = _hessian_layers(p, epsilon, red, unbiased)
    j_layers = _jacobian_layers(p, epsilon, red, unbiased, difference)
    hessian, jacobian = _combine(h_layers, False), _combine(j_layers, False)
    total = alpha * hessian + beta * jacobian  # Eq. 15 (regularizer part)
    return JointPenalty(hessian, jacobian, total, h_layers, j_layers, float(alpha), float(beta), p.directions,
                        p.forward_samples)
