"""Known-factor sets: the shaded-ball renderer (exact cases), the sets' encode/decode, the host-format
writers (``hjgan data dsprites|shaded|shaded-grey``), the factor read-out and the scores it gives.

Every image here is rendered by the project; nothing is downloaded.
"""
from __future__ import annotations

import colorsys
import json
import math
import zipfile
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from scipy.stats import norm

from hjgan_plugin.cli import main as cli_main
from hjgan_plugin.datasets import host_formats, shaded
from hjgan_plugin.datasets.host_formats import read_meta, write_known_factor_set
from hjgan_plugin.datasets.idx import read_idx
from hjgan_plugin.datasets.known_factors import FACTOR_SETS, factor_set
from hjgan_plugin.metrics.factor_readout import FactorReadout
from hjgan_plugin.metrics.known_factor_scores import known_factor_scores

PIL = pytest.importorskip("PIL.Image", reason="the folder and stylegan2-zip formats write PNGs with Pillow")


# -- the shaded-ball renderer ----------------------------------------------------------------------------
def test_centre_pixel_is_lit_by_the_lambert_law_exactly():
    # size 10, centre 0.55 -> pixel 5's centre; ss=1 samples that centre alone, where the normal is (0, 0, 1)
    image = shaded.render(torch.tensor([[0.55, 0.55, 0.2, 0.3]]), size=10, channels=1, ss=1)[0, 0]
    assert image[5, 5].item() == pytest.approx(shaded.AMBIENT + (1 - shaded.AMBIENT) * math.sin(shaded.ELEVATION))
    assert image[0, 0].item() == 0.0 and image[9, 9].item() == 0.0  # outside the disc: black


def test_disc_covers_its_area_and_light_moves_the_bright_side():
    factors = torch.tensor([[0.5, 0.5, 0.2, 1.0], [0.5, 0.5, 0.2, -1.0]])
    images = shaded.render(factors, size=64, channels=1, ss=4)[:, 0]
    touched = (images > 0).float().sum((1, 2))  # pixels the disc of radius 12.8 reaches at all
    assert math.pi * 12.8 ** 2 < touched[0].item() < math.pi * 13.8 ** 2
    left, right = images[:, :, :32].sum((1, 2)), images[:, :, 32:].sum((1, 2))
    assert right[0] > 1.2 * left[0] and left[1] > 1.2 * right[1]  # light at +1 rad lights +x, at -1 rad -x
    assert torch.allclose(images[0], images[1].flip(1), atol=1e-6)  # mirror images of each other


def test_light_from_the_top_brightens_the_upper_half():
    image = shaded.render(torch.tensor([[0.5, 0.5, 0.2, 0.0]]), size=32, channels=1)[0, 0]
    assert image[:16].sum() > 1.2 * image[16:].sum()  # rows grow downwards: the top is rows 0..15


def test_hsv_matches_colorsys():
    hues = torch.linspace(0, 0.99, 23, dtype=torch.float64)
    got = shaded.hsv_to_rgb(hues, 0.8, 1.0)
    want = torch.tensor([colorsys.hsv_to_rgb(float(h), 0.8, 1.0) for h in hues], dtype=torch.float64)
    assert torch.allclose(got, want, atol=1e-12)


def test_colour_image_is_the_grey_shading_times_the_albedo():
    factors = shaded.sample_factors(5, 3, torch.Generator().manual_seed(0))
    colour = shaded.render(factors, 16, 3)
    grey = shaded.render(factors[:, :4], 16, 1)
    albedo = shaded.hsv_to_rgb(factors[:, 4].double(), shaded.SATURATION, 1.0).float()
    assert torch.allclose(colour, albedo[:, :, None, None] * grey, atol=1e-6)
    assert colour.shape == (5, 3, 16, 16) and 0 <= colour.min() and colour.max() <= 1


