"""The squares testbed (docs/design.md §8): data, models and the MIG metric: exact checks."""
import math

import numpy as np
import pytest
import torch

from hjgan_plugin.metrics import discrete_entropy, discrete_mutual_info, discretize, mig
from hjgan_plugin.testbed import (FACTOR_RANGES, Discriminator, Generator, SquaresDataset,
                                  factors_from_images, render, sample_factors, valid_fraction)


def _factors(n=4000, seed=0):
    return sample_factors(n, torch.Generator().manual_seed(seed))


def test_sample_factors_ranges_and_seed():
    f = _factors()
    assert f.shape == (4000, 3) and f.dtype == torch.float32
    for j, (lo, hi) in enumerate(FACTOR_RANGES):
        assert f[:, j].min() >= lo and f[:, j].max() <= hi
        assert f[:, j].min() < lo + 0.05 and f[:, j].max() > hi - 0.05  # spread over the range
    assert torch.equal(f, _factors())


def test_render_exact_area_coverage():
    f = _factors()
    img = render(f)
    assert img.shape == (4000, 1, 16, 16)
    assert img.min() >= 0 and img.max() <= 1
    # total mass is the square's area, exactly
    torch.testing.assert_close(img.sum((1, 2, 3)), f[:, 2] ** 2, rtol=0, atol=1e-4)
    # a hand-computed case: x = 6.25, y = 8.0, side 3 -> columns [4.75, 7.75], rows [6.5, 9.5]
    one = render(torch.tensor([[6.25, 8.0, 3.0]]))[0, 0]
    cols = torch.zeros(16)
    cols[4], cols[5], cols[6], cols[7] = 0.25, 1, 1, 0.75
    rows = torch.zeros(16)
    rows[6], rows[7], rows[8], rows[9] = 0.5, 1, 1, 0.5
    torch.testing.assert_close(one, rows[:, None] * cols[None, :], rtol=0, atol=1e-6)


def test_factors_from_images_recovers_factors():
    f = _factors(seed=1)
    got = factors_from_images(render(f))
    assert (got - f).abs().max() < 1e-4
    # also on squares aligned with pixel edges (coverage exactly 0 or 1)
    g = torch.tensor([[6.5, 9.5, 3.0], [8.0, 8.0, 4.0], [5.0, 11.0, 6.0]])
    assert (factors_from_images(render(g)) - g).abs().max() < 1e-5


def test_valid_fraction():
    img = render(_factors(2000, seed=2))
    assert valid_fraction(img) == 1.0
    noise = torch.rand(2000, 1, 16, 16, generator=torch.Generator().manual_seed(3))
    assert valid_fraction(noise) == 0.0
    assert valid_fraction(torch.zeros(5, 1, 16, 16)) == 0.0
    two = render(torch.tensor([[5.0, 5.0, 3.0]])) + render(torch.tensor([[11.0, 11.0, 3.0]]))
    assert valid_fraction(two) == 0.0  # two squares are not one square
    blurred = torch.nn.functional.avg_pool2d(img, 3, stride=1, padding=1)
    assert valid_fraction(blurred) < 0.5


def test_dataset_is_seeded():
    a, fa = SquaresDataset(seed=7).batch(16)
    b, fb = SquaresDataset(seed=7).batch(16)
    assert torch.equal(a, b) and torch.equal(fa, fb)
    assert (factors_from_images(a) - fa).abs().max() < 1e-4


def test_models_shapes():
    torch.manual_seed(0)
    G, D = Generator(), Discriminator()
    z = G.sample_z(8)
    x = G(z)
    assert z.shape == (8, 3) and x.shape == (8, 1, 16, 16)
    assert x.min() > 0 and x.max() < 1
    assert D(x).shape == (8,)
    sizes = [m.out_features for m in G.modules() if isinstance(m, torch.nn.Linear)]
    assert sizes == [128, 256, 256, 256]
    assert sum(isinstance(m, torch.nn.Conv2d) for m in D.modules()) == 2


# ----------------------------------------------------------------------------- MIG
def test_mig_identity_is_one():
    rng = np.random.default_rng(0)
    f = rng.uniform(size=(10_000, 3))
    assert mig(f, f) > 0.98
    # permuted and affinely rescaled latents bin identically
    assert mig(3 * f[:, [2, 0, 1]] - 1, f) == pytest.approx(mig(f, f), abs=1e-12)
    assert mig(torch.tensor(f), torch.tensor(f)) == pytest.approx(mig(f, f))


