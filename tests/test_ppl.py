"""PPL (StyleGAN2-ADA's definition) with exact answers: linear generators under a squared Euclidean
distance; the LPIPS path through a stand-in TorchScript ``vgg16.pt`` with the real file's calling
convention; PPL-digits; the ``hjgan eval ppl`` command line."""
from __future__ import annotations

import json
import math
import os
import textwrap
import warnings

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from hjgan_plugin.cli import main
from hjgan_plugin.metrics import (
    VGG16_WEIGHTS,
    DigitClassifier,
    DigitsFeatureDistance,
    load_lpips_vgg16,
    perceptual_path_length,
)
from hjgan_plugin.metrics.digits import FewSamplesWarning, NonFiniteSamplesWarning
from hjgan_plugin.metrics.ppl import slerp, trimmed_mean

EPS = 1e-4


pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py
DIM = 4
_A = torch.randn(6, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
_M = torch.randn(3, DIM, generator=torch.Generator().manual_seed(1), dtype=torch.float64)


def sq_euclid(x0: torch.Tensor, x1: torch.Tensor) -> torch.Tensor:
    return (x0 - x1).flatten(1).square().sum(1)


def fixed_pair(n: int, dim: int, gen: torch.Generator) -> torch.Tensor:
    """z0 = e1 and z1 = e2 for every sample (the prior hook gets 2b rows: first half z0, second half z1)."""
    z = torch.zeros(n, dim, dtype=torch.float64)
    z[: n // 2, 0] = 1.0
    z[n // 2:, 1] = 1.0
    return z


@pytest.mark.parametrize("sampling", ["full", "end"])
def test_z_space_linear_generator_has_the_chord_length_ppl(sampling):
    s = 3.0
    out = perceptual_path_length(lambda z: s * z, DIM, sq_euclid, sampling=sampling, n_samples=100, crop=False,
                                 prior=fixed_pair, dtype=torch.float64, batch_size=30)
    theta = math.pi / 2  # e1 and e2: a quarter circle, travelled at constant speed for any t
    expected = s ** 2 * (2 * math.sin(EPS * theta / 2)) ** 2 / EPS ** 2
    assert out["ppl"] == pytest.approx(expected, rel=1e-8) and out["n"] == 100 and out["n_nan"] == 0


def test_w_space_linear_generator_is_exact():
    out = perceptual_path_length(lambda w: w @ _A.T, DIM, sq_euclid, space="w", mapping=lambda z: z @ _M.T,
                                 n_samples=100, crop=False, prior=fixed_pair, dtype=torch.float64)
    e = torch.eye(DIM, dtype=torch.float64)
    expected = float((_A @ _M @ (e[1] - e[0])).square().sum())
    assert out["ppl"] == pytest.approx(expected, rel=1e-8)
    # z space with a mapping (StyleGAN's ppl_z*): slerp in z, then map. At t = 0 the path leaves e1 towards
    # e2 at angular speed pi/2, so the value is (pi/2)^2 ||A M e2||^2 up to O(eps)
    zmap = perceptual_path_length(lambda w: w @ _A.T, DIM, sq_euclid, space="z", mapping=lambda z: z @ _M.T,
                                  sampling="end", n_samples=100, crop=False, prior=fixed_pair, dtype=torch.float64)
    assert zmap["ppl"] == pytest.approx((math.pi / 2) ** 2 * float((_A @ _M @ e[1]).square().sum()), rel=1e-3)


def test_gaussian_latents_and_the_trimmed_mean():
    out = perceptual_path_length(lambda w: w @ _A.T, DIM, sq_euclid, space="w", mapping=lambda z: z @ _M.T,
                                 n_samples=4000, crop=False, dtype=torch.float64, return_distances=True, seed=3)
    d = out["distances"]
    lo, hi = np.percentile(d, 1, method="lower"), np.percentile(d, 99, method="higher")
    assert out["ppl"] == pytest.approx(d[(d >= lo) & (d <= hi)].mean()) and out["n_kept"] < 4000
    # E ||A M (z1 - z0)||^2 = 2 ||A M||_F^2 for z ~ N(0, I); trimming 1 % per tail lowers it a little
    full_mean = 2 * float((_A @ _M).square().sum())
    assert 0.85 * full_mean < out["ppl"] < 1.02 * full_mean


def test_trimmed_mean_drops_the_outer_percentiles():
    values = np.random.default_rng(0).permutation(1000).astype(float)
    # percentile 1 'lower' is sorted[9], percentile 99 'higher' is sorted[990]: 9 values dropped per side
    mean, kept = trimmed_mean(values)
    assert kept == 982 and mean == pytest.approx(np.arange(9, 991).mean())
    assert trimmed_mean(np.arange(100.0))[1] == 100  # below ~100 samples nothing is dropped


def test_slerp_stays_on_the_sphere_between_its_ends():
    a, b = torch.randn(5, 3, dtype=torch.float64), torch.randn(5, 3, dtype=torch.float64)
    mid = slerp(a, b, torch.full((5, 1), 0.5, dtype=torch.float64))
    assert torch.allclose(mid.norm(dim=1), torch.ones(5, dtype=torch.float64))
    an, bn = a / a.norm(dim=1, keepdim=True), b / b.norm(dim=1, keepdim=True)
    assert torch.allclose((mid * an).sum(1), (mid * bn).sum(1))  # equal angles to both ends
    assert torch.allclose(slerp(a, b, torch.ones(5, 1, dtype=torch.float64)), bn)


def _border_only(w: torch.Tensor) -> torch.Tensor:
    """A 16x16 image that is zero inside StyleGAN's crop (rows 6-13, columns 4-11) and w_0 at pixel (0, 0)."""
    img = torch.zeros(len(w), 1, 16, 16, dtype=w.dtype)
    img[:, 0, 0, 0] = w[:, 0]
    return img


def _flat512(w: torch.Tensor) -> torch.Tensor:
    """A 512x512 image whose every pixel is w_0 (e2 - e1 changes it by -1)."""
    return w[:, :1, None, None].expand(-1, 1, 512, 512)


@pytest.mark.parametrize("G,crop,expected", [
    (_border_only, True, 0.0),
    (_border_only, False, 1.0),
    (_flat512, False, 256 ** 2),  # 512 > 256: box filter by 2 -> 256x256 pixels
    (_flat512, True, 128 ** 2),  # the crop keeps 256x256, then the same filter (from 512) -> 128x128
])
def test_crop_and_downsampling_follow_stylegan(G, crop, expected):
    with pytest.warns(FewSamplesWarning):
        out = perceptual_path_length(G, DIM, sq_euclid, crop=crop, space="w", mapping=lambda z: z, n_samples=20,
                                     prior=fixed_pair, dtype=torch.float64)
    assert out["ppl"] == pytest.approx(expected)


def test_nan_samples_are_counted_and_excluded():
    def sometimes_nan(w):
        out = w @ _A.T
        out[w[:, 0] > 1.5] = float("nan")
        return out

    with pytest.warns(NonFiniteSamplesWarning, match="NaN/inf distance"):
        out = perceptual_path_length(sometimes_nan, DIM, sq_euclid, space="w", mapping=lambda z: z @ _M.T,
                                     n_samples=400, crop=False, dtype=torch.float64)
    assert 0 < out["n_nan"] < 100 and out["n"] == 400 - out["n_nan"] and math.isfinite(out["ppl"])


@pytest.mark.parametrize("kwargs,message", [
    ({"space": "w"}, "needs mapping="),
    ({"space": "x"}, "space must be"),
    ({"sampling": "middle"}, "sampling must be"),
    ({"crop": True}, "needs square"),
    ({"epsilon": 0.0}, "epsilon > 0"),
])
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        perceptual_path_length(lambda z: z.reshape(-1, 1, 2, 2), DIM, sq_euclid, **{"n_samples": 100, **kwargs})


def test_distance_must_return_one_value_per_pair():
    with pytest.raises(ValueError, match="one per pair"):
        perceptual_path_length(lambda z: z, DIM, lambda a, b: torch.zeros(1), n_samples=100, crop=False)


# ------------------------------------------------------------------------------------- LPIPS weights file
class _StandInVGG(torch.nn.Module):
    """The calling convention of StyleGAN2-ADA's vgg16.pt, with features = pixels / 255."""

    def forward(self, img: torch.Tensor, resize_images: bool = True, return_lpips: bool = False) -> torch.Tensor:
        assert not resize_images and return_lpips
        return img.flatten(1) / 255.0


def _save_script(module: torch.nn.Module, path) -> None:
    with warnings.catch_warnings():  # TorchScript is deprecated in torch 2.13; vgg16.pt is TorchScript
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.script(module).save(str(path))


@pytest.fixture
def vgg_file(tmp_path):
    path = tmp_path / "vgg16.pt"
    _save_script(_StandInVGG(), path)
    return path


def test_lpips_file_is_loaded_and_used(vgg_file, monkeypatch):
    distance = load_lpips_vgg16(vgg_file)
    a, m = _A.float(), _M.float()
    out = perceptual_path_length(lambda w: (w @ a.T).reshape(-1, 1, 2, 3), DIM, distance, space="w",
                                 mapping=lambda z: z @ m.T, n_samples=100, crop=False, prior=fixed_pair)
    e = torch.eye(DIM, dtype=torch.float64)
    # [-1, 1] -> [0, 255] -> /255 halves differences; grayscale is repeated to 3 channels
    expected = 3 / 4 * float((_A @ _M @ (e[1] - e[0])).square().sum())
    assert out["ppl"] == pytest.approx(expected, rel=1e-2)  # float32 differences at eps = 1e-4
    monkeypatch.setenv(VGG16_WEIGHTS.env_var, str(vgg_file))
    assert load_lpips_vgg16().model is not None


def test_missing_or_wrong_vgg_file(tmp_path, monkeypatch):
    monkeypatch.delenv(VGG16_WEIGHTS.env_var, raising=False)
    with pytest.raises(FileNotFoundError, match=r"missing.pt.*vgg16.pt.*nvlabs-fi-cdn.nvidia.com"):
        load_lpips_vgg16(tmp_path / "missing.pt")
    with pytest.raises(FileNotFoundError, match="no VGG16 LPIPS weights .* file given.*HJGAN_VGG16_WEIGHTS"):
        load_lpips_vgg16()
    torch.save({"w": torch.zeros(2)}, tmp_path / "state.pt")
    with pytest.raises(ValueError, match="not a TorchScript module"):
        load_lpips_vgg16(tmp_path / "state.pt")
    _save_script(torch.nn.Identity(), tmp_path / "identity.pt")
    with pytest.raises(ValueError, match="did not take"):
        load_lpips_vgg16(tmp_path / "identity.pt")(torch.zeros(2, 3, 4, 4), torch.zeros(2, 3, 4, 4))


# ------------------------------------------------------------------------------------- PPL-digits
@pytest.fixture(scope="module")
def quick_classifier():
    clf = DigitClassifier(seed=0)
    clf.fitted = True  # untrained (seeded random) features are enough to test the distance's wiring
    return clf


def test_ppl_digits(quick_classifier):
    distance = DigitsFeatureDistance(quick_classifier)
    kw = {"space": "w", "mapping": lambda z: z, "n_samples": 100, "crop": False}
    still = perceptual_path_length(lambda w: torch.full((len(w), 1, 8, 8), 0.5), DIM, distance, **kw)
    assert still["ppl"] == 0.0
    pattern = torch.rand(DIM, 64, generator=torch.Generator().manual_seed(2))
    moving = perceptual_path_length(lambda w: torch.sigmoid(w @ pattern).reshape(-1, 1, 8, 8), DIM, distance, **kw)
    assert moving["ppl"] > 0
    with pytest.raises(ValueError, match=r"\(n, C, 8, 8\)"):
        distance(torch.zeros(2, 1, 16, 16), torch.zeros(2, 1, 16, 16))


# ------------------------------------------------------------------------------------- command line
GEN_PY = textwrap.dedent("""
    import torch
    A = torch.randn(6, 3, generator=torch.Generator().manual_seed(0))
    def make_G():
        return lambda w: (w @ A.T).reshape(-1, 1, 2, 3)
    def make_mapping():
        return lambda z: z[:, :3] * 2
    def make_digits():
        return lambda z: torch.sigmoid(z @ torch.ones(4, 64)).reshape(-1, 1, 8, 8)
""")


def _ppl_cli(*args: str, env=None):
    return CliRunner().invoke(main, ["eval", "ppl", *args], env=env)


def test_cli_ppl_with_a_vgg_file_matches_the_library(tmp_path, vgg_file):
    (tmp_path / "gen.py").write_text(GEN_PY)
    result = _ppl_cli("--generator", f"{tmp_path}/gen.py:make_G", "--mapping", f"{tmp_path}/gen.py:make_mapping",
                      "--space", "w", "--latent-dim", "4", "--samples", "200", "--no-crop", "--vgg-weights",
                      str(vgg_file), "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    a = torch.randn(6, 3, generator=torch.Generator().manual_seed(0))
    lib = perceptual_path_length(lambda w: (w @ a.T).reshape(-1, 1, 2, 3), 4, load_lpips_vgg16(vgg_file), space="w",
                                 mapping=lambda z: z[:, :3] * 2, n_samples=200, crop=False)
    assert out["ppl"] == pytest.approx(lib["ppl"], rel=1e-6) and out["n"] == 200 and out["crop"] is False
    assert "PPL samples |" in result.stderr


def test_cli_ppl_digits_and_errors(tmp_path, quick_classifier):
    (tmp_path / "gen.py").write_text(GEN_PY)
    quick_classifier.save(tmp_path / "clf.pt")
    gen = f"{tmp_path}/gen.py:make_digits"
    result = _ppl_cli("--generator", gen, "--latent-dim", "4", "--samples", "100", "--digits", "--classifier",
                      str(tmp_path / "clf.pt"), "--no-progress", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["ppl_digits"] > 0 and "not PPL" in out["distance"] and "ppl" not in out and result.stderr == ""
    missing = _ppl_cli("--generator", gen, "--latent-dim", "4", env={VGG16_WEIGHTS.env_var: ""})
    assert missing.exit_code == 2 and "vgg16.pt" in missing.output and "--vgg-weights" in missing.output
    bad = _ppl_cli("--generator", f"{tmp_path}/gen.py:nothing", "--latent-dim", "4", "--digits")
    assert bad.exit_code == 2 and "no callable 'nothing'" in bad.output
    no_map = _ppl_cli("--generator", gen, "--latent-dim", "4", "--space", "w", "--digits")
    assert no_map.exit_code == 2 and "--space w needs --mapping" in no_map.output


@pytest.mark.skipif(not os.environ.get(VGG16_WEIGHTS.env_var),
                    reason=f"set {VGG16_WEIGHTS.env_var} to StyleGAN2-ADA's vgg16.pt to run on the real weights")
def test_real_vgg16_weights():
    distance = load_lpips_vgg16()
    x = torch.rand(3, 3, 64, 64, generator=torch.Generator().manual_seed(0)) * 2 - 1
    y = torch.rand(3, 3, 64, 64, generator=torch.Generator().manual_seed(1)) * 2 - 1
    assert torch.allclose(distance(x, x), torch.zeros(3), atol=1e-6)
    d = distance(x, y)
    assert (d > 0).all() and torch.allclose(d, distance(y, x), rtol=1e-4)
    pattern = torch.randn(DIM, 3 * 64 * 64, generator=torch.Generator().manual_seed(2))
    with pytest.warns(FewSamplesWarning):
        out = perceptual_path_length(lambda z: torch.tanh(z @ pattern).reshape(-1, 3, 64, 64), DIM, distance,
                                     n_samples=8, batch_size=4)
    assert math.isfinite(out["ppl"]) and out["ppl"] > 0
