"""The forward passes an estimator needs, and the conditions that make them valid (docs/design.md §1, §5).

Finite differences are only meaningful when G is a deterministic, per-sample function of z during
the penalty. This module runs the (2k or k, plus one) passes — batched into one forward where that
is exact — and guards the rest: BatchNorm in training mode (every pass keeps the batch composition
of the adversarial pass, running statistics restored), dropout and noise (a clear error).
"""
from __future__ import annotations

import contextlib
import weakref
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import torch
from torch import Tensor, nn

from .errors import NondeterministicGeneratorError
from .layers import find_module

CHECKS = ("once", "always", "never")


def listify(out: Any) -> list[Tensor]:
    """G's output as a list of activations (a list/tuple is multi-layer, as in the references)."""
    return list(out) if isinstance(out, (list, tuple)) else [out]


def batch_norms_in_training(module: nn.Module | None) -> list[nn.Module]:
    if module is None:
        return []
    return [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.training]


def dropouts_in_training(module: nn.Module | None) -> list[tuple[str, nn.Module]]:
    if module is None:
        return []
    kinds = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout, nn.FeatureAlphaDropout)
    return [(n, m) for n, m in module.named_modules() if isinstance(m, kinds) and m.training and m.p > 0]


@contextlib.contextmanager
def preserved_running_stats(module: nn.Module | None) -> Iterator[None]:
    """Leave BatchNorm running statistics as they were before the penalty passes (docs/design.md §5)."""
    saved = [(m, {k: b.detach().clone() for k, b in m.named_buffers(recurse=False) if b is not None})
             for m in batch_norms_in_training(module)]
    try:
        yield
    finally:
        with torch.no_grad():
            for m, buffers in saved:
                for key, value in buffers.items():
                    getattr(m, key).data.copy_(value)  # .data: no version bump, the adversarial graph saved them


def _is_batch_aligned(value: Any, n: int) -> bool:
    return isinstance(value, Tensor) and value.dim() >= 1 and value.shape[0] == n


def _repeat(value: Any, n: int, times: int) -> Any:
    if _is_batch_aligned(value, n):
        return value.repeat(times, *([1] * (value.dim() - 1)))
    return value


def slice_batch(value: Any, n: int, m: int) -> Any:
    """The first ``m`` samples of a batch-aligned input (tensors with first dimension ``n``, also
    inside lists/tuples); anything else unchanged."""
    if _is_batch_aligned(value, n):
        return value[:m]
    if isinstance(value, (list, tuple)):
        return type(value)(slice_batch(v, n, m) for v in value)
    return value


def call_batched(G: Callable, zs: Tensor, args: tuple, kwargs: dict) -> list[Tensor]:
    """One forward on all passes' latents ``zs`` (T, N, ...); per activation a (T, N, ...) view.

    Extra inputs whose first dimension equals the batch size (labels, codes) are repeated alongside.
    """
    times, n = zs.shape[:2]
    out = listify(G(zs.reshape(times * n, *zs.shape[2:]), *[_repeat(a, n, times) for a in args],
                    **{key: _repeat(v, n, times) for key, v in kwargs.items()}))
    check_outputs(out, n * times)
    return [t.view(times, n, *t.shape[1:]) for t in out]


def call_each(G: Callable, zs: Tensor, args: tuple, kwargs: dict) -> list[Tensor]:
    """One forward per pass, each with the adversarial batch's composition; stacked to (T, N, ...)."""
    outs = []
    for z in zs:
        out = listify(G(z, *args, **kwargs))
        check_outputs(out, z.shape[0])
        outs.append(out)
    return [torch.stack(layer) for layer in zip(*outs)]


def check_outputs(out: list[Tensor], n: int) -> None:
    for i, t in enumerate(out):
        if not isinstance(t, Tensor):
            raise TypeError(f"G must return a tensor or a list of tensors; activation {i} is {type(t).__name__}")
        if not t.is_floating_point():
            raise TypeError(f"activation {i} of G is {str(t.dtype).replace('torch.', '')}: the penalty needs a "
                            "floating-point output (differences of a rounded output are no derivatives)")
        if t.dim() == 0 or t.shape[0] != n:
            raise ValueError(
                f"activation {i} of G has shape {tuple(t.shape)}; every activation needs the batch "
                f"dimension first (expected size {n}), so the penalty can be taken per sample"
            )