def test_factor_draws_stay_in_range_and_are_seeded():
    a = shaded.sample_factors(2000, 3, torch.Generator().manual_seed(3))
    b = shaded.sample_factors(2000, 3, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    for i, name in enumerate(shaded.COLOUR_FACTORS):
        lo, hi = shaded.RANGES[name]
        assert lo <= a[:, i].min() and a[:, i].max() <= hi and a[:, i].max() - a[:, i].min() > 0.9 * (hi - lo)


@pytest.mark.parametrize("factors, channels, message", [
    (torch.zeros(2, 5), 1, r"shape \(n, 4\)"),
    (torch.zeros(2, 4), 3, r"shape \(n, 5\)"),
    (torch.tensor([[0.5, 0.5, float("nan"), 0.0]]), 1, "1 of 1 factor rows contain NaN"),
    (torch.zeros(2, 4), 2, "1 \\(grey\\) or 3 \\(colour\\) channels"),
])
def test_renderer_refuses_bad_factors(factors, channels, message):
    with pytest.raises(ValueError, match=message):
        shaded.render(factors, 8, channels)


# -- the sets --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["shaded", "shaded-grey"])
def test_shaded_sets_decode_what_they_encode(name):
    fs = factor_set(name)
    factors = fs.sample(100, torch.Generator().manual_seed(1))
    targets, labels = fs.encode(factors)
    assert labels is None and targets.shape == (100, fs.n_targets) and 0 <= targets.min() and targets.max() <= 1
    assert torch.allclose(fs.decode(targets, None), factors, atol=1e-6)
    assert torch.allclose(fs.scores(factors), targets)


def test_dsprites_decodes_its_angle_up_to_the_shapes_symmetry():
    fs = factor_set("dsprites")
    factors = fs.sample(300, torch.Generator().manual_seed(2))
    targets, labels = fs.encode(factors)
    back = fs.decode(targets, torch.nn.functional.one_hot(labels, 3).float())
    assert torch.equal(back[:, 0], factors[:, 0])
    assert torch.allclose(back[:, [1, 3, 4]], factors[:, [1, 3, 4]], atol=1e-5)
    period = 2 * math.pi / torch.tensor([4.0, 2.0, 1.0])[labels]
    gap = torch.remainder(back[:, 2] - factors[:, 2] + period / 2, period) - period / 2
    assert gap.abs().max() < 1e-4
    # the image it renders is the same: a square turned by 90 degrees looks the same
    assert torch.allclose(fs.render(back, 16), fs.render(factors, 16), atol=0.02)


def test_unknown_set_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="unknown known-factor set 'balls': expected one of dsprites, shaded"):
        factor_set("balls")


# -- the host-format writers -----------------------------------------------------------------------------
def _png_array(data: bytes) -> np.ndarray:
    return np.asarray(PIL.open(BytesIO(data)))


def test_mnist_format_holds_the_rendered_images_and_their_factors(tmp_path):
    written = write_known_factor_set(tmp_path / "set", factor_set("shaded-grey"), "mnist", 16, 30, seed=4)
    raw = tmp_path / "set" / "MNIST" / "raw"
    images = read_idx(raw / "train-images-idx3-ubyte")
    factors = np.load(tmp_path / "set" / "factors.npy")
    assert images.shape == (30, 16, 16) and images.dtype == np.uint8 and factors.shape == (30, 4)
    again = (factor_set("shaded-grey").render(torch.from_numpy(factors), 16).clamp(0, 1) * 255 + 0.5).to(torch.uint8)
    assert np.array_equal(again[:, 0].numpy(), images)  # the image of each row's factors, as written
    assert read_idx(raw / "t10k-images-idx3-ubyte").shape == (5, 16, 16)
    assert np.load(tmp_path / "set" / "factors_t10k.npy").shape == (5, 4)
    assert read_idx(raw / "train-labels-idx1-ubyte").tolist() == [0] * 30  # no categorical factor
    meta = read_meta(tmp_path / "set")
    assert meta["factor_names"] == ["x", "y", "radius", "light"] and meta["flags"] == "--img_size 16 --channels 1"
    assert written.flags == meta["flags"]


def test_mnist_labels_hold_the_categorical_factor(tmp_path):
    write_known_factor_set(tmp_path / "set", factor_set("dsprites"), "mnist", 8, 40)
    labels = read_idx(tmp_path / "set" / "MNIST" / "raw" / "train-labels-idx1-ubyte")
    assert np.array_equal(labels, np.load(tmp_path / "set" / "factors.npy")[:, 0].astype(np.uint8))


