"""The known-factor benchmark's settings, verdicts and page (benchmarks/pytorch_gan_known_factors.py).

Its end-to-end run on the real PyTorch-GAN scripts is in tests/test_pytorch_gan_upstream.py.
"""
from __future__ import annotations

import argparse
import math

import pytest

from benchmarks.known import report, settings
from benchmarks.pytorch_gan_known_factors import parse_args


def test_a_setting_s_flags_name_its_lambdas_layers_and_options():
    assert settings.flags("plain", "dcgan") == []
    assert settings.flags("hj", "dcgan") == ["--hj"]
    # every option a script's adapter may default is given: a setting means the same on every script
    assert settings.flags("out:0.01", "gan") == [
        "--hj", "--hj-lambda-h", "0.01", "--hj-lambda-j", "1e-05", "--hj-layers", "output", "--hj-interval", "1",
        "--hj-subbatch", "1", "--hj-unbiased", "true"]
    assert settings.flags("recipe:1:biased:every=4:sub=0.5", "dcgan") == [
        "--hj", "--hj-lambda-h", "1", "--hj-lambda-j", "0.001",
        "--hj-layers", "conv_blocks.0,conv_blocks.4,conv_blocks.8,output", "--hj-interval", "4",
        "--hj-subbatch", "0.5", "--hj-unbiased", "false"]
    assert settings.label("recipe:0.001:every=8") == "recipe layers, λ_H 0.001, every 8"


@pytest.mark.parametrize("bad, message", [
    ("out", "use plain, hj, out:LAMBDA or recipe:LAMBDA"),
    ("layers:0.1", "use plain, hj, out:LAMBDA or recipe:LAMBDA"),
    ("out:big", "'big' is not a number"),
    ("out:0", "must be finite and > 0"),
    ("out:inf", "must be finite and > 0"),
    ("out:nan", "must be finite and > 0"),
    ("out:0.1:every=2.5", "'2.5' is not an integer"),
    ("out:0.1:sub=1.5", "sub=1.5 must be in (0, 1]"),
    ("out:0.1:lazy", "unknown suffix 'lazy'"),
])
def test_a_bad_setting_is_refused_by_name(bad, message):
    with pytest.raises(argparse.ArgumentTypeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        settings.check(bad)


def test_recipe_layers_are_refused_for_a_script_without_a_set():
    with pytest.raises(argparse.ArgumentTypeError, match="no recipe layer set for wgan_gp"):
        settings.flags("recipe:0.1", "wgan_gp")


def test_the_command_line_needs_plain_and_a_checkout(tmp_path, capsys):
    with pytest.raises(SystemExit):
        parse_args(["--checkout", str(tmp_path)])
    assert "must be an eriklindernoren/PyTorch-GAN checkout" in capsys.readouterr().err
    (tmp_path / "implementations" / "dcgan").mkdir(parents=True)
    (tmp_path / "implementations" / "dcgan" / "dcgan.py").write_text("")
    with pytest.raises(SystemExit):
        parse_args(["--checkout", str(tmp_path), "--settings", "hj"])
    assert "--settings must include plain" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse_args(["--checkout", str(tmp_path), "--size", "20"])
    assert "use a power of two >= 16" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse_args(["--checkout", str(tmp_path), "--latent-dim", "100"])
    assert "--vp-pairs 2000: VP trains on 10% of the pairs, 5 per latent at least: use >= 5000" in capsys.readouterr().err
    args = parse_args(["--checkout", str(tmp_path), "--settings", "out:1", "plain", "out:1"])
    assert args.settings == ["plain", "out:1"]


def _rows(setting: str, migs: list[float], fds: list[float], valid: float = 0.5, spi: float = 0.1) -> list[dict]:
    return [{"model": "dcgan", "setting": setting, "seed": i, "mig": m, "dci_d": m, "vp": 0.3, "fd": f,
             "valid": valid, "seconds_per_iteration": spi, "grid": [[0.5] * 16] * 40}
            for i, (m, f) in enumerate(zip(migs, fds))]


PLAIN = _rows("plain", [0.10, 0.12, 0.11, 0.09, 0.10], [50, 52, 51, 49, 50])


def test_a_setting_pays_only_with_the_gain_the_quality_and_the_cost():
    pays = _rows("out:0.01", [0.30, 0.28, 0.31, 0.29, 0.32], [51, 53, 50, 52, 51], spi=0.12)
    worse = _rows("out:1", [0.40, 0.42, 0.41, 0.39, 0.40], [80, 82, 81, 79, 80])
    slow = _rows("recipe:0.01", [0.30, 0.28, 0.31, 0.29, 0.32], [51, 53, 50, 52, 51], spi=0.4)
    rows = PLAIN + pays + worse + slow
    j = report.judge(rows, "dcgan", "out:0.01")
    assert j["verdict"] == "pays" and j["p"] < 0.05 and math.isclose(j["gain"], 0.196, abs_tol=1e-9)
    assert math.isclose(j["cost"], 1.2) and j["kept"]
    assert report.judge(rows, "dcgan", "out:1")["verdict"] == "does not pay"
    assert not report.judge(rows, "dcgan", "out:1")["kept"]
    assert report.judge(rows, "dcgan", "recipe:0.01")["verdict"] == "does not pay"  # 4× plain's cost
    assert report.best(rows, "dcgan", ["plain", "out:0.01", "out:1", "recipe:0.01"]) in ("out:0.01", "recipe:0.01")


def test_one_seed_is_a_screen_and_a_lost_valid_fraction_is_lost_quality():
    rows = PLAIN[:1] + _rows("out:0.01", [0.3], [50], valid=0.2)
    j = report.judge(rows, "dcgan", "out:0.01")
    assert math.isnan(j["p"]) and j["verdict"] == "screen: no" and not j["kept"]
    assert report.best(rows, "dcgan", ["plain", "out:0.01"]) is None


def test_the_page_and_figure_say_what_was_measured(tmp_path):
    rows = PLAIN + _rows("out:0.01", [0.30, 0.28, 0.31, 0.29, 0.32], [51, 53, 50, 52, 51], spi=0.12)
    result = {"settings": {"models": ["dcgan"], "settings": ["plain", "out:0.01"], "seeds": [0, 1, 2, 3, 4],
                           "factors": "shaded-grey", "size": 16, "iterations": 10, "batch_size": 32,
                           "latent_dim": 4, "samples": 400, "upstream": "eriklindernoren/PyTorch-GAN 36d3c77"},
              "readout": {"r2": {"x": 0.99, "y": 0.98}, "valid_real": 0.94},
              "rows": rows, "machine": {"cpus": 2, "seconds": 120}}
    report.write(result, tmp_path, "known", "python benchmarks/pytorch_gan_known_factors.py")
    page = (tmp_path / "known.md").read_text()
    assert "| output, λ_H 0.01 | 0.30 ± 0.02 |" in page and "| pays |" in page
    assert "Highest MIG at kept quality: output, λ_H 0.01." in page and "R² x 0.990, y 0.980" in page
    assert (tmp_path / "known.png").stat().st_size > 10_000
