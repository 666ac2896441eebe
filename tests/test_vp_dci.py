"""VP (Zhu et al. 2020), DCI (Eastwood & Williams 2018) and the dSprites-like renderer: checks with known answers."""
import math

import numpy as np
import pytest
import torch

from hjgan_plugin.datasets.dsprites import (BASE, FACTOR_NAMES, FACTOR_RANGES, SHAPES, render,
                                            sample_factors)
from hjgan_plugin.metrics.dci import completeness_from_importance, dci, disentanglement_from_importance
from hjgan_plugin.metrics.vp import variation_pairs, vp_score

D = 4  # latent dimensions of the toy generators; chance VP = 1/D


def _quadrants(u: torch.Tensor) -> torch.Tensor:
    """Draw latent k as the brightness u_k² of image quadrant k (8×8 image). The square makes the
    brightness change's sign depend on z, so only *where* the image changes says which latent moved."""
    v = (u ** 2)[:, :, None, None].expand(-1, -1, 4, 4)  # (n, 4, 4, 4)
    top = torch.cat([v[:, 0], v[:, 1]], 2)
    bottom = torch.cat([v[:, 2], v[:, 3]], 2)
    return torch.cat([top, bottom], 1).unsqueeze(1)


_ROT = torch.linalg.qr(torch.randn(D, D, generator=torch.Generator().manual_seed(1)))[0]
VP_KW = dict(n_pairs=2000, train_fraction=0.1, runs=1, epochs=15, seed=0)


# --------------------------------------------------------------------------- VP

