"""Eagle-Dove game that sets the Eq. 15 weights alpha and beta (SPEC §3, paper Appendix A.1).

The payoff matrix is the paper's; reading alpha and beta off the mixed equilibrium is [ours]
(SPEC §3). Row player G, column player D; value ``v``, cost ``c``, split ``k`` in (0, 1).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

STRATEGIES = ("Eagle", "Dove")


@dataclass(frozen=True)
class EagleDove:
    """Two-player Eagle-Dove game; ``coefficients()`` gives ``(alpha, beta)``.

    >>> EagleDove(1, 2, 0.5).coefficients()
    (0.5, 0.5)
    """

    v: float = 1.0
    c: float = 2.0
    k: float = 0.5

    def __post_init__(self) -> None:
        for name in ("v", "c", "k"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"Eagle-Dove {name} must be finite, got {getattr(self, name)}")
        if self.v <= 0:
            raise ValueError(f"Eagle-Dove value v must be > 0, got {self.v}")
        if self.c <= 0:
            raise ValueError(f"Eagle-Dove cost c must be > 0, got {self.c}")
        if not 0.0 < self.k < 1.0:
            raise ValueError(f"Eagle-Dove split k must lie in (0, 1) (0.5 = classic Hawk-Dove), got {self.k}")

    def payoff_matrix(self) -> np.ndarray:
        """Payoffs, shape (2, 2, 2): ``[row strategy, column strategy, player]`` (player 0 = G).

        Appendix A.1: Eagle/Eagle ((v-c)/4k, (v-c)/4k), Eagle/Dove (v, 0), Dove/Eagle (0, v),
        Dove/Dove (kv, (1-k)v).
        """
        v, c, k = self.v, self.c, self.k
        fight = (v - c) / (4 * k)
        return np.array(
            [
                [[fight, fight], [v, 0.0]],
                [[0.0, v], [k * v, (1 - k) * v]],
            ]
        )

    def equilibrium(self) -> tuple[float, float]:
        """Probabilities ``(p*, q*)`` that G and D play Eagle.

        Mixed equilibrium for c > v: ``p* = vk / (vk + (c-v)/4k)`` makes D indifferent,
        ``q* = v(1-k) / (v(1-k) + (c-v)/4k)`` makes G indifferent. For c <= v Eagle dominates
        and both play it (1, 1).
        """
        v, c, k = self.v, self.c, self.k
        if c <= v:
            return 1.0, 1.0
        loss = (c - v) / (4 * k)
        p = v * k / (v * k + loss)
        q = v * (1 - k) / (v * (1 - k) + loss)
        return p, q

    def coefficients(self) -> tuple[float, float]:
        """``(alpha, beta)`` of Eq. 15: G's and D's equilibrium probabilities of Eagle [ours]."""
        return self.equilibrium()

    def describe(self) -> str:
        """The matrix and the equilibrium as text, so a user can check them."""
        m = self.payoff_matrix()
        p, q = self.equilibrium()
        width = 26
        lines = [f"Eagle-Dove game v={self.v:g} c={self.c:g} k={self.k:g} (row: G, column: D)",
                 " " * 7 + "".join(s.ljust(width) for s in STRATEGIES)]
        for r, name in enumerate(STRATEGIES):
            cells = "".join(f"({m[r, col, 0]:.4g}, {m[r, col, 1]:.4g})".ljust(width) for col in range(2))
            lines.append(name.ljust(7) + cells)
        kind = "mixed" if self.c > self.v else "pure (Eagle dominates, c <= v)"
        lines.append(f"equilibrium ({kind}): P(G plays Eagle) = {p:.6g}, P(D plays Eagle) = {q:.6g}")
        lines.append(f"alpha = {p:.6g}, beta = {q:.6g}")
        return "\n".join(lines)