def test_folder_format_writes_one_png_an_image(tmp_path):
    written = write_known_factor_set(tmp_path / "set", factor_set("shaded"), "folder", 16, 7)
    pngs = sorted((tmp_path / "set" / "images").glob("*.png"))
    assert [p.name for p in pngs] == [f"{i:06d}.png" for i in range(7)]
    first = _png_array(pngs[0].read_bytes())
    factors = torch.from_numpy(np.load(tmp_path / "set" / "factors.npy"))
    want = (factor_set("shaded").render(factors[:1], 16)[0].permute(1, 2, 0) * 255 + 0.5).to(torch.uint8).numpy()
    assert first.shape == (16, 16, 3) and np.array_equal(first, want)
    assert written.flags == "--depth 3 --num_channels 3"


def test_stylegan2_zip_has_dataset_tool_layout(tmp_path):
    written = write_known_factor_set(tmp_path / "set", factor_set("shaded-grey"), "stylegan2-zip", 8, 3)
    with zipfile.ZipFile(tmp_path / "set" / "dataset.zip") as z:
        assert sorted(z.namelist()) == ["00000/img00000000.png", "00000/img00000001.png",
                                        "00000/img00000002.png", "dataset.json"]
        assert json.loads(z.read("dataset.json")) == {"labels": None}
        assert _png_array(z.read("00000/img00000001.png")).shape == (8, 8)  # grey: one channel, 'L'
    assert written.flags == f"--data {tmp_path / 'set' / 'dataset.zip'} --mirror=0"


@pytest.mark.parametrize("name, fmt, size, n, message", [
    ("shaded", "mnist", 16, 4, "the mnist format holds grey images, and 'shaded' has 3 channels"),
    ("shaded-grey", "folder", 24, 4, "folder needs a power-of-two size >= 4"),
    ("shaded-grey", "stylegan2-zip", 2, 4, "stylegan2-zip needs a power-of-two size >= 4"),
    ("shaded-grey", "mnist", 16, 0, "n must be >= 1 images, got 0"),
    ("shaded-grey", "tfrecords", 16, 4, "format 'tfrecords': expected one of mnist, folder, stylegan2-zip"),
])
def test_writer_refuses_bad_requests(tmp_path, name, fmt, size, n, message):
    with pytest.raises(ValueError, match=message):
        write_known_factor_set(tmp_path / "set", factor_set(name), fmt, size, n)
    assert not (tmp_path / "set").exists()


def test_writer_keeps_a_non_empty_folder_unless_forced(tmp_path):
    root = tmp_path / "set"
    root.mkdir()
    (root / "mine.txt").write_text("keep")
    with pytest.raises(FileExistsError, match="is not empty"):
        write_known_factor_set(root, factor_set("shaded-grey"), "mnist", 8, 2)
    write_known_factor_set(root, factor_set("shaded-grey"), "mnist", 8, 2, force=True)
    assert not (root / "mine.txt").exists() and read_meta(root)["n"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set"]  # no temporary folder left beside it


def test_interrupted_write_leaves_the_old_set_and_no_temporary_folder(tmp_path, monkeypatch):
    root = tmp_path / "set"
    write_known_factor_set(root, factor_set("shaded-grey"), "mnist", 8, 3)

    def broken(*args):
        raise KeyboardInterrupt

    monkeypatch.setitem(host_formats._WRITERS, "mnist", broken)
    with pytest.raises(KeyboardInterrupt):
        write_known_factor_set(root, factor_set("shaded-grey"), "mnist", 8, 9, force=True)
    assert read_meta(root)["n"] == 3 and sorted(p.name for p in tmp_path.iterdir()) == ["set"]


def test_read_meta_names_the_command_for_a_foreign_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="was not written by `hjgan data"):
        read_meta(tmp_path)


def test_cli_writes_each_set_and_prints_the_host_flags(tmp_path):
    runner = CliRunner()
    for name in FACTOR_SETS:
        out = runner.invoke(cli_main, ["data", name, str(tmp_path / name), "--format", "stylegan2-zip",
                                       "--size", "8", "--n", "5"])
        assert out.exit_code == 0, out.output
        assert f"wrote 5 8x8 {name} images" in out.output and "for StyleGAN2-ADA train.py" in out.output
        assert (tmp_path / name / "dataset.zip").is_file()


