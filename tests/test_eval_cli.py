"""``hjgan eval``: metrics on saved samples, through the real command line."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from hjgan_plugin.cli import main
from hjgan_plugin.datasets import grid, ring, stacked_digits


pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py


def run(*args: str):
    return CliRunner().invoke(main, ["eval", *args])


def test_modes_on_true_ring_samples_and_a_collapsed_generator(tmp_path):
    x, _ = ring(4000, generator=torch.Generator().manual_seed(0))
    np.save(tmp_path / "ring.npy", x.numpy())
    result = run("modes", str(tmp_path / "ring.npy"), "--mixture", "ring", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["modes_loose"] == out["modes_strict_20"] == out["modes_total"] == 8
    assert out["hq_fraction"] > 0.97 and out["reverse_kl"] < 0.01 and out["n_nan"] == 0
    collapsed = x[torch.linalg.norm(x - x[:1], dim=1) < 0.2]  # the samples of one mode
    torch.save(collapsed, tmp_path / "collapsed.pt")
    out = json.loads(run("modes", str(tmp_path / "collapsed.pt"), "--mixture", "ring", "--json").output)
    assert out["modes_loose"] == 1 and out["reverse_kl"] == pytest.approx(np.log(8))


def test_modes_table_output_and_nan_counting(tmp_path):
    x, _ = grid(2000, generator=torch.Generator().manual_seed(1))
    x[:5] = float("nan")
    np.save(tmp_path / "g.npy", x.numpy())
    result = run("modes", str(tmp_path / "g.npy"), "--mixture", "grid")
    assert result.exit_code == 0, result.output
    assert "n_nan  5" in result.output and "modes_loose  25" in result.output


def test_ndb_same_vs_shifted(tmp_path):
    gen = torch.Generator().manual_seed(2)
    a, b = torch.randn(3000, 2, generator=gen), torch.randn(3000, 2, generator=gen)
    np.save(tmp_path / "a.npy", a.numpy())
    np.save(tmp_path / "b.npy", b.numpy())
    np.save(tmp_path / "c.npy", (b + 1.0).numpy())
    same = json.loads(run("ndb", str(tmp_path / "a.npy"), str(tmp_path / "b.npy"), "--k", "20", "--json").output)
    shifted = json.loads(run("ndb", str(tmp_path / "a.npy"), str(tmp_path / "c.npy"), "--k", "20", "--json").output)
    assert same["ndb"] <= 4 < shifted["ndb"]
    assert same["jsd"] < shifted["jsd"]


def test_digits_with_saved_classifier_and_fd(tmp_path):
    real, _, _ = stacked_digits(1200, generator=torch.Generator().manual_seed(3), split="test")
    fake = torch.rand(1200, 3, 8, 8, generator=torch.Generator().manual_seed(4))
    torch.save(real, tmp_path / "real.pt")
    torch.save(fake, tmp_path / "fake.pt")
    first = run("digits", str(tmp_path / "real.pt"), "--save-classifier", str(tmp_path / "clf.pt"), "--json")
    assert first.exit_code == 0, first.output
    out = json.loads(first.output[first.output.index("{"):])
    assert out["modes"] > 500 and out["classifier_test_accuracy"] > 0.95
    assert out["confident"] > 0.8  # real held-out digits: most are classified with p >= 0.9 (default)
    second = run("digits", str(tmp_path / "fake.pt"), "--real", str(tmp_path / "real.pt"),
                 "--classifier", str(tmp_path / "clf.pt"), "--json")
    assert second.exit_code == 0, second.output
    noise = json.loads(second.output[second.output.index("{"):])
    assert noise["fd_digits"] > 10 * max(out.get("fd_digits", 0.0), 1.0)
    assert noise["confident"] < 0.2 < out["confident"]  # uniform noise "covers" modes, but not confidently
    off = run("digits", str(tmp_path / "fake.pt"), "--classifier", str(tmp_path / "clf.pt"), "--confidence", "0",
              "--json")
    assert off.exit_code == 0 and "confident" not in json.loads(off.output[off.output.index("{"):])
    bad = run("digits", str(tmp_path / "fake.pt"), "--classifier", str(tmp_path / "clf.pt"), "--confidence", "2")
    assert bad.exit_code == 2 and "confidence must be in (0, 1]" in bad.output


def test_factors_mig_and_dci(tmp_path):
    gen = torch.Generator().manual_seed(5)
    factors = torch.rand(2000, 3, generator=gen)
    latents = factors + 0.01 * torch.randn(2000, 3, generator=gen)
    np.save(tmp_path / "z.npy", latents.numpy())
    np.save(tmp_path / "c.npy", factors.numpy())
    result = run("factors", str(tmp_path / "z.npy"), str(tmp_path / "c.npy"), "--regressor", "lasso", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["mig"] > 0.5 and out["dci_disentanglement"] > 0.9


@pytest.mark.parametrize("args,message", [
    (["modes", "missing.npy", "--mixture", "ring"], "no such file: missing.npy"),
    (["digits", "x.npy", "--classifier", "nope.pt"], "no such classifier file: nope.pt"),
])
def test_missing_files_are_named(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    np.save(tmp_path / "x.npy", np.zeros((4, 3, 8, 8), dtype=np.float32))
    result = run(*args)
    assert result.exit_code == 2 and message in result.output


def test_metric_input_errors_become_usage_errors(tmp_path):
    np.save(tmp_path / "bad.npy", np.zeros((10, 3), dtype=np.float32))  # mixtures need (n, 2)
    result = run("modes", str(tmp_path / "bad.npy"), "--mixture", "grid")
    assert result.exit_code == 2 and "Traceback" not in result.output and "(n, 2)" in result.output


def test_unknown_file_type_is_refused(tmp_path):
    (tmp_path / "x.csv").write_text("1,2\n")
    result = run("modes", str(tmp_path / "x.csv"), "--mixture", "ring")
    assert result.exit_code == 2 and "expected a .npy or .pt file" in result.output


# ---------------------------------------------------------------------------------------------- vp
def _quadrant_image(z: torch.Tensor) -> torch.Tensor:
    """Latent k sets the brightness z_k^2 of image quadrant k (4 latents, 8x8 images): disentangled."""
    v = (z ** 2)[:, :, None, None].expand(-1, -1, 4, 4)
    return torch.cat([torch.cat([v[:, 0], v[:, 1]], 2), torch.cat([v[:, 2], v[:, 3]], 2)], 1).unsqueeze(1)


def test_vp_on_saved_pairs_matches_the_library(tmp_path):
    from hjgan_plugin.metrics import variation_pairs, vp_from_differences

    diff, dims = variation_pairs(_quadrant_image, 1000, 4, generator=torch.Generator().manual_seed(0))
    np.save(tmp_path / "diff.npy", diff.numpy())
    np.save(tmp_path / "dims.npy", dims.numpy())
    result = run("vp", str(tmp_path / "diff.npy"), str(tmp_path / "dims.npy"), "--runs", "2", "--epochs", "8",
                 "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["vp"] > 0.7 and out["latent_dim"] == 4 and out["chance"] == 0.25 and len(out["vp_runs"]) == 2
    assert "VP runs |" in result.stderr
    lib = vp_from_differences(diff, dims, runs=2, epochs=8)
    assert out["vp"] == pytest.approx(lib["vp"])
    # the same pairs as FIRST SECOND DIMS (G(z), G(z') = G(z) + diff), without a progress bar
    torch.save(torch.zeros_like(diff), tmp_path / "first.pt")
    torch.save(diff, tmp_path / "second.pt")
    both = run("vp", str(tmp_path / "first.pt"), str(tmp_path / "second.pt"), str(tmp_path / "dims.npy"),
               "--runs", "2", "--epochs", "8", "--no-progress", "--json")
    assert both.exit_code == 0 and both.stderr == ""
    assert json.loads(both.stdout)["vp"] == pytest.approx(out["vp"])


def test_vp_cli_counts_nan_pairs_and_refuses_too_few(tmp_path):
    diff = torch.randn(300, 6, generator=torch.Generator().manual_seed(1))
    dims = torch.arange(300) % 3
    diff[:4] = float("nan")
    np.save(tmp_path / "diff.npy", diff.numpy())
    np.save(tmp_path / "dims.npy", dims.numpy())
    from hjgan_plugin.metrics.digits import NonFiniteSamplesWarning

    with pytest.warns(NonFiniteSamplesWarning, match="4 of 300 pairs"):
        result = run("vp", str(tmp_path / "diff.npy"), str(tmp_path / "dims.npy"), "--runs", "1", "--epochs", "1",
                     "--no-progress")
    assert result.exit_code == 0, result.output
    assert "n_nan  4" in result.output and "n_pairs  296" in result.output
    with pytest.warns(NonFiniteSamplesWarning):
        few = run("vp", str(tmp_path / "diff.npy"), str(tmp_path / "dims.npy"), "--latent-dim", "20")
    assert few.exit_code == 2 and "too few pairs for VP" in few.output and "use n_pairs >=" in few.output
    bad = run("vp", str(tmp_path / "diff.npy"))
    assert bad.exit_code == 2 and "expected DIFF DIMS or FIRST SECOND DIMS" in bad.output
    np.save(tmp_path / "frac.npy", np.full(300, 0.5))
    frac = run("vp", str(tmp_path / "diff.npy"), str(tmp_path / "frac.npy"))
    assert frac.exit_code == 2 and "integer latent indices" in frac.output
