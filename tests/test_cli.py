"""The ``hjgan`` command line: ``hjgan game``, ``hjgan plugins``, ``hjgan patch``, ``hjgan demo``, through
click's runner and the installed console script."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from click.testing import CliRunner

from hjgan_plugin import EagleDove
from hjgan_plugin.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------------------------------ CLI
def test_cli_game_default():
    result = CliRunner().invoke(cli_main, ["game"])
    assert result.exit_code == 0, result.output
    assert "alpha = 0.5, beta = 0.5" in result.output
    assert "Eagle" in result.output and "Dove" in result.output and "equilibrium" in result.output


@pytest.mark.parametrize("args", [["--game", "1,3,0.25"], ["--v", "1", "--c", "3", "--split", "0.25"]])
def test_cli_game_parameters(args):
    alpha, beta = EagleDove(1, 3, 0.25).coefficients()
    result = CliRunner().invoke(cli_main, ["game", *args])
    assert result.exit_code == 0, result.output
    assert f"alpha = {alpha:.6g}, beta = {beta:.6g}" in result.output
    assert "v=1 c=3 split=0.25" in result.output


def test_cli_game_json():
    result = CliRunner().invoke(cli_main, ["game", "--game", "1,3,0.25", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    game = EagleDove(1, 3, 0.25)
    assert (data["v"], data["c"], data["split"]) == (1.0, 3.0, 0.25)
    assert (data["alpha"], data["beta"]) == pytest.approx(game.coefficients(), rel=1e-12)
    assert data["payoffs"] == game.payoff_matrix().tolist()
    assert data["equilibrium"]["kind"] == "mixed"
    pure = json.loads(CliRunner().invoke(cli_main, ["game", "--v", "2", "--c", "1", "--json"]).output)
    assert pure["equilibrium"]["kind"] == "pure" and (pure["alpha"], pure["beta"]) == (1.0, 1.0)


@pytest.mark.parametrize("args, word", [
    (["--split", "1.5"], "split"),
    (["--game", "1,2,1.5"], "split"),
    (["--c", "-1"], "c"),
    (["--game", "1,2"], "--game"),
    (["--game", "1,2,0.5", "--v", "1"], "--game"),
])
def test_cli_game_invalid_is_a_usage_error(args, word):
    result = CliRunner().invoke(cli_main, ["game", *args])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # click's exit, not an escaped exception
    assert "Traceback" not in result.output
    assert word in result.output.split("Error:", 1)[1]


def test_cli_invalid_split_names_split():
    result = CliRunner().invoke(cli_main, ["game", "--split", "1.5"])
    assert result.exit_code == 2
    assert "split must lie in (0, 1)" in result.output and "1.5" in result.output


def test_cli_plugins_lists_every_builtin_and_integration():
    result = CliRunner().invoke(cli_main, ["plugins"])
    assert result.exit_code == 0, result.output
    out = result.output
    for name in ("exchange_rules", "generic_adapter", "progan", "pytorch_gan", "stylegan2_ada"):
        assert f"\n  {name} [" in out, name
    assert "adapters:" in out and "  generic:" in out and "  stylegan2-ada:" in out and "  progan:" in out
    assert "exchange rules: blend, blend-norm, random-control, random-fixed" in out
    assert "patch hosts (hjgan patch HOST DIR): pytorch-gan, stylegan2-ada" in out


def test_cli_patch_refuses_an_unknown_host(tmp_path):
    result = CliRunner().invoke(cli_main, ["patch", "biggan", str(tmp_path)])
    assert result.exit_code == 2 and "'biggan' is not a host of an installed integration" in result.output
    assert "['pytorch-gan', 'stylegan2-ada']" in result.output


@pytest.mark.parametrize("host", ["stylegan2-ada", "progan"])
def test_cli_has_the_integration_commands(host):
    result = CliRunner().invoke(cli_main, [host, "--help"])
    assert result.exit_code == 0 and "train" in result.output


def test_cli_demo_forwards_arguments(monkeypatch):
    import hjgan_plugin.demo as demo

    seen = []
    monkeypatch.setattr(demo, "main", lambda argv=None: seen.append(argv) or 3)
    result = CliRunner().invoke(cli_main, ["demo", "--iters", "5", "--out", "somewhere", "--help"])
    assert seen == [["--iters", "5", "--out", "somewhere", "--help"]]
    assert result.exit_code == 3


def _console_script() -> str | None:
    candidates = [Path(sys.executable).parent / "hjgan", Path(sysconfig.get_path("scripts")) / "hjgan"]
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    return shutil.which("hjgan")


def test_installed_console_script():
    script = _console_script()
    if script is None:
        pytest.skip("the 'hjgan' console script is not installed (pip install -e . creates it)")
    ok = subprocess.run([script, "game", "--game", "1,3,0.25"], capture_output=True, text=True, timeout=60)
    alpha, beta = EagleDove(1, 3, 0.25).coefficients()
    assert ok.returncode == 0, ok.stderr
    assert f"alpha = {alpha:.6g}, beta = {beta:.6g}" in ok.stdout
    bad = subprocess.run([script, "game", "--split", "1.5"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "split must lie" in bad.stderr and "Traceback" not in bad.stderr


def test_python_dash_m():
    result = subprocess.run([sys.executable, "-m", "hjgan_plugin", "game", "--json"], capture_output=True,
                            text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["alpha"] == 0.5
