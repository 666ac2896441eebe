"""Eagle-Dove game that sets the Eq. 15 weights alpha and beta (docs/design.md §3, paper Appendix A.1).

The payoff matrix is the paper's; reading alpha and beta off the mixed equilibrium is [ours].
Row player G, column player D; value ``v``, cost ``c``, ``split`` in (0, 1) (the paper's k; renamed
here so that ``k`` always means the number of Rademacher directions).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .options import DEFAULT_GAME

STRATEGIES = ("Eagle", "Dove")


@dataclass(frozen=True)
class EagleDove:
    """Two-player Eagle-Dove game; ``coefficients()`` gives ``(alpha, beta)``.

    >>> EagleDove(1, 2, 0.5).coefficients()
    (0.5, 0.5)
    """

    v: float = DEFAULT_GAME[0]
    c: float = DEFAULT_GAME[1]
    split: float = DEFAULT_GAME[2]

    def __post_init__(self) -> None:
        for name in ("v", "c", "split"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"Eagle-Dove {name} must be finite, got {getattr(self, name)}")
        if self.v <= 0:
            raise ValueError(f"Eagle-Dove value v must be > 0, got {self.v}")
        if self.c <= 0:
            raise ValueError(f"Eagle-Dove cost c must be > 0, got {self.c}")
        if not 0.0 < self.split < 1.0:
            raise ValueError(f"Eagle-Dove split must lie in (0, 1) (0.5 = classic Hawk-Dove), got {self.split}")

    def payoff_matrix(self) -> np.ndarray:
        """Payoffs, shape (2, 2, 2): ``[row strategy, column strategy, player]`` (player 0 = G).

        Appendix A.1: Eagle/Eagle ((v-c)/4s, (v-c)/4s), Eagle/Dove (v, 0), Dove/Eagle (0, v),
        Dove/Dove (sv, (1-s)v).
        """
        v, c, s = self.v, self.c, self.split  # s: the split (the paper calls it k)
        fight = (v - c) / (4 * s)
        return np.array(
            [
                [[fight, fight], [v, 0.0]],
                [[0.0, v], [s * v, (1 - s) * v]],
            ]
        )

    def equilibrium(self) -> tuple[float, float]:
        """Probabilities ``(p*, q*)`` that G and D play Eagle.

        Mixed equilibrium for c > v: ``p* = vs / (vs + (c-v)/4s)`` makes D indifferent,
        ``q* = v(1-s) / (v(1-s) + (c-v)/4s)`` makes G indifferent. For c <= v Eagle dominates
        and both play it (1, 1).
        """
        v, c, s = self.v, self.c, self.split  # s: the split (the paper calls it k)
        if c <= v:
            return 1.0, 1.0
        loss = (c - v) / (4 * s)
        p = v * s / (v * s + loss)
        q = v * (1 - s) / (v * (1 - s) + loss)
        return p, q

    def coefficients(self) -> tuple[float, float]:
        """``(alpha, beta)`` of Eq. 15: G's and D's equilibrium probabilities of Eagle [ours]."""
        return self.equilibrium()

    def describe(self) -> str:
        """The matrix and the equilibrium as text, so a user can check them."""
        m = self.payoff_matrix()
        p, q = self.equilibrium()
        width = 26
        lines = [f"Eagle-Dove game v={self.v:g} c={self.c:g} split={self.split:g} (row: G, column: D)",
                 " " * 7 + "".join(s.ljust(width) for s in STRATEGIES)]
        for r, name in enumerate(STRATEGIES):
            cells = "".join(f"({m[r, col, 0]:.4g}, {m[r, col, 1]:.4g})".ljust(width) for col in range(2))
            lines.append(name.ljust(7) + cells)
        kind = "mixed" if self.c > self.v else "pure (Eagle dominates, c <= v)"
        lines.append(f"equilibrium ({kind}): P(G plays Eagle) = {p:.6g}, P(D plays Eagle) = {q:.6g}")
        lines.append(f"alpha = {p:.6g}, beta = {q:.6g}")
        return "\n".join(lines)