def test_cli_refusals_exit_with_their_reason(tmp_path):
    runner = CliRunner()
    out = runner.invoke(cli_main, ["data", "shaded", str(tmp_path / "a"), "--format", "mnist"])
    assert out.exit_code == 2 and "the mnist format holds grey images" in out.output
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x").write_text("")
    out = runner.invoke(cli_main, ["data", "shaded-grey", str(tmp_path / "b"), "--size", "8", "--n", "2"])
    assert out.exit_code == 2 and "is not empty; --force replaces it" in out.output


# -- the read-out and the scores -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def readout(tmp_path_factory) -> FactorReadout:
    torch.set_num_threads(2)
    model = FactorReadout("shaded-grey", 16, n_train=10000, n_test=1000, epochs=6).fit()
    path = tmp_path_factory.mktemp("readout") / "readout.pt"
    model.save(path)
    return FactorReadout.load(path)


def test_readout_reads_the_factors_of_held_out_images(readout):
    report = readout.report
    assert min(report["r2"].values()) > 0.8, report
    assert 0.85 <= report["valid_real"] <= 1.0  # the gate is calibrated to pass 95% of true images


def test_readout_gate_rejects_what_the_renderer_cannot_draw(readout):
    noise = torch.rand(200, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    two = readout.rendered(200, seed=5)[0] + readout.rendered(200, seed=6)[0].roll(5, 3)
    assert readout.validity(noise).float().mean() == 0.0
    assert readout.validity(two.clamp(0, 1)).float().mean() < 0.2


def test_readout_refusals(readout, tmp_path):
    with pytest.raises(ValueError, match=r"takes images \(n, 1, 16, 16\)"):
        readout.predict(torch.zeros(2, 3, 16, 16))
    with pytest.raises(TypeError, match="floating point"):
        readout.predict(torch.zeros(2, 1, 16, 16, dtype=torch.uint8))
    with pytest.raises(RuntimeError, match="not trained"):
        FactorReadout("shaded-grey", 16).predict(torch.zeros(1, 1, 16, 16))
    with pytest.raises(ValueError, match="power-of-two image size >= 8"):
        FactorReadout("shaded-grey", 12)
    torch.save({"weights": 1}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="is not a FactorReadout file"):
        FactorReadout.load(tmp_path / "other.pt")
    with pytest.raises(FileNotFoundError, match="factor read-out not found"):
        FactorReadout.load(tmp_path / "missing.pt")


def _renderer_generator(mixing: torch.Tensor):
    """A generator that renders its latents: each factor is Φ of one mixed latent mapped into its range."""
    fs = factor_set("shaded-grey")
    ranges = torch.tensor([shaded.RANGES[k] for k in fs.factor_names])

    def G(z: torch.Tensor) -> torch.Tensor:
        u = torch.from_numpy(norm.cdf((z @ mixing).numpy())).float()
        return fs.render(ranges[:, 0] + u * (ranges[:, 1] - ranges[:, 0]), 16)

    return G


def test_scores_tell_a_disentangled_generator_from_an_entangled_one(readout):
    real = readout.rendered(500, seed=7)[0]
    turn = torch.linalg.qr(torch.randn(4, 4, generator=torch.Generator().manual_seed(0)))[0]
    clean = known_factor_scores(_renderer_generator(torch.eye(4)), 4, readout, real, n=1500, vp_pairs=0)
    mixed = known_factor_scores(_renderer_generator(turn), 4, readout, real, n=1500, vp_pairs=0)
    assert clean["mig"] > 0.4 and clean["dci_d"] > 0.6, clean
    assert clean["mig"] > mixed["mig"] + 0.2 and clean["dci_d"] > mixed["dci_d"] + 0.2, (clean, mixed)
    assert clean["valid"] > 0.8 and mixed["valid"] > 0.8  # both draw only true images: same quality
    assert clean["fd"] < 1.0 * max(1.0, mixed["fd"]) + 5


def test_scores_of_a_blank_generator_and_of_nan(readout):
    real = readout.rendered(200, seed=7)[0]
    blank = known_factor_scores(lambda z: torch.zeros(len(z), 1, 16, 16), 4, readout, real, n=300, vp_pairs=0)
    assert blank["mig"] == 0.0 and blank["dci_d"] == 0.0 and blank["valid"] == 0.0
    nan = known_factor_scores(lambda z: torch.full((len(z), 1, 16, 16), float("nan")), 4, readout, real, n=50,
                              vp_pairs=0)
    assert nan["nonfinite"] and nan["valid"] == 0.0 and math.isnan(nan["mig"])