def test_variation_pairs_change_exactly_one_dimension():
    diff, d = variation_pairs(lambda z: z, 500, D, generator=torch.Generator().manual_seed(0))
    assert diff.shape == (500, D) and d.dtype == torch.int64
    changed = diff != 0
    assert torch.equal(changed.sum(1), torch.ones(500, dtype=torch.int64))  # resampled: one coordinate
    assert torch.equal(changed.float().argmax(1), d)
    assert torch.bincount(d, minlength=D).min() > 90  # d uniform over the dimensions
    diff, d = variation_pairs(lambda z: z, 100, D, generator=torch.Generator().manual_seed(0), delta=0.5)
    assert torch.allclose(diff[torch.arange(100), d], torch.full((100,), 0.5))
    assert float(diff.abs().sum()) == pytest.approx(50.0, abs=1e-4)
    a, _ = variation_pairs(_quadrants, 50, D, generator=torch.Generator().manual_seed(3))
    b, _ = variation_pairs(_quadrants, 50, D, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


def test_vp_disentangled_generator_is_near_one():
    # Only quadrant d changes; the rare misses are pairs with |z'_d| ≈ |z_d| (no visible change).
    assert vp_score(_quadrants, D, **VP_KW) >= 0.95


def test_vp_entangled_generator_is_clearly_lower():
    ideal = vp_score(_quadrants, D, **VP_KW)
    rotated = vp_score(lambda z: _quadrants(z @ _ROT.T), D, **VP_KW)
    assert rotated < 0.8 and rotated < ideal - 0.2
    assert rotated > 1 / D + 0.1  # still above chance: magnitudes carry some information


def test_vp_of_generator_ignoring_z_is_chance():
    mean, runs = vp_score(lambda z: torch.zeros(z.shape[0], 1, 8, 8), D, return_runs=True,
                          **{**VP_KW, "runs": 2})
    assert len(runs) == 2 and mean == pytest.approx(sum(runs) / 2)
    assert abs(mean - 1 / D) < 0.05


def test_vp_flat_outputs_use_mlp():
    assert vp_score(lambda z: torch.tanh(z), D, **{**VP_KW, "epochs": 60}) >= 0.97


def test_vp_bad_inputs():
    with pytest.raises(ValueError, match="latent_dim >= 2"):
        vp_score(lambda z: z, 1)
    with pytest.raises(ValueError, match=r"too few pairs.*n_pairs >= 200"):
        vp_score(lambda z: z, D, n_pairs=100, train_fraction=0.1)

    def nan_g(z):
        out = z.clone()
        out[:7, 0] = float("nan")  # the first 7 rows of every batch
        return out

    with pytest.raises(ValueError, match="7 of 300 pairs have NaN"):
        variation_pairs(nan_g, 300, D)
    with pytest.raises(ValueError, match="train_fraction"):
        vp_score(lambda z: z, D, train_fraction=1.0)


# --------------------------------------------------------------------------- DCI

def test_dci_entropy_formulas_on_known_importance():
    assert disentanglement_from_importance(np.eye(3))[0] == pytest.approx(1.0)
    assert completeness_from_importance(np.eye(3))[0] == pytest.approx(1.0)
    assert disentanglement_from_importance(np.ones((3, 2)))[0] == pytest.approx(0.0)
    assert completeness_from_importance(np.ones((3, 2)))[0] == pytest.approx(0.0)
    # R = [[1, 1], [0, 1]]: latent 0 splits evenly (D_0 = 0), latent 1 is pure (D_1 = 1); ρ = (2/3, 1/3)
    d, d_per = disentanglement_from_importance(np.array([[1.0, 1.0], [0.0, 1.0]]))
    assert d_per == pytest.approx([0.0, 1.0]) and d == pytest.approx(1 / 3)
    # factor 0 has one latent (C_0 = 1), factor 1 two equal ones (C_1 = 0)
    c, c_per = completeness_from_importance(np.array([[1.0, 1.0], [0.0, 1.0]]))
    assert c_per == pytest.approx([1.0, 0.0]) and c == pytest.approx(0.5)
    # base-K logs: latent spread (1/2, 1/4, 1/4) over K = 3 factors → 1 − 1.5·ln2/ln3
    d, _ = disentanglement_from_importance(np.array([[2.0, 1.0, 1.0]]))
    assert d == pytest.approx(1 - 1.5 * math.log(2) / math.log(3))


def _factors(n=600, k=3, seed=0):
    return np.random.default_rng(seed).uniform(size=(n, k))


@pytest.mark.parametrize("regressor", ["gbt", "lasso"])
def test_dci_identity_vs_rotation_vs_noise(regressor):
    f = _factors()
    rng = np.random.default_rng(1)
    ident = dci(f + 0.01 * rng.normal(size=f.shape), f, regressor=regressor)
    assert ident["disentanglement"] > 0.95 and ident["completeness"] > 0.95
    assert ident["informativeness"] > 0.95 and np.all(ident["errors"] < 0.25)
    q = np.linalg.qr(np.random.default_rng(2).normal(size=(3, 3)))[0]
    rot = dci(f @ q.T, f, regressor=regressor)
    assert rot["disentanglement"] < 0.7 and rot["completeness"] < 0.7
    assert rot["informativeness"] > 0.9  # the information is all there, just mixed
    noise = dci(rng.normal(size=f.shape), f, regressor=regressor)
    assert noise["informativeness"] < 0.1 and np.all(noise["errors"] > 0.9)


def test_dci_permuted_monotone_latents_are_disentangled():
    f = _factors()
    lat = np.stack([f[:, 2] ** 3, np.exp(f[:, 0]), -f[:, 1]], 1)  # a permutation, non-linear per axis
    out = dci(lat, f)
    assert out["disentanglement"] > 0.95 and out["completeness"] > 0.95
    assert np.argmax(out["importance"], 0).tolist() == [1, 2, 0]


def test_dci_bad_inputs():
    f = _factors()
    with pytest.raises(ValueError, match="same number of samples"):
        dci(f[:-1], f)
    bad = f.copy()
    bad[[3, 9, 12], 1] = np.nan
    with pytest.raises(ValueError, match="latents: 3 of 600 samples contain NaN"):
        dci(bad, f)
    with pytest.raises(ValueError, match=r"too few samples.*n >= 46 at"):
        dci(f[:20], f[:20])
    with pytest.raises(ValueError, match="at least 2 latents and 2 factors"):
        dci(f, f[:, :1])
    const = f.copy()
    const[:, 2] = 1.0
    with pytest.raises(ValueError, match=r"\[2\] are constant"):
        dci(f, const)
    with pytest.raises(ValueError, match="regressor"):
        dci(f, f, regressor="forest")


# --------------------------------------------------------------------------- dSprites renderer

def _row(shape, scale, rot, x, y):
    return torch.tensor([[float(shape), scale, rot, x, y]])


def test_sample_factors_ranges_and_determinism():
    f = sample_factors(3000, torch.Generator().manual_seed(0))
    assert f.shape == (3000, len(FACTOR_NAMES))
    assert set(f[:, 0].tolist()) == {0.0, 1.0, 2.0}
    for j, (lo, hi) in enumerate(FACTOR_RANGES):
        assert lo <= f[:, j].min() and f[:, j].max() <= hi
    assert torch.equal(f, sample_factors(3000, torch.Generator().manual_seed(0)))
    img = render(f[:200])
    assert img.shape == (200, 1, 32, 32) and 0 <= img.min() and img.max() <= 1
    assert torch.equal(img, render(f[:200]))
    assert (img.sum((1, 2, 3)) > 0).all()
    # shapes stay inside the frame: no mass on the border pixels at any factor value in range
    border = img[:, 0, [0, -1], :].sum() + img[:, 0, :, [0, -1]].sum()
    assert float(border) == 0.0


@pytest.mark.parametrize("scale,rot", [(0.5, 0.0), (0.75, 0.4), (1.0, 1.1), (1.0, math.pi / 4)])
def test_shape_areas(scale, rot):
    size, ss = 32, 8
    s = scale * BASE * size  # side in pixels
    img = render(torch.cat([_row(0, scale, rot, 0.5, 0.5), _row(1, scale, rot, 0.47, 0.53)]), size, ss=ss)
    area = img.sum((1, 2, 3))
    # supersampling error: each side's length is off by at most 1/ss pixel (one sample spacing)
    assert float(area[0]) == pytest.approx(s * s, abs=2 * s / ss)
    assert float(area[1]) == pytest.approx(math.pi * (s / 2) * (s / 4), abs=2 * s / ss)


def test_rotation_by_90_degrees():
    size = 32
    for rot in (0.0, 0.3, 1.0):
        # a square turned by 90° about its own centre is the same set; the centre sits on a pixel corner
        a = render(_row(0, 0.8, rot, 10 / size, 17 / size), size)
        b = render(_row(0, 0.8, rot + math.pi / 2, 10 / size, 17 / size), size)
        assert torch.equal(a, b)
        for code in range(len(SHAPES)):  # any shape at the image centre: θ + 90° is the image turned
            a = render(_row(code, 0.9, rot, 0.5, 0.5), size)
            b = render(_row(code, 0.9, rot + math.pi / 2, 0.5, 0.5), size)
            assert torch.equal(b, torch.rot90(a, -1, (2, 3)))  # clockwise on screen (rows grow down)
    heart = render(_row(2, 1.0, 0.0, 0.5, 0.5), size)
    assert not torch.equal(heart, render(_row(2, 1.0, math.pi / 2, 0.5, 0.5), size))


def _centroid(img):
    img = img[:, 0].double()
    m = img.sum((1, 2))
    c = torch.arange(img.shape[-1], dtype=torch.float64) + 0.5
    return torch.stack([(img.sum(1) * c).sum(1) / m, (img.sum(2) * c).sum(1) / m], 1)


def test_shift_moves_centroid_exactly():
    size = 32
    base = torch.tensor([[0, 0.7, 0.3, 0.4, 0.45], [1, 0.9, 2.0, 0.41, 0.6], [2, 0.6, 5.0, 0.33, 0.5]])
    moved = base.clone()
    moved[:, 3] += 5 / size
    moved[:, 4] -= 3 / size
    a, b = render(base, size), render(moved, size)
    assert torch.equal(b, torch.roll(a, (-3, 5), (2, 3)))  # whole pixels: the same image, shifted
    assert torch.allclose(_centroid(b) - _centroid(a), torch.tensor([5.0, -3.0], dtype=torch.float64), atol=1e-9)
    # sub-pixel shift: the centroid follows to within the supersampling resolution
    sub = base.clone()
    sub[:, 3] += 0.37 / size
    shift = _centroid(render(sub, size, ss=8))[:, 0] - _centroid(render(base, size, ss=8))[:, 0]
    assert torch.allclose(shift, torch.full((3,), 0.37, dtype=torch.float64), atol=0.03)
    # the shape's centroid is where the factors put it (square and ellipse are point-symmetric)
    c = _centroid(render(base[:2], size, ss=8))
    assert torch.allclose(c, base[:2, 3:].double() * size, atol=0.02)


def test_render_bad_inputs():
    with pytest.raises(ValueError, match=r"shape \(n, 5\)"):
        render(torch.zeros(3, 4))
    with pytest.raises(ValueError, match="shape codes must be in 0..2"):
        render(_row(3, 1.0, 0.0, 0.5, 0.5))
    bad = torch.cat([_row(0, 1.0, 0.0, 0.5, 0.5), _row(0, float("nan"), 0.0, 0.5, 0.5)])
    with pytest.raises(ValueError, match="1 of 2 factor rows contain NaN"):
        render(bad)
