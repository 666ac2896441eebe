"""Summary statistics over seeds, as the benchmark tables print them."""
from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def mean_std(vals: Sequence[float | None], fmt: str = "{:.2f}", undefined: str = "undefined") -> str:
    """``"mean ± std"`` of ``vals`` (a single value alone) formatted with ``fmt``.

    ``None`` and NaN are undefined values: they are left out and counted (``"0.41 (1 undefined)"``);
    when every value is undefined the cell reads ``undefined`` (the disentanglement tables pass
    ``"not run"``: VP is NaN when it was not measured). No values at all: ``"–"``.
    """
    if not vals:
        return "–"
    vals = [math.nan if v is None else float(v) for v in vals]
    n_undefined = sum(math.isnan(v) for v in vals)
    vals = [v for v in vals if not math.isnan(v)]
    if not vals:
        return undefined
    text = fmt.format(vals[0]) if len(vals) == 1 else \
        f"{fmt.format(statistics.mean(vals))} ± {fmt.format(statistics.stdev(vals))}"
    return text + (f" ({n_undefined} undefined)" if n_undefined else "")


def p_text(p: float, undefined: str = "n/a") -> str:
    """A p-value for a table: three decimals, ``<0.001`` below that, ``undefined`` for NaN (no test)."""
    return undefined if math.isnan(p) else ("<0.001" if p < 0.001 else f"{p:.3f}")


def detectable_difference(sd_a: float, sd_b: float, n: int) -> float:
    """The difference of means a two-sided Welch test at α = 0.05 finds with 80% power between two groups of
    ``n`` with these standard deviations: ≈ 2.8·√2·σ/√n, σ pooled as ``√((sd_a² + sd_b²)/2)``."""
    return 2.8 * math.sqrt(2) * math.sqrt((sd_a ** 2 + sd_b ** 2) / 2) / math.sqrt(n)


def seeds_needed(sd_a: float, sd_b: float, difference: float) -> int:
    """Seeds per group for :func:`detectable_difference` to reach ``difference``."""
    return math.ceil((detectable_difference(sd_a, sd_b, 1) / difference) ** 2)


def values(rows: Sequence[dict], model: str, setting: str, key: str) -> list[float]:
    """``key`` of every row of ``model`` at ``setting`` (one per seed), NaN where a row lacks it or holds None."""
    return [math.nan if r.get(key) is None else float(r[key]) for r in rows
            if r["model"] == model and r["setting"] == setting]


def mean(vals: Sequence[float]) -> float:
    """The mean of the values that are not NaN (NaN if none is)."""
    vals = [v for v in vals if not math.isnan(v)]
    return statistics.mean(vals) if vals else math.nan


def compare(a: Sequence[float], b: Sequence[float], higher_better: bool) -> tuple[float, float, str]:
    """Difference of means ``a - b``, Welch's two-sided p-value and a word: better/worse (p < 0.05) or ~.

    NaN values are left out; with fewer than 2 values on a side there is no test (``"n/a"``)."""
    from scipy import stats

    a = [v for v in a if not math.isnan(v)]
    b = [v for v in b if not math.isnan(v)]
    if len(a) < 2 or len(b) < 2:
        return (mean(a) - mean(b) if a and b else math.nan), math.nan, "n/a"
    diff = statistics.mean(a) - statistics.mean(b)
    if statistics.pstdev(a) == 0 and statistics.pstdev(b) == 0:
        p = 1.0 if diff == 0 else 0.0
    else:
        p = float(stats.ttest_ind(a, b, equal_var=False).pvalue)
    if p < 0.05 and diff != 0:
        word = "better" if (diff > 0) == higher_better else "worse"
    else:
        word = "~"
    return diff, p, word
