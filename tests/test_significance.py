"""compare_scores (Welch's t-test, Mann-Whitney U): analytic cases, scipy, input checks, and the
``hjgan eval compare`` command line."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import stats

from hjgan_plugin.cli import main
from hjgan_plugin.metrics import compare_scores


@pytest.mark.parametrize("x", [0.5, 1.0, 3.0])
def test_welch_analytic_two_degrees_of_freedom(x):
    # a = [0, 2], b = [x, x + 2]: both variances 2, so nu = 2 and t = -x / sqrt(2); with nu = 2 the
    # t distribution's CDF is 1/2 + t / (2 sqrt(2 + t^2)), hence p = 1 - |t| / sqrt(2 + t^2)
    out = compare_scores([0.0, 2.0], [x, x + 2.0])
    t = -x / math.sqrt(2)
    assert out["statistic"] == pytest.approx(t) and out["df"] == pytest.approx(2.0)
    assert out["p_value"] == pytest.approx(1 - abs(t) / math.sqrt(2 + t * t), rel=1e-9)


def test_welch_matches_scipy_with_unequal_variances():
    gen = np.random.default_rng(0)
    a, b = gen.normal(8.0, 0.3, size=10), gen.normal(8.4, 1.1, size=7)
    out = compare_scores(a, b)
    ref = stats.ttest_ind(a, b, equal_var=False)
    assert out["statistic"] == pytest.approx(ref.statistic) and out["p_value"] == pytest.approx(ref.pvalue)
    va, vb = a.var(ddof=1) / 10, b.var(ddof=1) / 7
    assert out["df"] == pytest.approx((va + vb) ** 2 / (va ** 2 / 9 + vb ** 2 / 6))
    assert out["mean_a"] == pytest.approx(a.mean()) and out["std_b"] == pytest.approx(b.std(ddof=1))


def test_mann_whitney_exact_and_against_scipy():
    # complete separation of 3 vs 3: U = 0 and the exact two-sided p is 2 / C(6, 3) = 0.1
    out = compare_scores([1.0, 2.0, 3.0], [4.0, 5.0, 6.0], test="mannwhitney")
    assert out["statistic"] == 0.0 and out["p_value"] == pytest.approx(0.1)
    gen = np.random.default_rng(1)
    a, b = gen.normal(size=30), gen.normal(0.5, size=25)
    ref = stats.mannwhitneyu(a, b, alternative="two-sided")
    out = compare_scores(a, b, test="mannwhitney")
    assert out["statistic"] == pytest.approx(ref.statistic) and out["p_value"] == pytest.approx(ref.pvalue)


def test_constant_sides():
    assert compare_scores([2.0, 2.0], [2.0, 2.0, 2.0])["p_value"] == 1.0
    out = compare_scores([2.0, 2.0], [3.0, 3.0])
    assert out["p_value"] == 0.0 and out["statistic"] == -math.inf


@pytest.mark.parametrize("a,b,kwargs,message", [
    ([1.0], [1.0, 2.0], {}, "a has 1 score.*at least 2 per side"),
    ([1.0, 2.0], [], {}, "b has 0 score"),
    ([1.0, float("nan"), 3.0], [1.0, 2.0], {}, "a: 1 of 3 scores are NaN/inf"),
    ([1.0, 2.0], [1.0, math.inf], {}, "b: 1 of 2 scores are NaN/inf"),
    ([[1.0, 2.0]], [1.0, 2.0], {}, "flat list"),
    ([1.0, 2.0], [1.0, 2.0], {"test": "ks"}, "test must be one of"),
])
def test_bad_inputs(a, b, kwargs, message):
    with pytest.raises(ValueError, match=message):
        compare_scores(a, b, **kwargs)


# ------------------------------------------------------------------------------------- command line
def _compare(*args: str):
    return CliRunner().invoke(main, ["eval", "compare", *args])


def test_cli_compare_reads_quality_json_lists_and_arrays(tmp_path):
    ours, real = [9.1, 9.3, 9.2, 9.4, 9.0], [9.9, 10.1, 10.0, 9.8, 10.2]
    (tmp_path / "ours.json").write_text(json.dumps({"is_mean": 9.2, "is_splits": ours, "kid_subsets": [0.1, 0.2]}))
    (tmp_path / "real.json").write_text(json.dumps(real))
    np.save(tmp_path / "real.npy", np.array(real))
    result = _compare(str(tmp_path / "ours.json"), str(tmp_path / "real.json"), "--key", "is_splits", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["welch_p_value"] == pytest.approx(stats.ttest_ind(ours, real, equal_var=False).pvalue)
    assert out["mannwhitney_p_value"] == pytest.approx(stats.mannwhitneyu(ours, real).pvalue)
    assert out["welch_significant"] is True and out["alpha"] == 0.001 and out["n_a"] == 5
    table = _compare(str(tmp_path / "ours.json"), str(tmp_path / "real.npy"), "--key", "is_splits",
                     "--test", "welch")
    assert table.exit_code == 0 and "welch_p_value" in table.output and "mannwhitney" not in table.output


def test_cli_compare_errors(tmp_path):
    (tmp_path / "two.json").write_text(json.dumps({"is_splits": [1, 2], "kid_subsets": [1, 2]}))
    (tmp_path / "one.json").write_text(json.dumps([3.0]))
    result = _compare(str(tmp_path / "two.json"), str(tmp_path / "two.json"))
    assert result.exit_code == 2 and "--key" in result.output and "is_splits, kid_subsets" in result.output
    result = _compare(str(tmp_path / "two.json"), str(tmp_path / "one.json"), "--key", "is_splits")
    assert result.exit_code == 2 and "b has 1 score" in result.output
    result = _compare(str(tmp_path / "two.json"), str(tmp_path / "nope.json"), "--key", "is_splits")
    assert result.exit_code == 2 and "no such file" in result.output
