"""Mode-collapse metrics and the synthetic mixtures: exact values where a closed form exists."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from hjgan_plugin.datasets import (
    Mixture,
    grid,
    grid_mixture,
    ring,
    ring_mixture,
    uniform_spray,
)
from hjgan_plugin.metrics.mode_collapse import (
    NDB_MIN_SAMPLES_PER_BIN,
    assign_modes,
    jensen_shannon_divergence,
    kmeans,
    mode_coverage,
    ndb_jsd,
    reverse_kl_uniform,
    two_proportion_z_test,
)

# Fraction of an isotropic 2D Gaussian within radius r·σ of its mean: the squared radius / σ² is
# chi-square with 2 degrees of freedom, so P = 1 − exp(−r²/2); r = 3 gives 0.98889 (not 1D's 0.9973).
HQ_2D_3SIGMA = 1.0 - math.exp(-4.5)


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ---------------------------------------------------------------------------------------- datasets
def test_ring_and_grid_geometry():
    r = ring_mixture()
    assert r.n_modes == 8 and r.std == 0.02 and r.threshold_std == 3.0
    assert torch.allclose(r.centers.norm(dim=1), torch.full((8,), 2.0, dtype=torch.float64))
    assert torch.allclose(r.centers[2], torch.tensor([0.0, 2.0], dtype=torch.float64), atol=1e-12)
    g = grid_mixture()
    assert g.n_modes == 25 and g.std == 0.05
    assert sorted(set(g.centers[:, 0].tolist())) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    assert sorted(set(map(tuple, g.centers.tolist()))) == sorted(
        (float(a), float(b)) for a in range(-4, 5, 2) for b in range(-4, 5, 2)
    )
    pac = ring_mixture(radius=1.0, std=0.01)  # PacGAN's released config
    assert torch.allclose(pac.centers.norm(dim=1), torch.ones(8, dtype=torch.float64))


def test_samples_shapes_labels_and_determinism():
    x, idx = ring(1000, gen(0))
    assert x.shape == (1000, 2) and x.dtype == torch.float32 and idx.shape == (1000,)
    assert idx.dtype == torch.int64 and set(idx.tolist()) == set(range(8))
    centers = ring_mixture().centers.float()
    assert float((x - centers[idx]).norm(dim=1).max()) < 6 * 0.02  # each sample near its own mode
    x2, idx2 = ring(1000, gen(0))
    assert torch.equal(x, x2) and torch.equal(idx, idx2)
    y, j = grid(500, gen(1))
    assert y.shape == (500, 2) and int(j.max()) < 25
    assert ring(0)[0].shape == (0, 2)


def test_uniform_spray_box():
    m = grid_mixture()
    u = uniform_spray(4000, m, gen(0))
    assert u.shape == (4000, 2)
    lo, hi = m.bounding_box()
    assert torch.all(u >= lo.float() - 1e-6) and torch.all(u <= hi.float() + 1e-6)
    assert float(hi[0]) == pytest.approx(4.0 + 3 * 0.05)
    u0 = uniform_spray(100, m, gen(0), margin=0.0)
    assert float(u0.abs().max()) <= 4.0 + 1e-6


def test_dataset_bad_input():
    with pytest.raises(ValueError, match="std must be a finite number > 0"):
        ring_mixture(std=0.0)
    with pytest.raises(ValueError, match="modes must be an int >= 1"):
        ring_mixture(modes=0)
    with pytest.raises(ValueError, match="side must be an int >= 1"):
        grid_mixture(side=0)
    with pytest.raises(ValueError, match="n must be an int >= 0"):
        ring(-1)
    with pytest.raises(ValueError, match=r"centers must be \(modes, dim\)"):
        Mixture(centers=torch.zeros(3), std=1.0)
    with pytest.raises(ValueError, match="margin must be"):
        uniform_spray(10, grid_mixture(), margin=-1.0)
    with pytest.raises(TypeError, match="mixture must be a Mixture"):
        uniform_spray(10, "grid")


# ---------------------------------------------------------------------------------------- coverage
@pytest.mark.parametrize("mix", [ring_mixture(), grid_mixture()], ids=lambda m: m.name)
def test_true_samples_cover_everything(mix):
    x, _ = mix.sample(20000, gen(0))
    r = mode_coverage(x, mix)
    print(mix.name, "modes", r["modes"], "hq", r["hq_fraction"], "analytic", HQ_2D_3SIGMA, "rkl", r["reverse_kl"])
    assert r["modes"] == mix.n_modes
    assert mode_coverage(x, mix, min_count=20)["modes"] == mix.n_modes
    # standard error sqrt(.011 * .989 / 20000) = 0.00074; tolerance ~5 SE
    assert r["hq_fraction"] == pytest.approx(HQ_2D_3SIGMA, abs=0.004)
    assert 0.0 <= r["reverse_kl"] < 0.005
    assert r["n"] == 20000 and r["n_nan"] == 0 and r["n_hq"] == int(r["counts"].sum())


def test_assign_modes_threshold():
    mix = ring_mixture()
    c = mix.centers.float()
    x = torch.stack([c[3] + torch.tensor([0.059, 0.0]), c[5] + torch.tensor([0.0, -0.061]), c[0]])
    idx, hq = assign_modes(x, mix)
    assert idx.tolist() == [3, 5, 0] and hq.tolist() == [True, False, True]
    _, hq2 = assign_modes(x, mix, threshold_std=4.0)
    assert hq2.tolist() == [True, True, True]


def test_single_mode_collapse_is_log_k():
    mix = ring_mixture()
    x = mix.centers[2].repeat(500, 1)
    r = mode_coverage(x, mix)
    assert r["modes"] == 1 and r["hq_fraction"] == 1.0
    assert r["reverse_kl"] == pytest.approx(math.log(8), abs=1e-12)
    g = grid_mixture()
    assert mode_coverage(g.centers[7].repeat(30, 1), g)["reverse_kl"] == pytest.approx(math.log(25), abs=1e-12)


def test_two_mode_split_closed_form():
    mix = ring_mixture()
    c = mix.centers
    x = torch.cat([c[0].repeat(300, 1), c[3].repeat(100, 1) + 0.01])  # 0.01·√2 < 3σ = 0.06: still HQ
    r = mode_coverage(x, mix)
    f = 0.75
    expected = f * math.log(8 * f) + (1 - f) * math.log(8 * (1 - f))  # = log 8 − H(0.75, 0.25)
    assert r["modes"] == 2 and r["counts"].tolist() == [300, 0, 0, 100, 0, 0, 0, 0]
    assert r["reverse_kl"] == pytest.approx(expected, abs=1e-12)
    assert mode_coverage(x, mix, min_count=101)["modes"] == 1
    assert reverse_kl_uniform([1, 1, 1, 1]) == 0.0
    assert reverse_kl_uniform([0, 0, 0]) == math.inf


def test_uniform_spray_loose_high_strict_low():
    m = grid_mixture()
    loose, strict = [], []
    for s in range(5):
        u = uniform_spray(2500, m, gen(s))  # VEEGAN's 2500 samples per evaluation
        loose.append(mode_coverage(u, m)["modes"])
        strict.append(mode_coverage(u, m, min_count=20)["modes"])
        hq = mode_coverage(u, m)["hq_fraction"]
        # HQ area fraction: 25·π(0.15)² / 8.3² = 0.0257
        assert hq == pytest.approx(25 * math.pi * 0.15**2 / 8.3**2, abs=0.008)
    print("uniform spray on the grid, 2500 points, 5 seeds: loose", loose, "strict", strict)
    # expected HQ points per mode = 2500 · 0.0257 / 25 = 2.6, so P(mode hit) = 1 − e^−2.6 ≈ 0.93
    assert all(18 <= v <= 25 for v in loose) and np.mean(loose) >= 21
    assert all(v == 0 for v in strict)


def test_nan_rows_counted_and_excluded():
    mix = ring_mixture()
    x, _ = mix.sample(100, gen(0))
    x[::10, 0] = float("nan")
    x[5, 1] = float("inf")
    r = mode_coverage(x, mix)
    assert r["n_nan"] == 11 and r["n"] == 89
    assert r["n_hq"] <= 89 and r["hq_fraction"] == r["n_hq"] / 89
    idx, hq = assign_modes(x, mix)
    assert (idx[::10] == -1).all() and not hq[::10].any()
    with pytest.raises(ValueError, match=r"needs >= 1 finite sample, got 3 rows of which 3 contain NaN"):
        mode_coverage(torch.full((3, 2), float("nan")), mix)


def test_coverage_bad_input():
    mix = grid_mixture()
    with pytest.raises(ValueError, match=r"samples must have shape \(n, 2\), got \(10, 3\)"):
        mode_coverage(torch.zeros(10, 3), mix)
    with pytest.raises(ValueError, match=r"samples must have shape \(n, 2\), got \(10,\)"):
        mode_coverage(torch.zeros(10), mix)
    with pytest.raises(ValueError, match="needs >= 1 finite sample, got 0 rows"):
        mode_coverage(torch.zeros(0, 2), mix)
    with pytest.raises(ValueError, match="min_count must be an int >= 1"):
        mode_coverage(torch.zeros(5, 2), mix, min_count=0)
    with pytest.raises(ValueError, match="threshold_std must be a finite number > 0"):
        assign_modes(torch.zeros(5, 2), mix, threshold_std=-1.0)
    with pytest.raises(ValueError, match="threshold_std must be a finite number > 0"):
        mode_coverage(torch.zeros(5, 2), mix, threshold_std=float("nan"))
    with pytest.raises(TypeError, match="mixture must be a hjgan_plugin.datasets.Mixture"):
        mode_coverage(torch.zeros(5, 2), "grid")
    with pytest.raises(ValueError, match="counts must be finite and >= 0"):
        reverse_kl_uniform([1, -1])


# ---------------------------------------------------------------------------------------- NDB / JSD
def test_jsd_exact_values():
    assert jensen_shannon_divergence([1, 2, 3], [2, 4, 6]) == pytest.approx(0.0, abs=1e-15)
    assert jensen_shannon_divergence([1, 1, 0, 0], [0, 0, 3, 5]) == pytest.approx(math.log(2), abs=1e-12)
    # closed form for p = (1, 0), q = (1/2, 1/2): m = (3/4, 1/4)
    expected = 0.5 * math.log(4 / 3) + 0.5 * (0.5 * math.log(0.5 / 0.75) + 0.5 * math.log(0.5 / 0.25))
    assert jensen_shannon_divergence([1, 0], [1, 1]) == pytest.approx(expected, abs=1e-12)
    with pytest.raises(ValueError, match="same length"):
        jensen_shannon_divergence([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="positive sum"):
        jensen_shannon_divergence([0, 0], [1, 1])


def test_z_test_exact():
    # p1 = .5, n1 = 100, p2 = .3, n2 = 100: pooled .4, SE = sqrt(.24 · .02), z = .2 / SE = 2.8868
    z, pv, diff = two_proportion_z_test(np.array([0.5, 0.3, 0.0]), 100, np.array([0.3, 0.3, 0.0]), 100)
    assert z[0] == pytest.approx(0.2 / math.sqrt(0.24 * 0.02), rel=1e-12)
    assert pv[0] == pytest.approx(math.erfc(z[0] / math.sqrt(2)), rel=1e-12)
    assert diff.tolist() == [True, False, False] and z[2] == 0.0 and pv[2] == 1.0


def test_kmeans_deterministic():
    x, _ = grid(2000, gen(0))
    c1, l1 = kmeans(x, 10, seed=3)
    c2, l2 = kmeans(x, 10, seed=3)
    assert np.array_equal(c1, c2) and np.array_equal(l1, l2)
    assert np.bincount(l1, minlength=10).min() >= 1
    with pytest.raises(ValueError, match="kmeans needs >= k = 10 samples, got 5"):
        kmeans(x[:5], 10)


def test_ndb_same_distribution_small():
    ndbs, jsds = [], []
    for s in range(4):
        train = torch.randn(6000, 2, generator=gen(100 + s))
        generated = torch.randn(1500, 2, generator=gen(200 + s))
        r = ndb_jsd(train, generated, k=20, seed=s)
        ndbs.append(r["ndb"])
        jsds.append(r["jsd"])
    print("NDB same distribution (k=20, alpha=.05):", ndbs, "JSD", np.round(jsds, 4))
    # null expectation alpha·k = 1 per run; bins are only weakly correlated
    assert np.mean(ndbs) <= 0.05 * 20 + 1.0 and max(ndbs) <= 4
    assert max(jsds) < 0.01


def test_ndb_shifted_and_collapsed_large():
    train = torch.randn(6000, 2, generator=gen(0))
    shifted = torch.randn(1500, 2, generator=gen(1)) + torch.tensor([0.5, 0.0])
    r = ndb_jsd(train, shifted, k=20)
    print("NDB shifted by 0.5σ:", r["ndb"], "JSD", r["jsd"])
    assert r["ndb"] >= 10 and r["ndb_over_k"] == r["ndb"] / 20 and r["jsd"] > 0.02
    ring_train, _ = ring(4000, gen(2))
    collapsed = ring_mixture().centers[0].float() + 0.02 * torch.randn(400, 2, generator=gen(3))
    r2 = ndb_jsd(ring_train, collapsed, k=8)
    print("NDB ring collapsed to one mode (k=8):", r2["ndb"], "JSD", r2["jsd"])
    assert r2["ndb"] >= 7 and r2["jsd"] > 0.4


def test_ndb_nan_and_bad_input():
    train = torch.randn(300, 2, generator=gen(0))
    generated = torch.randn(120, 2, generator=gen(1))
    generated[:5] = float("nan")
    r = ndb_jsd(train, generated, k=10)
    assert r["n_nan"] == 5 and r["n"] == 115 and r["n_nan_train"] == 0
    assert r["generated_proportions"].sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="same feature dimension d, got 2 and 3"):
        ndb_jsd(train, torch.zeros(200, 3), k=10)
    with pytest.raises(ValueError, match=r"generated must have shape \(n, d\), got \(200,\)"):
        ndb_jsd(train, torch.zeros(200), k=10)
    need = NDB_MIN_SAMPLES_PER_BIN * 10
    with pytest.raises(ValueError, match=f"needs >= 10\\*k = {need} finite generated samples for k = 10 bins, got 95"):
        ndb_jsd(train, generated[:100], k=10)
    with pytest.raises(ValueError, match="finite train samples for k = 50 bins, got 300"):
        ndb_jsd(train, generated, k=50)
    with pytest.raises(ValueError, match="k must be an int >= 2"):
        ndb_jsd(train, generated, k=1)
    with pytest.raises(ValueError, match="k must be an int >= 2"):
        ndb_jsd(train, generated, k=2.5)
    with pytest.raises(ValueError, match=r"alpha must be a number in \(0, 1\)"):
        ndb_jsd(train, generated, k=10, alpha=1.5)
