"""Pure schedule functions of the generator step (docs/design.md §2)."""
from __future__ import annotations


def warmup_ramp(step: int, warmup: int) -> float:
    """Warm-up (docs/design.md §2): ``λ_t = λ·min(1, t/T)``; returns ``min(1, t/T)`` for the step being taken.

    ``step`` is the 0-based index of the generator step (t = step + 1), so the first step already
    carries weight 1/T and step T-1 reaches full weight. ``warmup=0`` disables the ramp.
    """
    if warmup <= 0:
        return 1.0
    return min(1.0, (step + 1) / warmup)


def lazy_gain(step: int, interval: int, mode: str = "interval") -> float:
    """Lazy regularization: the penalty runs on every ``interval``-th generator step and contributes 0
    otherwise. Its gain on the steps it runs: ``"interval"``: N, StyleGAN2's choice, which keeps the
    expected gradient unchanged; ``"sqrt"``: √N; ``"one"``: 1 (the every-step weight) [ours: the last two,
    docs/design.md §2, to compare under Adam, which rescales gradients itself]."""
    if step % interval:
        return 0.0
    if mode == "interval":
        return float(interval)
    if mode == "sqrt":
        return float(interval) ** 0.5
    if mode == "one":
        return 1.0
    raise ValueError(f"lazy gain must be 'interval', 'sqrt' or 'one', got {mode!r}")


def probe_due(calls: int) -> bool:
    """Whether a penalty call re-checks G's determinism: calls 0, 10, 100, 1000, ... ([ours]).

    Catches a generator that becomes stochastic during training (e.g. StyleGAN2 noise strengths
    that start at 0) at a cost of a few extra forwards in log-spaced steps.
    """
    if calls == 0:
        return True
    while calls % 10 == 0:
        calls //= 10
    return calls == 1


def subbatch_size(n: int, fraction: float) -> int:
    """Samples the penalty uses out of a batch of ``n`` (``--hj-subbatch``), at least one."""
    return max(1, min(n, int(round(n * fraction))))


def effective_weights(alpha: float, beta: float, lambda_h: float, lambda_j: float, *, ramp: float = 1.0,
                      gain: float = 1.0) -> tuple[float, float]:
    """Eq. 15's weights of ``L_H`` and ``L_J`` for one generator step: ``(α·λ_H, β·λ_J)`` times the
    warm-up ramp and the lazy-regularization gain."""
    scale = ramp * gain
    return alpha * lambda_h * scale, beta * lambda_j * scale  # Eq. 15