def test_mig_independent_is_zero():
    rng = np.random.default_rng(1)
    assert mig(rng.normal(size=(10_000, 3)), rng.uniform(size=(10_000, 3))) < 0.02


def test_mig_closed_form():
    # factor v uniform on 8 values (3 bits); z1 = v // 2 carries 2 bits, z2 = v // 4 carries 1 bit:
    # MIG = (2 - 1) / 3 exactly (balanced counts, so the plug-in estimates are exact).
    v = np.repeat(np.arange(8), 125).astype(float)
    z = np.stack([v // 2, v // 4], 1)
    value, per_factor = mig(z, v, return_per_factor=True)
    assert value == pytest.approx(1 / 3, abs=1e-12)
    assert per_factor.shape == (1,)
    # two latents that both encode both factors (z1 = v1 + 2·v2, z2 = v2 + 2·v1) leave no gap
    v1, v2 = np.meshgrid(np.arange(2), np.arange(2))
    fac = np.repeat(np.stack([v1.ravel(), v2.ravel()], 1), 50, 0).astype(float)
    mixed = np.stack([fac[:, 0] + 2 * fac[:, 1], fac[:, 1] + 2 * fac[:, 0]], 1)
    assert mig(mixed, fac) == pytest.approx(0.0, abs=1e-12)
    # while one of them alone with a constant latent is perfectly "disentangled" by MIG's definition
    assert mig(np.stack([mixed[:, 0], np.zeros(len(fac))], 1), fac) == pytest.approx(1.0, abs=1e-12)


def test_mig_helpers():
    codes = discretize(np.array([[0.0], [0.5], [1.0]]), bins=2)
    assert codes.ravel().tolist() == [0, 1, 1]
    assert discretize(np.linspace(0, 1, 100)[:, None], bins=20).max() == 19
    c = np.repeat(np.arange(4), 10)[:, None]
    assert discrete_entropy(c)[0] == pytest.approx(math.log(4))
    assert discrete_mutual_info(c, c)[0, 0] == pytest.approx(math.log(4))
    with pytest.raises(ValueError):
        mig(np.zeros((10, 2)), np.ones((10, 1)))  # constant factor: undefined
    with pytest.raises(ValueError):
        mig(np.zeros((10, 2)), np.ones((9, 1)))


def test_write_pngs_saves_the_rendered_squares(tmp_path):
    from PIL import Image

    from hjgan_plugin.testbed.squares import render, sample_factors, write_pngs

    paths = write_pngs(tmp_path / "imgs", n=3, seed=7)
    assert [p.name for p in paths] == ["00000.png", "00001.png", "00002.png"]
    want = render(sample_factors(3, torch.Generator().manual_seed(7)))[:, 0].numpy() * 255
    for path, expected in zip(paths, want):
        pixels = np.asarray(Image.open(path))
        assert pixels.shape == (16, 16, 3) and (pixels[..., 0] == pixels[..., 2]).all()
        assert np.abs(pixels[..., 0].astype(float) - expected).max() <= 0.5
    assert np.asarray(Image.open(write_pngs(tmp_path / "grey", n=1, channels=1)[0])).shape == (16, 16)


def test_ema_and_checkpoint_evaluations_leave_the_training_unchanged():
    from hjgan_plugin.testbed.training import train

    plain = train(None, iters=12, seed=3, log=lambda _: None)
    watched = train(None, iters=12, seed=3, log=lambda _: None, ema_beta=0.5, checkpoints=(6, 12),
                    checkpoint_samples=300)
    for a, b in zip(plain["G"].parameters(), watched["G"].parameters()):
        assert torch.equal(a, b)
    assert [c["it"] for c in watched["history"]["checkpoints"]] == [6, 12]
    assert {"mig", "valid", "mig_ema", "valid_ema"} <= set(watched["history"]["checkpoints"][0])
    ema = list(watched["G_ema"].parameters())[0]
    assert not torch.equal(ema, list(watched["G"].parameters())[0]) and not ema.requires_grad
    assert plain["G_ema"] is None and plain["history"]["checkpoints"] == []
