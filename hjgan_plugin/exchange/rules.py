"""Weight-exchange update rules [ours] (docs/design.md §4, "Update" and "Variants").

Every rule has one signature and is a pure function of tensors (inputs are never modified)::

    rule(target, source, *, alpha, beta, strength, noise) -> new target

``strength`` is η, ``--hj-exchange-strength``.
For the G->D direction ``target`` is ``θ_D`` and ``source`` is ``adj(θ_G)``; for D->G it is ``θ_G`` and
``adj⁻¹(θ_D)``. ``noise`` is ``None`` except for rules registered with ``noise="fresh"`` (a new standard
normal tensor of ``target``'s shape at every call) or ``noise="fixed"`` (one such tensor per pair, drawn
once); :class:`~hjgan_plugin.exchange.WeightExchange` draws it from a seeded CPU generator so that every
distributed rank gets the same numbers.

:data:`BUILTIN_RULES` is read-only. Plugins add rules through the ``hjgan_exchange_rules`` hook; the
rules a session can use are looked up in its plugin manager, never in a process-wide registry.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Callable, Mapping, Optional, Protocol

import torch

__all__ = [
    "BUILTIN_RULES",
    "ExchangeRule",
    "RuleFn",
    "blend",
    "blend_norm",
    "check_coefficients",
    "get_rule",
    "make_rule",
    "random_control",
    "random_fixed",
    "tensor_norm",
]

NOISE_KINDS = (None, "fresh", "fixed")


class RuleFn(Protocol):
    def __call__(self, target: torch.Tensor, source: torch.Tensor, *, alpha: float, beta: float, strength: float,
                 noise: Optional[torch.Tensor]) -> torch.Tensor: ...


def check_coefficients(alpha: float, beta: float, strength: float) -> None:
    """Raise ``ValueError`` unless ``alpha, beta >= 0``, ``alpha + beta > 0`` and ``strength`` in (0, 1]."""
    for name, value in (("alpha", alpha), ("beta", beta), ("strength", strength)):
        if not math.isfinite(value):
            raise ValueError(f"weight exchange {name} must be finite, got {value}")
    if alpha < 0 or beta < 0 or not alpha + beta > 0:
        raise ValueError(f"weight exchange needs alpha >= 0, beta >= 0 and alpha + beta > 0 (the update divides by "
                         f"alpha + beta), got alpha={alpha}, beta={beta}")
    if not 0.0 < strength <= 1.0:
        raise ValueError(f"weight exchange strength eta (--hj-exchange-strength) must be in (0, 1], got {strength}")


def blend(target: torch.Tensor, source: torch.Tensor, *, alpha: float, beta: float, strength: float,
          noise: Optional[torch.Tensor] = None) -> torch.Tensor:
    """``(1-η)·θ + η·(α·θ + β·s)/(α+β)`` with ``θ = target``, ``s = source``, η = ``strength`` [ours].

    Algebraically ``θ + w·(s − θ)`` with ``w = η·β/(α+β)``, computed as one ``torch.lerp``.
    ``noise`` is ignored.
    """
    # docs/design.md §4 update (Algorithm A1, [ours]): θ_D ← (1−η)·θ_D + η·(α·θ_D + β·adj(θ_G))/(α+β)
    check_coefficients(alpha, beta, strength)
    if source.shape != target.shape:
        raise ValueError(f"exchange source shape {tuple(source.shape)} != target shape {tuple(target.shape)}")
    weight = strength * beta / (alpha + beta)
    return torch.lerp(target, source.to(dtype=target.dtype, device=target.device), weight)


def tensor_norm(t: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``‖t‖`` accumulated in ``dtype`` (float64 is taken as float32 on MPS, which has no float64).

    The rules rescale with float32 norms; the exchange's finite check and stats use float64, where
    float32 squares cannot overflow.
    """
    if dtype == torch.float64 and t.device.type == "mps":
        dtype = torch.float32
    return torch.linalg.vector_norm(t, dtype=dtype)


def blend_norm(target: torch.Tensor, source: torch.Tensor, *, alpha: float, beta: float, strength: float,
               noise: Optional[torch.Tensor] = None) -> torch.Tensor:
    """:func:`blend`, then rescaled to ``‖target‖`` before the update: G's direction without shrinking D [ours].

    If either norm is zero the blend is returned unscaled (there is no direction to keep).
    """
    # docs/design.md §4 variant blend-norm [ours]: θ' = blend(θ, s); θ' ← θ'·‖θ‖/‖θ'‖
    out = blend(target, source, alpha=alpha, beta=beta, strength=strength)
    before, after = tensor_norm(target), tensor_norm(out)
    ok = (before > 0) & (after > 0)
    scale = torch.where(ok, before / torch.where(ok, after, torch.ones_like(after)), torch.ones_like(after))
    return out * scale.to(out.dtype)


