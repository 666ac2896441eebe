"""Bad input to discovery, the estimators and the command line: a named error (or warning), nothing half
written, and on the command line one line with exit status 2, never a traceback."""
from __future__ import annotations

import math
import warnings
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from torch import nn

from hjgan_plugin.cli import main as cli_main
from hjgan_plugin.discovery import Directions, discover_directions
from hjgan_plugin.errors import StepSizeWarning
from hjgan_plugin.estimators import hessian_penalty, jacobian_penalty, joint_penalty

FACTORY = '''
import torch
def make():
    return torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.Tanh(), torch.nn.Linear(16, 4))
class Flat(torch.nn.Module):  # ignores its latent
    def __init__(self):
        super().__init__()
        self.l = torch.nn.Linear(3, 4)
    def forward(self, z):
        return self.l(z * 0)
'''


def mlp() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 4))


# ----------------------------------------------------------------------------- estimators
def test_G_z_of_another_shape_is_refused_not_broadcast():
    G, z = mlp(), torch.randn(8, 3)
    for wrong in (G(z)[0], G(z)[:1], G(z).T):
        with pytest.raises(ValueError, match=r"G_z has shape .* but G\(z\) has \(8, 4\)"):
            joint_penalty(G, z, 1.0, 1.0, G_z=wrong)


def test_a_reduction_must_return_a_scalar():
    with pytest.raises(ValueError, match=r"reduction '<lambda>' returned \(8, 4\); it must reduce .* to one scalar"):
        hessian_penalty(mlp(), torch.randn(8, 3), reduction=lambda x: x)
    with pytest.raises(ValueError, match="reduction must be a callable or one of"):
        hessian_penalty(mlp(), torch.randn(8, 3), reduction=3)


def test_an_integer_output_is_refused():
    with pytest.raises(TypeError, match="activation 0 of G is int64: the penalty needs a floating-point output"):
        jacobian_penalty(lambda z: (z * 100).long(), torch.randn(4, 3))


@pytest.mark.parametrize("epsilon,why", [(1e-20, "ε⁴ underflows"), (1e-9, "z \\+ εv rounds back to z")])
def test_a_step_lost_in_the_dtype_warns(epsilon, why):
    with pytest.warns(StepSizeWarning, match=why):
        hessian_penalty(mlp(), torch.randn(4, 3) + 10, epsilon=epsilon)
    with warnings.catch_warnings():
        warnings.simplefilter("error", StepSizeWarning)
        hessian_penalty(mlp(), torch.randn(4, 3), epsilon=0.1)  # the references' step: silent