def _relative_difference(a: list[Tensor], b: list[Tensor]) -> float:
    """Largest |a-b| / max|a|, b over finite entries; inf where the NaN/inf patterns differ."""
    worst = 0.0
    for x, y in zip(a, b):
        x, y = x.detach().double(), y.detach().double()
        finite = torch.isfinite(x)
        if not torch.equal(finite, torch.isfinite(y)) or not torch.equal(x[~finite].nan_to_num(), y[~finite].nan_to_num()):
            return float("inf")
        x, y = x[finite], y[finite]
        if x.numel() == 0:
            continue
        scale = max(x.abs().max().item(), y.abs().max().item(), 1e-12)
        worst = max(worst, (x - y).abs().max().item() / scale)
    return worst


def _tolerance(dtype: torch.dtype) -> float:
    return min(1e-2, 1e3 * torch.finfo(dtype).eps)


@dataclass(frozen=True)
class ProbeResult:
    """What one probe of G found: is it deterministic, and is it a per-sample function."""

    deterministic: bool
    batch_independent: bool
    difference: float


def probe(G: Callable, z: Tensor, args: tuple = (), kwargs: dict | None = None) -> ProbeResult:
    """Call G(z) twice, and G on half the batch, without touching gradients or running statistics."""
    kwargs = kwargs or {}
    module = find_module(G)
    n = z.shape[0]
    with torch.no_grad(), preserved_running_stats(module):
        first = listify(G(z, *args, **kwargs))
        check_outputs(first, n)
        second = listify(G(z, *args, **kwargs))
        difference = _relative_difference(first, second)
        tol = _tolerance(first[0].dtype if first[0].is_floating_point() else torch.float32)
        batch_independent = True
        if n >= 2:
            m = n // 2
            half = listify(G(z[:m], *slice_batch(args, n, m),
                             **{key: slice_batch(v, n, m) for key, v in kwargs.items()}))
            batch_independent = _relative_difference([t[:m] for t in first], half) <= tol
    return ProbeResult(difference <= tol, batch_independent, difference)


_probed: "weakref.WeakKeyDictionary[Any, dict[Any, ProbeResult]]" = weakref.WeakKeyDictionary()


def _cache_key(G: Callable) -> tuple[Any, Any]:
    owner = getattr(G, "__self__", None)
    if owner is not None and not isinstance(G, nn.Module):
        return owner, getattr(G, "__func__", None)
    return G, None


def nondeterminism_message(difference: float) -> str:
    return (
        f"G's output changed between two identical calls (max relative difference {difference:.3g}), so the "
        "finite differences of the Hessian/Jacobian penalty would measure noise, not curvature. Make G "
        "deterministic in the penalty passes: fixed noise (StyleGAN2: noise_mode='const'), dropout off "
        "(G.eval() or p=0), no style mixing; e.g. pass G=lambda z: net(z, noise_mode='const')."
    )


def plan_passes(G: Callable, z: Tensor, args: tuple, kwargs: dict, *, batched: bool | None,
                check_determinism: str) -> bool:
    """Validate G for finite differences and decide whether the passes may run as one batch.

    Returns True for one batched forward (exact for a per-sample G), False for one forward per
    pass. Raises :class:`NondeterministicGeneratorError` for dropout in training mode or for an
    output that changes between identical calls.
    """
    if check_determinism not in CHECKS:
        raise ValueError(f"check_determinism must be one of {CHECKS}, got {check_determinism!r}")
    module = find_module(G)
    dropouts = dropouts_in_training(module)
    if dropouts:
        name, mod = dropouts[0]
        raise NondeterministicGeneratorError(
            f"G has dropout in training mode ({name or type(mod).__name__}, p={mod.p}): finite differences "
            "need a deterministic G. Put the dropout modules in eval mode (or p=0) for the penalty passes."
        )
    structural_batch_dependence = bool(batch_norms_in_training(module))

    result: ProbeResult | None = None
    if check_determinism != "never":
        owner, sub = _cache_key(G)
        try:
            cache = _probed.setdefault(owner, {})
        except TypeError:  # not weak-referenceable: probe every call
            cache = {}
        result = cache.get(sub) if check_determinism == "once" else None
        if result is None:
            result = probe(G, z, args, kwargs)
            cache[sub] = result
        if not result.deterministic:
            raise NondeterministicGeneratorError(nondeterminism_message(result.difference))

    batch_dependent = structural_batch_dependence or (result is not None and not result.batch_independent)
    if batched is None:
        return not batch_dependent
    if batched and batch_dependent:
        raise ValueError(
            "batched=True, but G's output depends on the batch composition (BatchNorm in training mode?): "
            "one batched forward would mix the perturbed passes' statistics. Use batched=None or False."
        )
    return batched


def forget_probes() -> None:
    """Forget cached probe results (e.g. after changing G's noise or dropout settings)."""
    _probed.clear()