def _rescaled(noise: Optional[torch.Tensor], source: torch.Tensor, rule: str) -> torch.Tensor:
    """``noise`` rescaled to ``‖source‖`` (a zero-norm noise tensor is returned as is)."""
    if noise is None:
        raise ValueError(f"exchange rule {rule!r} needs a noise tensor (WeightExchange supplies it)")
    if noise.shape != source.shape:
        raise ValueError(f"{rule}: noise shape {tuple(noise.shape)} != source shape {tuple(source.shape)}")
    noise = noise.to(dtype=source.dtype, device=source.device)
    n_noise, n_source = tensor_norm(noise), tensor_norm(source)
    scale = torch.where(n_noise > 0, n_source / torch.where(n_noise > 0, n_noise, torch.ones_like(n_noise)),
                        torch.zeros_like(n_noise))
    return noise * scale.to(noise.dtype)


def random_control(target: torch.Tensor, source: torch.Tensor, *, alpha: float, beta: float, strength: float,
                   noise: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Control [ours]: :func:`blend` toward ``noise`` rescaled to ``‖source‖``; ``noise`` is fresh every call.

    Carries none of G's information except its norm (benchmarks only).
    """
    # docs/design.md §4 variant random-control [ours]: s ← r·‖s‖/‖r‖, r ~ N(0, I) fresh; then blend
    return blend(target, _rescaled(noise, source, "random-control"), alpha=alpha, beta=beta, strength=strength)


def random_fixed(target: torch.Tensor, source: torch.Tensor, *, alpha: float, beta: float, strength: float,
                 noise: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Matched control [ours]: like :func:`random_control` but ``noise`` is drawn once per pair.

    The direction stays fixed and the norm follows G's tensor at every exchange, so D is pulled exactly
    as hard as by :func:`blend`, with none of G's direction (benchmarks only).
    """
    # docs/design.md §4 variant random-fixed [ours]: s ← r_pair·‖s‖/‖r_pair‖, r_pair drawn once; then blend
    return blend(target, _rescaled(noise, source, "random-fixed"), alpha=alpha, beta=beta, strength=strength)


@dataclass(frozen=True)
class ExchangeRule:
    """A named rule and the noise it needs: ``None``, ``"fresh"`` (every call) or ``"fixed"`` (once per pair)."""

    name: str
    fn: Callable[..., torch.Tensor]
    noise: Optional[str] = None

    def __call__(self, target: torch.Tensor, source: torch.Tensor, *, alpha: float, beta: float, strength: float,
                 noise: Optional[torch.Tensor] = None) -> torch.Tensor:
        return self.fn(target, source, alpha=alpha, beta=beta, strength=strength, noise=noise)


BUILTIN_RULES: Mapping[str, ExchangeRule] = MappingProxyType({
    "blend": ExchangeRule("blend", blend),
    "blend-norm": ExchangeRule("blend-norm", blend_norm),
    "random-control": ExchangeRule("random-control", random_control, noise="fresh"),
    "random-fixed": ExchangeRule("random-fixed", random_fixed, noise="fixed"),
})


def make_rule(name: str, fn: Callable[..., torch.Tensor], *, noise: Optional[str] = None) -> ExchangeRule:
    """``fn`` as an :class:`ExchangeRule` called ``name`` (what a plugin's ``hjgan_exchange_rules`` gives).

    ``fn`` has the common signature ``fn(target, source, *, alpha, beta, strength, noise) -> Tensor`` and
    must not modify its inputs. ``noise`` says what it needs (``None``, ``"fresh"`` or ``"fixed"``); when
    not given it is read from ``fn.noise`` (an :class:`ExchangeRule`, or a function with that attribute).
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"exchange rule name must be a non-empty string, got {name!r}")
    if not callable(fn):
        raise TypeError(f"exchange rule {name!r} must be callable, got {fn!r}")
    if noise is None:
        noise = getattr(fn, "noise", None)
    if noise not in NOISE_KINDS:
        raise ValueError(f"exchange rule {name!r}: noise must be one of {list(NOISE_KINDS)}, got {noise!r}")
    if isinstance(fn, ExchangeRule) and fn.name == name and fn.noise == noise:
        return fn
    return ExchangeRule(name, fn.fn if isinstance(fn, ExchangeRule) else fn, noise)


def get_rule(name: str, rules: Mapping[str, ExchangeRule] = BUILTIN_RULES) -> ExchangeRule:
    """The rule called ``name`` in ``rules``; ``ValueError`` listing the valid names otherwise."""
    try:
        return rules[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown weight-exchange variant {name!r} (--hj-exchange-variant); valid names: "
                         f"{sorted(rules)} (plugins add rules: see `hjgan plugins`)") from None
