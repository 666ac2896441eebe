"""FID / KID / IS on the FID Inception-v3 without the real weights: a randomly initialised state dict in
the official file's key format stands in for ``pt_inception-2015-12-05-6726825d.pth``; the statistics
are checked against scipy / direct formulas on features. With ``HJGAN_INCEPTION_WEIGHTS`` set, one
test also runs on the real weights."""
from __future__ import annotations

import json
import math
import os
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from scipy import linalg, special
from scipy import stats as sstats

from hjgan_plugin.cli import main
from hjgan_plugin.metrics import (
    INCEPTION_WEIGHTS,
    FIDInceptionV3,
    fid_from_features,
    inception_score_from_logits,
    kid_from_features,
    load_inception,
    quality_scores,
)
from hjgan_plugin.metrics import inception as inception_module
from hjgan_plugin.metrics.digits import FewSamplesWarning, NonFiniteSamplesWarning
from hjgan_plugin.metrics.inception import inception_features, to_inception_input
from hjgan_plugin.metrics.progress import ProgressBar
from hjgan_plugin.metrics.quality import polynomial_mmd2_unbiased
from hjgan_plugin.metrics.tf_resize import resize_bilinear_tf1
from hjgan_plugin.metrics.weights_file import resolve_weights

KEYS_FILE = Path(__file__).parent / "data" / "fid_inception_keys.txt"
OFFICIAL = "pt_inception-2015-12-05-6726825d.pth"