# ----------------------------------------------------------------------------- discovery
@pytest.mark.parametrize("kwargs,match", [
    ({"steps": 0}, "steps must be an integer >= 1, got 0"),
    ({"num_directions": 2.5}, "num_directions must be an integer >= 1, got 2.5"),
    ({"batch_size": True}, "batch_size must be an integer >= 1, got True"),
    ({"lr": math.nan}, "lr must be a finite number > 0, got nan"),
])
def test_discovery_refuses_counts_that_mean_nothing(kwargs, match):
    args = {"num_directions": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        discover_directions(mlp(), 3, method="joint", **{k: v for k, v in args.items()})


def test_discovery_refuses_a_G_that_ignores_z():
    class Flat(nn.Module):
        def __init__(self):
            super().__init__()
            self.l = nn.Linear(3, 4)

        def forward(self, z):
            return self.l(z * 0)

    with pytest.raises(ValueError, match="the loss stayed at 0 for all 3 steps"):
        discover_directions(Flat(), 3, 2, "joint", steps=3)


def test_directions_refuse_nan_at_creation_save_and_load(tmp_path):
    with pytest.raises(ValueError, match="directions hold NaN or inf"):
        Directions(torch.tensor([[1.0, math.nan]]), "joint")
    path = Directions(torch.eye(2), "joint").save(tmp_path / "d.pt")
    blob = torch.load(path, weights_only=True)
    blob["directions"][0, 0] = math.inf
    torch.save(blob, path)
    with pytest.raises(ValueError, match=r"d.pt: not usable directions: directions hold NaN or inf"):
        Directions.load(path)


def test_saving_directions_to_a_folder_is_refused_and_leaves_nothing(tmp_path):
    with pytest.raises(ValueError, match="is a folder: save directions to a file in it"):
        Directions(torch.eye(2), "joint").save(tmp_path)
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- the command line
@pytest.fixture()
def factory(tmp_path: Path) -> str:
    (tmp_path / "gen.py").write_text(FACTORY)
    (tmp_path / "junk.pt").write_text("not a checkpoint")
    (tmp_path / "empty.npy").write_bytes(b"")
    return str(tmp_path / "gen.py")


def _cli(*args: str):
    return CliRunner().invoke(cli_main, list(args))


@pytest.mark.parametrize("case,expected", [
    (["--steps", "-1"], "steps must be an integer >= 1, got -1"),
    (["--num-directions", "2.5"], "'2.5' is not a valid integer"),
    (["--out", "/proc/hjgan-cannot-write-here"], "Error: "),
    (["--checkpoint", "{tmp}/junk.pt"], "junk.pt is not a readable torch checkpoint"),
    (["--generator", "{factory}:Flat"], "the loss stayed at 0"),
])
def test_discover_bad_input_is_one_line_with_status_2(factory, tmp_path, case, expected):
    base = {"--generator": f"{factory}:make", "--latent-dim": "3", "--num-directions": "2",
            "--out": str(tmp_path / "out"), "--steps": "3"}
    for flag, value in zip(case[::2], case[1::2]):
        base[flag] = value.format(tmp=tmp_path, factory=factory)
    result = _cli("discover", *[x for pair in base.items() for x in pair], "--no-progress")
    assert result.exit_code == 2, result.output
    assert expected in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out" / "directions.pt").exists()


def test_an_unreadable_samples_file_is_one_line_not_aborted(factory, tmp_path):
    result = _cli("eval", "modes", str(tmp_path / "empty.npy"), "--mixture", "ring")
    assert result.exit_code == 2 and "Aborted" not in result.output and "Traceback" not in result.output
    assert result.output.strip().startswith("Error: ") and len(result.output.strip().splitlines()) == 1


def test_host_launchers_answer_help_without_their_checkout_or_package():
    help_text = _cli("stylegan2-ada", "train", "--help")
    assert help_text.exit_code == 0 and "--hj-lambda-h" in help_text.output and "--repo DIR" in help_text.output
    missing = _cli("stylegan2-ada", "train")
    assert missing.exit_code == 2 and "--repo DIR is required" in missing.output
    progan = _cli("progan", "train", "--help")
    assert progan.exit_code == 0 and "--hj-lambda-h" in progan.output


def test_sefa_refuses_a_G_whose_output_ignores_z():
    flat = nn.Sequential(nn.Linear(3, 4))
    with torch.no_grad():
        flat[0].weight.zero_()
    with pytest.raises(ValueError, match="every eigenvalue is 0, so the directions are arbitrary"):
        discover_directions(flat, 3, 2, "sefa", samples=16)


def test_unrolled_refuses_a_real_batch_of_another_shape():
    import hjgan_plugin as hj

    torch.manual_seed(0)
    G, D = nn.Linear(3, 4), nn.Sequential(nn.Linear(4, 1))
    session = hj.attach(G, D, adapter="non-saturating", penalty="none", unrolled_steps=1)
    z = torch.randn(4, 3)
    with pytest.raises(ValueError, match=r"the real batch must be a floating tensor shaped like the fakes \(N, 4\)"):
        session.generator_penalty(z, G_z=G(z), real=torch.randn(4, 5))


@pytest.mark.parametrize("extra,hint", [(["--scale", "0"], "--scale"), (["--range", "inf"], "--range"),
                                        (["--traversal-steps", "1"], "--traversal-steps"),
                                        (["--path-size", "nan"], "path_size must be a finite number > 0")])
def test_discover_checks_the_walk_before_any_work(factory, tmp_path, extra, hint):
    result = _cli("discover", "--generator", f"{factory}:make", "--latent-dim", "3", "--num-directions", "2",
                  "--out", str(tmp_path / "out"), "--steps", "2", "--no-progress", *extra)
    assert result.exit_code == 2 and hint in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("extra,hint", [(["--samples", "0"], "--samples"), (["--range", "nan"], "--range"),
                                        (["--steps", "1"], "--steps"), (["--scale", "0"], "--scale")])
def test_traverse_refuses_a_walk_that_shows_nothing(factory, tmp_path, extra, hint):
    Directions(torch.eye(3)[:2], "joint").save(tmp_path / "d.pt")
    result = _cli("traverse", str(tmp_path / "d.pt"), "--generator", f"{factory}:make",
                  "--out", str(tmp_path / "t.png"), *extra)
    assert result.exit_code == 2 and hint in result.output and not (tmp_path / "t.png").exists()


def _commands(group, prefix=()):
    import click

    for name, command in sorted(group.commands.items()):
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


COMMANDS = [path for path, _ in _commands(cli_main)]


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(p) for p in COMMANDS])
def test_every_command_answers_help_and_an_unknown_option_in_one_line(path):
    shown = _cli(*path, "--help")
    assert shown.exit_code == 0 and "Traceback" not in shown.output and shown.output.strip()
    wrong = _cli(*path, "--no-such-option-anywhere")
    assert wrong.exit_code == 2 and "Traceback" not in wrong.output
    assert wrong.exception is None or isinstance(wrong.exception, SystemExit)


def test_discover_prints_its_cost_estimate_from_the_first_steps(factory, tmp_path):
    from hjgan_plugin.cli.discover import ESTIMATE_AFTER, cost_estimate

    assert cost_estimate(4.2, 5, 500) == "discovery: 0.84 s a step over the first 5: about 7 min for 500 steps " \
                                         "(--steps sets it)"
    assert "about 2.3 h" in cost_estimate(50.0, 3, 500) and "about 20 s" in cost_estimate(1.0, 5, 100)
    result = _cli("discover", "--generator", f"{factory}:make", "--latent-dim", "3", "--num-directions", "2",
                  "--out", str(tmp_path / "out"), "--steps", str(ESTIMATE_AFTER + 2))
    assert result.exit_code == 0 and f"over the first {ESTIMATE_AFTER}: about" in result.output
    short = _cli("discover", "--generator", f"{factory}:make", "--latent-dim", "3", "--num-directions", "2",
                 "--out", str(tmp_path / "short"), "--steps", "3")
    assert short.exit_code == 0 and "over the first" not in short.output
