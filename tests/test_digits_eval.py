"""Stacked-Digits mode counting, the digit classifier and FD-digits (hjgan_plugin.metrics.digits)."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

pytest.importorskip("sklearn")

from hjgan_plugin.datasets.digits import (  # noqa: E402
    N_MODES,
    load_digits_split,
    load_digits_tensor,
    mode_index,
    split_indices,
    stacked_digits,
)
from hjgan_plugin.metrics.digits import (  # noqa: E402
    DigitClassifier,
    FewSamplesWarning,
    NonFiniteSamplesWarning,
    expected_modes_uniform,
    fd_digits,
    frechet_distance,
    stacked_mode_stats,
)


@pytest.fixture(scope="module")
def clf() -> DigitClassifier:
    return DigitClassifier(seed=0).fit()


@pytest.fixture(scope="module")
def stacked_test():
    # 4000 samples: a perfect uniform sampler covers 1000 (1 - e^-4) ~ 982 modes on average.
    return stacked_digits(4000, torch.Generator().manual_seed(1), split="test")


# -- data -------------------------------------------------------------------------------------------
def test_digits_tensor_and_split():
    x, y = load_digits_tensor()
    assert x.shape == (1797, 1, 8, 8) and x.dtype == torch.float32
    assert float(x.min()) == 0.0 and float(x.max()) == 1.0
    assert y.shape == (1797,) and set(y.tolist()) == set(range(10))
    train, test = split_indices("train"), split_indices("test")
    assert len(train) + len(test) == 1797 and len(test) == 359
    assert not set(train.tolist()) & set(test.tolist())
    assert torch.equal(split_indices("test"), test)  # fixed split
    with pytest.raises(ValueError, match="split must be one of"):
        split_indices("val")


def test_stacked_digits_shapes_and_modes():
    x, labels, modes = stacked_digits(50, torch.Generator().manual_seed(0), split="test")
    assert x.shape == (50, 3, 8, 8) and labels.shape == (50, 3) and modes.shape == (50,)
    assert torch.equal(modes, 100 * labels[:, 0] + 10 * labels[:, 1] + labels[:, 2])
    xt, yt = load_digits_split("test")
    # every channel is one of the split's digit images, with its label
    flat = x.reshape(-1, 64)
    match = (flat[:, None, :] == xt.reshape(1, -1, 64)).all(dim=2)
    assert match.any(dim=1).all()
    again = stacked_digits(50, torch.Generator().manual_seed(0), split="test")
    assert torch.equal(again[0], x)
    with pytest.raises(ValueError, match="positive int"):
        stacked_digits(0)
    with pytest.raises(ValueError, match=r"\(n, 3\)"):
        mode_index(torch.zeros(4, 2, dtype=torch.long))


# -- classifier -------------------------------------------------------------------------------------
def test_classifier_held_out_accuracy(clf):
    assert clf.accuracy("test") >= 0.95


def test_classifier_save_load_roundtrip(clf, tmp_path):
    path = tmp_path / "digits.pt"
    clf.save(path)
    loaded = DigitClassifier.load(path)
    x, _ = load_digits_split("test")
    assert torch.equal(loaded.predict(x), clf.predict(x))
    assert torch.allclose(loaded.features(x), clf.features(x))
    assert clf.features(x).shape == (len(x), clf.feature_dim)


def test_classifier_refusals(clf, tmp_path):
    missing = tmp_path / "nowhere" / "digit_clf.pt"
    with pytest.raises(FileNotFoundError, match="digit_clf.pt"):
        DigitClassifier.load(missing)
    with pytest.raises(RuntimeError, match="call fit"):
        DigitClassifier(seed=0).predict(torch.zeros(2, 1, 8, 8))
    with pytest.raises(ValueError, match=r"\(n, 1, 8, 8\)"):
        clf.predict(torch.zeros(2, 1, 28, 28))
    with pytest.warns(UserWarning, match=r"\(x \+ 1\) / 2"):
        clf.predict(torch.full((2, 1, 8, 8), -1.0))


# -- Stacked-Digits modes ---------------------------------------------------------------------------
def test_stacked_real_digits_cover_modes(clf, stacked_test):
    x, labels, modes = stacked_test
    pred = clf.predict(x.reshape(-1, 1, 8, 8)).reshape(-1, 3)
    assert (pred == labels).float().mean() >= 0.95  # per digit
    assert (mode_index(pred) == modes).float().mean() >= 0.9  # all three right
    with pytest.warns(FewSamplesWarning, match="26000"):
        stats = stacked_mode_stats(x, clf)
    assert stats["n"] == 4000 and stats["n_nan"] == 0
    assert stats["modes"] >= 900
    assert stats["modes"] <= 1000
    # finite-sample KL of a perfect sampler is ~ (K-1)/(2n) = 0.125 here; misclassification adds a bit
    assert stats["reverse_kl"] < 0.3
    assert stats["modes_expected_uniform"] == pytest.approx(expected_modes_uniform(4000))


def test_single_mode_gives_ln1000(clf, stacked_test):
    one = stacked_test[0][:1].expand(12_000, 3, 8, 8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 12,000 >= 10,000: no sample-size warning
        stats = stacked_mode_stats(one, clf)
    assert stats["modes"] == 1
    assert stats["reverse_kl"] == math.log(1000)
    assert N_MODES == 1000


def test_stacked_mode_stats_nan_and_shapes(clf, stacked_test):
    x = stacked_test[0][:200].clone()
    x[3, 1, 2, 2] = float("nan")
    x[7] = float("nan")
    with pytest.warns(NonFiniteSamplesWarning, match="2 of 200"), pytest.warns(FewSamplesWarning):
        stats = stacked_mode_stats(x, clf)
    assert stats["n_nan"] == 2 and stats["n"] == 198
    for bad in (torch.zeros(5, 1, 8, 8), torch.zeros(5, 3, 28, 28), torch.zeros(3, 8, 8)):
        with pytest.raises(ValueError, match=r"\(n, 3, 8, 8\)"):
            stacked_mode_stats(bad, clf)
    with pytest.raises(ValueError, match="no finite samples"), pytest.warns(NonFiniteSamplesWarning):
        stacked_mode_stats(torch.full((4, 3, 8, 8), float("nan")), clf)


# -- Frechet distance -------------------------------------------------------------------------------
def test_frechet_identical_gaussians_is_zero():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(6, 6))
    sigma = a @ a.T + 0.1 * np.eye(6)
    mu = rng.normal(size=6)
    assert frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0.0, abs=1e-8)


def test_frechet_diagonal_closed_form():
    rng = np.random.default_rng(1)
    mu1, mu2 = rng.normal(size=5), rng.normal(size=5)
    s1, s2 = rng.uniform(0.1, 3.0, size=5), rng.uniform(0.1, 3.0, size=5)
    # diagonal case: ||mu1 - mu2||^2 + sum_i (s1_i + s2_i - 2 sqrt(s1_i s2_i))
    expected = np.sum((mu1 - mu2) ** 2) + np.sum(s1 + s2 - 2 * np.sqrt(s1 * s2))
    got = frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2))
    assert got == pytest.approx(expected, rel=1e-9)


def test_frechet_singular_covariance_and_shapes():
    sigma = np.diag([1.0, 0.0, 2.0])  # rank-deficient: handled like pytorch-fid (finite result)
    assert math.isfinite(frechet_distance(np.zeros(3), sigma, np.ones(3), sigma))
    with pytest.raises(ValueError, match="equal length"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))
    with pytest.raises(ValueError, match=r"\(3, 3\)"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(3), np.eye(2))


# -- FD-digits --------------------------------------------------------------------------------------
def test_fd_digits_real_vs_real_small_vs_noise_large(clf):
    x_test, _ = load_digits_split("test")
    x_train, _ = load_digits_split("train")
    same = fd_digits(x_train, x_test, clf)
    noise = fd_digits(x_train, torch.rand(359, 1, 8, 8, generator=torch.Generator().manual_seed(0)), clf)
    assert same >= 0.0
    assert noise > 20 * same
    # a real subset is also close; stacked images count each channel as a digit
    subset = fd_digits(x_train, x_train[:400], clf)
    assert subset < noise / 10
    stacked = stacked_digits(200, torch.Generator().manual_seed(2), split="test")[0]
    assert fd_digits(stacked, stacked_digits(200, torch.Generator().manual_seed(3))[0], clf) < noise / 10


def test_fd_digits_refusals(clf):
    x_test, _ = load_digits_split("test")
    with pytest.raises(ValueError, match="at least 65"):
        fd_digits(x_test, x_test[:64], clf)
    with pytest.raises(ValueError, match="same channels"):
        fd_digits(x_test, torch.zeros(100, 3, 8, 8), clf)
    with pytest.raises(ValueError, match=r"8, 8"):
        fd_digits(x_test, torch.zeros(100, 1, 28, 28), clf)
    fake = x_test.clone()
    fake[:5] = float("nan")
    with pytest.warns(NonFiniteSamplesWarning, match="5 of 359"):
        assert math.isfinite(fd_digits(x_test, fake, clf))


def test_stacked_mode_stats_confident_fraction(clf, stacked_test):
    x = stacked_test[0][:300].clone()
    x[:100, 2] = 0.5  # flat grey third digit: no confident class
    with pytest.warns(FewSamplesWarning):
        stats = stacked_mode_stats(x, clf, confidence=0.9)
    top = clf.logits(x.reshape(-1, 1, 8, 8)).softmax(1).max(1).values.reshape(-1, 3)
    assert stats["confident"] == pytest.approx(float((top >= 0.9).all(1).double().mean()), abs=0)
    assert stats["confident"] <= 200 / 300 + 1e-12 < 1.0
    with pytest.warns(FewSamplesWarning):
        assert "confident" not in stacked_mode_stats(x, clf)
        assert stacked_mode_stats(x, clf, confidence=1.0)["confident"] <= stats["confident"]
    for bad in (0.0, -0.5, 1.5):
        with pytest.raises(ValueError, match=r"confidence must be in \(0, 1\]"):
            stacked_mode_stats(x, clf, confidence=bad)