def _random_state_dict() -> dict[str, torch.Tensor]:
    """A seeded random state dict in the official file's format: a plain dict of float32 tensors, no
    ``num_batches_tracked``; BatchNorm statistics randomised so that loading them matters."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = FIDInceptionV3()
        state = {}
        for key, value in model.state_dict().items():
            if key.endswith("num_batches_tracked"):
                continue
            if key.endswith(("running_var", "bn.weight")):
                value = torch.rand_like(value) + 0.5
            elif key.endswith(("running_mean", "bn.bias")):
                value = 0.1 * torch.randn_like(value)
            elif value.ndim > 1:  # He-normal: activations keep their scale (no slow denormal floats)
                value = torch.randn_like(value) * (2.0 / value[0].numel()) ** 0.5
            state[key] = value.clone()
    return state


pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py


@pytest.fixture(scope="module")
def weights(tmp_path_factory) -> tuple[Path, dict[str, torch.Tensor]]:
    state = _random_state_dict()
    path = tmp_path_factory.mktemp("inception") / OFFICIAL
    torch.save(state, path)
    return path, state


@pytest.fixture(scope="module")
def model(weights) -> FIDInceptionV3:
    return load_inception(weights[0])


@pytest.fixture
def small_input(monkeypatch):
    """Resize to 75x75 (Inception-v3's smallest input) instead of 299: the same code path, 16x cheaper.
    Only the tests that check wiring use it; the 299 path runs in the FID test and the resize test."""
    monkeypatch.setattr(inception_module, "INPUT_SIZE", 75)


def _images(n: int, seed: int, size: int = 16) -> torch.Tensor:
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(seed))


# ------------------------------------------------------------------------------------- (a) the file format
def test_state_dict_keys_match_the_official_file_format(weights, model):
    expected = {}
    for line in KEYS_FILE.read_text().splitlines():
        if line and not line.startswith("#"):
            key, shape = line.split()
            expected[key] = tuple(int(s) for s in shape.split("x"))
    with torch.device("meta"):  # shapes only
        net = FIDInceptionV3()
    ours = {k: tuple(v.shape) for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}
    assert len(expected) == 472 and ours == expected
    loaded = model.state_dict()  # load_inception (the public API) on the file in that format
    assert all(torch.equal(loaded[k], v) for k, v in weights[1].items())


def test_weights_found_through_the_environment_an_explicit_path_wins(weights, monkeypatch, tmp_path):
    monkeypatch.setenv(INCEPTION_WEIGHTS.env_var, str(weights[0]))
    assert resolve_weights(None, INCEPTION_WEIGHTS) == str(weights[0])
    (tmp_path / "mine.pth").write_bytes(b"")
    assert resolve_weights(tmp_path / "mine.pth", INCEPTION_WEIGHTS) == str(tmp_path / "mine.pth")


# ------------------------------------------------------------------------------------- (b) statistics
def test_fid_of_a_set_with_itself_is_zero_and_matches_scipy():
    gen = np.random.default_rng(0)
    a = gen.normal(size=(400, 8))
    b = gen.normal(size=(300, 8)) @ gen.normal(size=(8, 8)) * 0.5 + 0.3
    assert fid_from_features(a, a) == pytest.approx(0.0, abs=1e-8)
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    direct = np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * linalg.sqrtm(s1 @ s2).real)
    assert fid_from_features(a, b) == pytest.approx(direct, rel=1e-9)
    assert fid_from_features(torch.from_numpy(b), torch.from_numpy(a)) == pytest.approx(direct, rel=1e-6)


def _mmd2_loops(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased MMD^2 with k(a, b) = (a.b / d + 1)^3, written out term by term."""
    m, d = x.shape
    k = lambda a, b: (a @ b / d + 1.0) ** 3
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / (m * m)
    return xx + yy - 2 * xy


def test_kid_unbiased_estimator_matches_the_direct_formula():
    gen = np.random.default_rng(1)
    x, y = gen.normal(size=(7, 3)), gen.normal(size=(7, 3)) + 0.5
    direct = _mmd2_loops(x, y)
    assert polynomial_mmd2_unbiased(x, y) == pytest.approx(direct, rel=1e-12)
    whole = kid_from_features(x, y, subsets=3, subset_size=7)  # every subset is all rows, permuted
    assert whole["kid_mean"] == pytest.approx(direct, rel=1e-12) and whole["kid_std"] == pytest.approx(0, abs=1e-12)
    sub = kid_from_features(gen.normal(size=(40, 3)), gen.normal(size=(30, 3)), subsets=5, subset_size=10)
    assert sub["kid_mean"] == pytest.approx(np.mean(sub["kid_subsets"])) and len(sub["kid_subsets"]) == 5
    assert sub["kid_std"] == pytest.approx(np.std(sub["kid_subsets"]))
    same = kid_from_features(gen.normal(size=(300, 4)), gen.normal(size=(300, 4)), subsets=10, subset_size=100)
    shifted = kid_from_features(gen.normal(size=(300, 4)), gen.normal(size=(300, 4)) + 1, subsets=10, subset_size=100)
    assert abs(same["kid_mean"]) < 0.2 and shifted["kid_mean"] > 5  # MMD^2 of N(0, I) vs N(1, I): ~9-12


def test_inception_score_uniform_is_one_confident_is_the_number_of_classes():
    assert inception_score_from_logits(torch.zeros(50, 1008), splits=5)["is_mean"] == pytest.approx(1.0, abs=1e-12)
    k = 7
    logits = torch.full((10 * k * 3, 1008), -30.0)
    logits[torch.arange(len(logits)), torch.arange(len(logits)) % k] = 30.0
    out = inception_score_from_logits(logits, splits=10, shuffle=False)  # each split holds each class 3 times
    assert out["is_splits"] == pytest.approx([k] * 10, rel=1e-9) and out["is_std"] == pytest.approx(0, abs=1e-9)
    assert inception_score_from_logits(logits, splits=1)["is_mean"] == pytest.approx(k, rel=1e-9)


def test_inception_score_matches_scipy_per_split():
    logits = np.random.default_rng(2).normal(size=(60, 12)) * 3
    out = inception_score_from_logits(logits, splits=3, shuffle=True, seed=5)
    order = np.random.RandomState(5).permutation(60)
    for i, chunk in enumerate(np.split(logits[order], 3)):
        p = special.softmax(chunk, axis=1)
        kl = np.mean([sstats.entropy(row, p.mean(0)) for row in p])
        assert out["is_splits"][i] == pytest.approx(math.exp(kl), rel=1e-9)
    assert out["is_mean"] == pytest.approx(np.mean(out["is_splits"]))


# ------------------------------------------------------------------------------------- images through the net
def test_fid_through_the_network_float_and_uint8_of_the_same_images_is_zero(model):
    x = _images(4, 3)
    x_u8 = torch.floor(x * 255 + 0.5).to(torch.uint8)  # the same images as 0-255 pixels
    out = quality_scores(x, x_u8, metrics=("fid",), inception=model, fid_feature="64", fid_min_samples=2)
    assert out["fid_64"] == pytest.approx(0.0, abs=1e-6) and out["n_fake"] == out["n_real"] == 4


def test_inception_score_through_the_network_counts_nan_images(model, small_input):
    x = _images(3, 4, size=12)
    x[1] = float("nan")
    with pytest.warns(NonFiniteSamplesWarning, match="1 of 3"), pytest.warns(FewSamplesWarning):
        out = quality_scores(x, metrics=("is",), inception=model, is_splits=2, seed=1)
    assert out["n_nan_fake"] == 1 and out["n_fake"] == 2
    clean, n_nan = to_inception_input(x[[0, 2]])
    logits = inception_features(model, clean, ("logits_unbiased",))["logits_unbiased"]
    assert n_nan == 0 and logits.shape == (2, 1008)
    assert out["is_splits"] == pytest.approx(inception_score_from_logits(logits, splits=2, seed=1)["is_splits"],
                                             rel=1e-6)


def _resize_tf1_loops(x: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """TF 1.x resize_bilinear (align_corners=False) for one (h, w) image: source i * in/out, no half pixel."""
    h, w = x.shape
    out = np.zeros((out_h, out_w))
    for i in range(out_h):
        sy = np.float32(i) * np.float32(h / out_h)
        y0, fy = int(sy), sy - int(sy)
        y1 = min(y0 + 1, h - 1)
        for j in range(out_w):
            sx = np.float32(j) * np.float32(w / out_w)
            x0, fx = int(sx), sx - int(sx)
            x1 = min(x0 + 1, w - 1)
            top = x[y0, x0] + (x[y0, x1] - x[y0, x0]) * fx
            bottom = x[y1, x0] + (x[y1, x1] - x[y1, x0]) * fx
            out[i, j] = top + (bottom - top) * fy
    return out


def test_tf1_bilinear_resize_matches_the_formula():
    x = torch.rand(2, 3, 5, 7, generator=torch.Generator().manual_seed(8)) * 255
    for size in ((11, 4), (299, 299), (5, 7)):
        got = resize_bilinear_tf1(x, size)
        want = _resize_tf1_loops(x[1, 2].double().numpy(), *size)
        assert got.shape == (2, 3, *size) and np.allclose(got[1, 2].double().numpy(), want, atol=1e-3)
    assert torch.equal(resize_bilinear_tf1(x, (5, 7)), x)


def test_grayscale_images_are_repeated_to_rgb():
    x = _images(3, 5)[:, :1]
    gray, _ = to_inception_input(x)
    rgb, _ = to_inception_input(x.repeat(1, 3, 1, 1))
    assert torch.equal(gray, rgb) and torch.equal(to_inception_input(x[:, 0])[0], rgb)


# ------------------------------------------------------------------------------------- (c) bad inputs
def test_missing_weights_file_names_the_file_and_where_it_comes_from(tmp_path, monkeypatch):
    monkeypatch.delenv(INCEPTION_WEIGHTS.env_var, raising=False)
    with pytest.raises(FileNotFoundError, match="nope.pth") as info:
        load_inception(tmp_path / "nope.pth")
    assert OFFICIAL in str(info.value) and "github.com/mseitzer/pytorch-fid/releases" in str(info.value)
    with pytest.raises(FileNotFoundError, match=f"no FID Inception-v3 weights file given.*{OFFICIAL}"):
        load_inception()
    monkeypatch.setenv(INCEPTION_WEIGHTS.env_var, str(tmp_path / "gone.pth"))
    with pytest.raises(FileNotFoundError, match=r"gone.pth.*\(from HJGAN_INCEPTION_WEIGHTS\)"):
        quality_scores(_images(20, 0), _images(20, 1), metrics=("kid",), kid_subset_size=10)


def test_wrong_weights_files_are_refused(tmp_path, weights):
    (tmp_path / "text.pth").write_text("not a checkpoint")
    with pytest.raises(ValueError, match="not a PyTorch state dict"):
        load_inception(tmp_path / "text.pth")
    torch.save({"conv.weight": torch.zeros(1)}, tmp_path / "other.pth")
    with pytest.raises(ValueError, match="472 keys missing.*1 unexpected keys"):
        load_inception(tmp_path / "other.pth")
    # every key, stored as one expanded zero (a tiny file), but an ImageNet head (1000 classes, aux logits)
    state = {k: torch.zeros(1).expand(v.shape) for k, v in weights[1].items()}
    state["fc.weight"], state["fc.bias"] = torch.zeros(1).expand(1000, 2048), torch.zeros(1).expand(1000)
    state["AuxLogits.fc.weight"] = torch.zeros(1).expand(1000, 768)
    torch.save(state, tmp_path / "imagenet.pth")
    with pytest.raises(ValueError, match=r"unexpected keys \(AuxLogits.fc.weight\).*fc.bias \(1000,\) "
                                         r"\(expected \(1008,\)\)"):
        load_inception(tmp_path / "imagenet.pth")


@pytest.mark.parametrize("images,kwargs,message", [
    (torch.rand(4, 4, 16, 16), {}, r"\(n, 3, H, W\)"),
    (torch.rand(4, 16, 16, 3), {}, "channels-last"),
    (torch.rand(4, 3, 16, 16) * 2 - 1, {}, r"outside the declared range \[0, 1\]"),
    (torch.rand(4, 3, 16, 16) * 255, {"value_range": (-1, 1)}, "outside the declared range"),
])
def test_wrong_image_shape_or_range(images, kwargs, message):
    with pytest.raises(ValueError, match=message):
        quality_scores(images, metrics=("is",), is_splits=2, **kwargs)


def test_declared_ranges_are_accepted():
    x = torch.rand(2, 3, 8, 8)
    a, _ = to_inception_input(x)
    b, _ = to_inception_input(x * 2 - 1, value_range=(-1, 1))
    assert (a - b).abs().max() <= 1  # the same pixels up to rounding
    assert float(a.min()) >= 0 and float(a.max()) <= 255


def test_too_few_samples_say_how_many_are_needed():
    # checked before any weights are needed (none are given here)
    with pytest.raises(ValueError, match="needs at least 2049"):
        quality_scores(_images(20, 0), _images(20, 1), metrics=("fid",))
    with pytest.raises(ValueError, match="needs at least 65"):
        quality_scores(_images(20, 0), _images(80, 1), metrics=("fid",), fid_feature="64")
    with pytest.raises(ValueError, match=r"KID subset size 1000 is larger than the images \(real 30, fake 20\): "
                                         r"use subset_size <= 20"):
        quality_scores(_images(20, 0), _images(30, 1), metrics=("kid",))
    with pytest.raises(ValueError, match="IS with 10 splits needs at least 10"):
        quality_scores(_images(8, 0), metrics=("is",))
    with pytest.raises(ValueError, match="needs at least 5"):
        fid_from_features(np.zeros((4, 4)), np.zeros((9, 4)))
    with pytest.raises(ValueError, match="pass real="):
        quality_scores(_images(8, 0), metrics=("kid",))


def test_nan_features_are_counted_and_dropped():
    gen = np.random.default_rng(3)
    a, b = gen.normal(size=(50, 3)), gen.normal(size=(50, 3))
    a_nan = np.vstack([a, np.full((3, 3), np.nan)])
    with pytest.warns(NonFiniteSamplesWarning, match="3 of 53"):
        assert fid_from_features(a_nan, b) == pytest.approx(fid_from_features(a, b))
    with pytest.raises(ValueError, match=r"must be \(n, d\)"):
        kid_from_features(np.zeros(5), np.zeros((5, 1)))
    with pytest.raises(ValueError, match="same dimension"):
        fid_from_features(np.zeros((5, 2)), np.zeros((5, 3)))


# ------------------------------------------------------------------------------------- progress
def test_progress_bar_draws_only_when_enabled(capsys):
    import io

    stream = io.StringIO()
    with ProgressBar(4, "work", enabled=True, stream=stream, min_interval=0) as bar:
        for _ in range(4):
            bar.update()
    text = stream.getvalue()
    assert text.count("\r") == 4 and "work |####################| 4/4" in text and text.endswith("\n")
    silent = io.StringIO()
    with ProgressBar(4, "work", enabled=False, stream=silent) as bar:
        bar.update(4)
    assert silent.getvalue() == ""
    kid_from_features(np.ones((5, 2)), np.zeros((5, 2)), subsets=2, subset_size=3)  # library default: off
    assert capsys.readouterr().err == ""


# ------------------------------------------------------------------------------------- the command line
def _cli(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, ["eval", "quality", *args], env=env)


def test_cli_quality_with_a_weights_file(tmp_path, weights, small_input):
    np.save(tmp_path / "fake.npy", _images(2, 6, size=10).numpy())
    np.save(tmp_path / "real.npy", (_images(2, 7, size=10) * 255).round().numpy().astype(np.uint8))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewSamplesWarning)
        result = _cli(str(tmp_path / "fake.npy"), "--real", str(tmp_path / "real.npy"), "--inception-weights",
                      str(weights[0]), "--fid-dims", "64", "--fid-min-samples", "2", "--kid-subset-size", "2",
                      "--kid-subsets", "3", "--is-splits", "2", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["n_fake"] == out["n_real"] == 2 and len(out["is_splits"]) == 2 and len(out["kid_subsets"]) == 3
    assert out["fid_64"] > 0 and 1.0 <= out["is_mean"] <= 1008 and math.isfinite(out["kid_mean"])
    assert "Inception features (fake) |" in result.stderr and "KID subsets |" in result.stderr


def test_cli_quality_missing_weights_is_a_usage_error_naming_the_file(tmp_path):
    np.save(tmp_path / "fake.npy", _images(12, 0).numpy())
    result = _cli(str(tmp_path / "fake.npy"), env={INCEPTION_WEIGHTS.env_var: ""})
    assert result.exit_code == 2 and OFFICIAL in result.output and "--inception-weights" in result.output
    assert "Traceback" not in result.output
    result = _cli(str(tmp_path / "fake.npy"), "--range", "-1,1", "--inception-weights", str(tmp_path / "w.pth"))
    assert result.exit_code == 2 and "w.pth" in result.output


def test_cli_quality_input_errors(tmp_path):
    np.save(tmp_path / "fake.npy", (_images(12, 0) * 255).numpy())
    result = _cli(str(tmp_path / "fake.npy"), "--metrics", "is")
    assert result.exit_code == 2 and "outside the declared range [0, 1]" in result.output
    result = _cli(str(tmp_path / "fake.npy"), "--range", "1,0")
    assert result.exit_code == 2 and "HIGH must exceed LOW" in result.output


# ------------------------------------------------------------------------------------- real weights (opt-in)
@pytest.mark.skipif(not os.environ.get(INCEPTION_WEIGHTS.env_var),
                    reason=f"set {INCEPTION_WEIGHTS.env_var} to {OFFICIAL} to run on the real weights")
def test_real_inception_weights():
    net = load_inception()
    x = torch.rand(10, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    feats = inception_features(net, to_inception_input(x)[0], ("2048", "logits_unbiased"))
    assert torch.isfinite(feats["2048"]).all() and float(feats["2048"].min()) >= 0  # pool3 follows a ReLU
    score = inception_score_from_logits(feats["logits_unbiased"], splits=1)["is_mean"]
    assert 1.0 <= score <= 10.0
    assert fid_from_features(feats["2048"], feats["2048"], min_samples=2) == pytest.approx(0.0, abs=1e-3)
