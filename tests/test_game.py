"""Eagle-Dove game (docs/design.md §3): the equilibrium checked from the payoff matrix itself."""
from __future__ import annotations

import numpy as np
import pytest

from hjgan_plugin import EagleDove


def expected_payoffs(game: EagleDove, p: float, q: float):
    """Each pure strategy's expected payoff against the opponent's mix, read off the matrix."""
    m = game.payoff_matrix()
    row = [m[r, 0, 0] * q + m[r, 1, 0] * (1 - q) for r in range(2)]  # G's Eagle/Dove vs D playing Eagle w.p. q
    col = [m[0, c, 1] * p + m[1, c, 1] * (1 - p) for c in range(2)]  # D's Eagle/Dove vs G playing Eagle w.p. p
    return row, col


@pytest.mark.parametrize("v,c,k", [(1, 2, 0.5), (1, 3, 0.25), (2, 5, 0.7), (0.3, 10, 0.1), (1, 1.0001, 0.5)])
def test_mixed_equilibrium_makes_each_player_indifferent(v, c, k):
    game = EagleDove(v, c, k)
    p, q = game.equilibrium()
    assert 0 < p < 1 and 0 < q < 1
    row, col = expected_payoffs(game, p, q)
    assert row[0] == pytest.approx(row[1], rel=1e-12, abs=1e-12)
    assert col[0] == pytest.approx(col[1], rel=1e-12, abs=1e-12)


def test_payoff_matrix_is_the_papers():
    m = EagleDove(1.0, 3.0, 0.25).payoff_matrix()
    fight = (1 - 3) / (4 * 0.25)
    np.testing.assert_allclose(m, [[[fight, fight], [1, 0]], [[0, 1], [0.25, 0.75]]])


@pytest.mark.parametrize("v,c", [(1, 2), (1, 4), (3, 7)])
def test_classic_hawk_dove_at_half_split(v, c):
    alpha, beta = EagleDove(v, c, 0.5).coefficients()
    assert alpha == pytest.approx(v / c) and beta == pytest.approx(v / c)


def test_default_game_gives_one_half():
    assert EagleDove().coefficients() == (0.5, 0.5)


@pytest.mark.parametrize("c", [0.5, 1.0])
def test_eagle_dominates_when_cost_does_not_exceed_value(c):
    game = EagleDove(1.0, c, 0.3)
    assert game.coefficients() == (1.0, 1.0)
    m = game.payoff_matrix()
    assert m[0, 0, 0] >= m[1, 0, 0] and m[0, 1, 0] >= m[1, 1, 0]  # Eagle is a best reply to both


@pytest.mark.parametrize("kwargs,match", [
    (dict(v=0), "value v must be > 0"), (dict(v=-1), "value v must be > 0"),
    (dict(c=0), "cost c must be > 0"), (dict(split=0), r"split must lie in \(0, 1\)"),
    (dict(split=1), r"split must lie in \(0, 1\)"), (dict(split=1.5), r"split must lie"),
    (dict(v=float("nan")), "must be finite"),
])
def test_invalid_parameters_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        EagleDove(**kwargs)


def test_describe_shows_matrix_and_coefficients():
    text = EagleDove(1, 3, 0.25).describe()
    p, q = EagleDove(1, 3, 0.25).equilibrium()
    assert "Eagle" in text and "Dove" in text and f"alpha = {p:.6g}" in text and f"beta = {q:.6g}" in text
