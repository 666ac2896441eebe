"""Two-sample significance tests on per-split or per-seed scores (the p-values of the paper's Table 1).

The paper (Sec. 4.2, Table 1) compares the IS of each method's samples with the IS of the real
training images and reports a p-value per comparison, judged at α = 0.001; it does not name the
test. :func:`compare_scores` gives Welch's unequal-variance t-test (the default: per-split IS of
two sources need not share a variance) and, as the rank-based alternative that assumes no normality,
the Mann–Whitney U test, both two-sided, from scipy.stats. Inputs are per-split values
(``quality_scores(...)["is_splits"]``), per-seed metric values, or any other independent scores.

Caveat: IS splits of one sample set are not independent draws of the generator's IS; for claims
about methods, compare per-seed (per-training-run) values.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

__all__ = ["TESTS", "compare_scores"]

TESTS = ("welch", "mannwhitney")


def _values(x: Sequence[float], name: str) -> np.ndarray:
    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a list of numbers: {exc}") from None
    if a.ndim != 1:
        raise ValueError(f"{name} must be a flat list of scores, got shape {a.shape}")
    bad = int((~np.isfinite(a)).sum())
    if bad:
        raise ValueError(f"{name}: {bad} of {a.size} scores are NaN/inf; a significance test needs finite scores")
    if a.size < 2:
        raise ValueError(f"{name} has {a.size} score(s); a two-sample test needs at least 2 per side "
                         f"(e.g. the 10 IS splits, or one value per seed)")
    return a


def compare_scores(a: Sequence[float], b: Sequence[float], test: str = "welch") -> dict[str, float | int | str]:
    """Two-sided test that scores ``a`` and ``b`` come from populations with the same mean (Welch) or the
    same distribution (Mann–Whitney).

    * ``"welch"``: ``t = (ā − b̄) / sqrt(s_a²/n_a + s_b²/n_b)`` with Welch–Satterthwaite degrees of freedom
      ``ν = (s_a²/n_a + s_b²/n_b)² / ((s_a²/n_a)²/(n_a−1) + (s_b²/n_b)²/(n_b−1))`` (Welch 1947);
      ``scipy.stats.ttest_ind(equal_var=False)``. Both sides constant: ``p = 1`` if the constants are
      equal, ``0`` otherwise (``t = ±inf``).
    * ``"mannwhitney"``: U statistic of ``a``, exact p-value for small samples without ties, normal
      approximation otherwise (``scipy.stats.mannwhitneyu(method="auto")``).

    Returns ``test``, ``statistic``, ``p_value``, ``df`` (Welch only), and ``n_a``, ``n_b``, ``mean_a``,
    ``mean_b``, ``std_a``, ``std_b`` (sample std, ddof 1). Needs at least 2 finite values per side.
    """
    if test not in TESTS:
        raise ValueError(f"test must be one of {TESTS}, got {test!r}")
    x, y = _values(a, "a"), _values(b, "b")
    out: dict[str, float | int | str] = {
        "test": test, "n_a": int(x.size), "n_b": int(y.size),
        "mean_a": float(x.mean()), "mean_b": float(y.mean()),
        "std_a": float(x.std(ddof=1)), "std_b": float(y.std(ddof=1)),
    }
    if test == "welch":
        va, vb = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
        if va + vb == 0:  # both constant: scipy returns NaN; the answer is plain
            same = x[0] == y[0]
            out.update(statistic=0.0 if same else math.copysign(math.inf, x[0] - y[0]),
                       p_value=1.0 if same else 0.0, df=float(x.size + y.size - 2))
            return out
        res = stats.ttest_ind(x, y, equal_var=False)
        df = (va + vb) ** 2 / (va ** 2 / (x.size - 1) + vb ** 2 / (y.size - 1))
        out.update(statistic=float(res.statistic), p_value=float(res.pvalue), df=float(df))
    else:
        res = stats.mannwhitneyu(x, y, alternative="two-sided", method="auto")
        out.update(statistic=float(res.statistic), p_value=float(res.pvalue))
    return out
