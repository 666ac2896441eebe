"""Plugin options, the plugin context and reporting (docs/design.md §6-§7).

- ``hjgan_addoption`` declares ``--hj-<group>-*`` options that reach argparse, click, ``attach(**fields)``,
  ``HJConfig.to_dict()`` (StyleGAN2-ADA's ``training_options.json``) and the session state;
- the example MSGAN plugin takes its weight from ``--hj-msgan-weight`` / ``attach(msgan_weight=...)``;
- ``hjgan_report`` fires after every step that did something (penalty steps, exchanges), and a term
  skipped as non-finite reads NaN, never the previous step's value.
"""
from __future__ import annotations

import argparse
import importlib
import io
import math
import warnings
from pathlib import Path

import click
import pytest
import torch
from click.testing import CliRunner
from torch import nn

from hjgan_plugin import HJConfig, NonFinitePenaltyWarning, attach
from hjgan_plugin.hookspecs import hookimpl
from hjgan_plugin.options import BUILTIN_OPTIONS, OptionParser
from hjgan_plugin.plugin_manager import make_plugin_manager, plugin_options
from nets import mlp

ROOT = Path(__file__).resolve().parents[1]


class OptionPlugin:
    """Declares ``--hj-mine-scale`` (float) and ``--hj-mine-mode`` (a choice)."""

    @hookimpl
    def hjgan_addoption(self, parser):
        group = parser.getgroup("mine", "a test plugin")
        group.addoption("scale", type=float, default=2.0, help="a scale")
        group.addoption("mode", default="a", choices=("a", "b"), help="a mode")


@pytest.fixture
def pm():
    manager = make_plugin_manager(load_entrypoints=False)
    manager.register(OptionPlugin(), name="mine")  # after the manager was built: the hook is historic
    return manager


@pytest.fixture
def msgan(monkeypatch):
    """The example plugin's module (installed, or from examples/ when it is not)."""
    monkeypatch.syspath_prepend(str(ROOT / "examples" / "hjgan-msgan"))
    return importlib.import_module("hjgan_msgan")


@pytest.fixture
def msgan_pm(msgan):
    manager = make_plugin_manager(load_entrypoints=False)
    manager.register(msgan, name="msgan")
    return manager


# ------------------------------------------------------------------------------------ the option table
def test_groups_prefix_their_options_and_late_plugins_are_asked_too(pm):
    options = {o.field: o for o in plugin_options(pm) if o.plugin == "mine"}
    assert set(options) == {"mine_scale", "mine_mode"}
    assert options["mine_scale"].flag == "--hj-mine-scale" and options["mine_scale"].plugin == "mine"
    assert options["mine_mode"].help_text == "a mode (default a)"


@pytest.mark.parametrize("declare,match", [
    (lambda p: p.getgroup("exchange").addoption("every"), "shadow the built-in --hj-exchange"),
    (lambda p: p.getgroup("k"), "shadow the built-in --hj-k"),
    (lambda p: p.getgroup("Mine"), "lower_case_with_underscores"),
    (lambda p: p.getgroup("mine").addoption("with-dash"), "lower_case_with_underscores"),
    (lambda p: p.getgroup("mine").addoption("n", type=int, default="x"), "invalid literal"),
    (lambda p: [p.getgroup("mine").addoption("n"), p.getgroup("mine").addoption("n")], "already declared by plugin"),
])
def test_bad_declarations_are_refused_with_the_reason(declare, match):
    with pytest.raises(ValueError, match=match):
        declare(OptionParser(BUILTIN_OPTIONS))


def test_a_clashing_plugin_is_refused_when_registered(pm):
    with pytest.raises(ValueError, match=r"--hj-mine-scale, already declared by plugin group 'mine'"):
        pm.register(OptionPlugin(), name="mine2")


# ------------------------------------------------------------------------- every way in, one option
def test_plugin_options_reach_argparse(pm):
    parser = HJConfig.add_argparse_args(argparse.ArgumentParser(), plugin_manager=pm)
    assert "--hj-mine-scale" in parser.format_help() and "(default 2.0)" in parser.format_help()
    config = HJConfig.from_argparse(parser.parse_args(["--hj", "--hj-mine-scale", "0.5"]), plugin_manager=pm)
    assert config.getoption("mine_scale") == 0.5 and config.getoption("mine_mode") == "a"
    with pytest.raises(SystemExit), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parser.parse_args(["--hj-mine-mode", "c"], )  # argparse prints the choices and exits 2


def test_plugin_options_reach_click(pm):
    seen = {}

    @click.command()
    @HJConfig.click_options(switch="int", plugin_manager=pm)
    def train(**kwargs):
        seen["config"] = HJConfig.from_click(kwargs, pop=True, plugin_manager=pm)
        seen["rest"] = kwargs

    result = CliRunner().invoke(train, ["--hj=1", "--hj-mine-mode", "b"])
    assert result.exit_code == 0, result.output
    assert seen["config"].getoption("mine_mode") == "b" and seen["rest"] == {}
    bad = CliRunner().invoke(train, ["--hj-mine-mode", "c"])
    assert bad.exit_code == 2 and "--hj-mine-mode (mine_mode) must be one of 'a', 'b', got 'c'" in bad.output


def test_plugin_options_reach_attach_the_config_dict_and_the_session_state(pm):
    session = attach(mlp(3, 4), None, plugin_manager=pm, mine_scale="0.25")  # text is parsed as a flag's would be
    assert session.context.getoption("mine_scale") == 0.25
    config = session.config.to_dict()
    assert config["mine_scale"] == 0.25 and config["mine_mode"] == "a"  # what training_options.json records
    assert HJConfig.from_dict(config, plugin_manager=pm) == session.config
    assert session.config.to_flags()[-2:] == ["--hj-mine-scale=0.25", "--hj-mine-mode=a"]
    buffer = io.BytesIO()
    torch.save(session.state_dict(), buffer)
    buffer.seek(0)
    assert torch.load(buffer, weights_only=True)["config"]["mine_scale"] == 0.25
    with pytest.raises(TypeError, match=r"unknown hjgan option\(s\) \['mine_scal'\].*`hjgan plugins`"):
        attach(mlp(3, 4), None, plugin_manager=pm, mine_scal=1.0)
    with pytest.raises(TypeError, match=r"unknown hjgan option\(s\) \['mine_scale'\]"):
        attach(mlp(3, 4), None, plugin_manager=make_plugin_manager(load_entrypoints=False), mine_scale=1.0)
    with pytest.raises(ValueError, match="--hj-mine-mode"):
        attach(mlp(3, 4), None, plugin_manager=pm, mine_mode="c")
    with pytest.raises(KeyError, match="no hjgan option 'nope'"):
        session.context.getoption("nope")


def test_the_context_is_what_a_plugin_sees():
    seen = []

    class Looker:
        @hookimpl
        def hjgan_generator_loss_terms(self, context, z):
            seen.append((context, context.steps, context.ramp, context.lazy_gain, context.getoption("k")))
            context.record(looked=1.0)
            out = context.call_generator(z)
            return {"look": 0.0 * out.sum()}

    manager = make_plugin_manager(load_entrypoints=False)
    manager.register(Looker(), name="looker")
    G = mlp(3, 4)
    session = attach(G, None, plugin_manager=manager, penalty="none", warmup=4)
    session.generator_penalty(torch.randn(4, 3))
    context, steps, ramp, gain, k = seen[0]
    assert context is session.context and not hasattr(context, "exchange") and not hasattr(context, "pm")
    assert (steps, ramp, gain, k) == ({"G": 0, "D": 0}, 0.25, 1, 2)
    assert session.last["looked"] == 1.0 and session.last["look"] == 0.0


# ------------------------------------------------------------------------------- the MSGAN example
class ConditionalG(nn.Module):
    """G(z, labels): a one-hot label concatenated to z (the shape of a class-conditional trainer's G)."""

    def __init__(self, z_dim: int = 3, n_classes: int = 4, out: int = 5):
        super().__init__()
        self.n_classes = n_classes
        self.net = mlp(z_dim + n_classes, 16, out)

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        onehot = nn.functional.one_hot(labels, self.n_classes).to(z.dtype)
        return self.net(torch.cat([z, onehot], dim=1))


def hand_msgan(fake: torch.Tensor, z: torch.Tensor, weight: float) -> torch.Tensor:
    """MSGAN (Mao et al. 2019) written out independently of the plugin."""
    half = z.shape[0] // 2
    num = (fake[:half] - fake[half:2 * half]).abs().mean()
    den = (z[:half] - z[half:2 * half]).abs().mean()
    return weight / (num / den + 1e-5)


def test_msgan_weight_is_an_option_off_by_default(msgan, msgan_pm):
    assert not hasattr(msgan, "WEIGHT") and not hasattr(msgan, "ENV_VAR")  # no module global, no env var
    torch.manual_seed(0)
    G = ConditionalG()
    z, labels = torch.randn(6, 3), torch.tensor([0, 1, 2, 3, 0, 1])
    off = attach(G, None, adapter="conditional", plugin_manager=msgan_pm, penalty="none")
    assert off.config.getoption("msgan_weight") == 0.0
    assert float(off.generator_penalty(z, labels)) == 0.0 and "msgan" not in off.last

    session = attach(G, None, adapter="conditional", plugin_manager=msgan_pm, penalty="none", msgan_weight=2.5)
    assert session.state_dict()["config"]["msgan_weight"] == 2.5
    value = session.generator_penalty(z, labels)  # one forward of G(z, labels) through the adapter
    expected = hand_msgan(G(z, labels), z, 2.5)
    torch.testing.assert_close(value, expected, rtol=1e-6, atol=0)
    assert value.requires_grad
    assert session.last["msgan"] == pytest.approx(float(expected.detach()), rel=1e-6)
    fake = G(z, labels)  # the adversarial pass's output is reused
    torch.testing.assert_close(session.generator_penalty(z, labels, G_z=fake), hand_msgan(fake, z, 2.5),
                               rtol=1e-6, atol=0)


def test_msgan_weight_from_the_command_line(msgan_pm):
    parser = HJConfig.add_argparse_args(argparse.ArgumentParser(), plugin_manager=msgan_pm)
    config = HJConfig.from_argparse(parser.parse_args(["--hj", "--hj-msgan-weight", "0.5"]), plugin_manager=msgan_pm)
    session = attach(ConditionalG(), None, adapter="conditional", plugin_manager=msgan_pm, config=config)
    assert session.context.getoption("msgan_weight") == 0.5


def test_msgan_term_adds_to_the_joint_penalty_through_the_adapter(msgan_pm):
    torch.manual_seed(1)
    G = ConditionalG()
    z, labels = torch.randn(8, 3), torch.randint(0, 4, (8,))
    session = attach(G, None, adapter="conditional", plugin_manager=msgan_pm, penalty="joint",
                     lambda_h=1.0, lambda_j=1.0, msgan_weight=1.0)
    fake = G(z, labels)
    total = session.generator_penalty(z, labels, G_z=fake)
    last = session.last
    assert {"hj_penalty", "hj_hessian", "hj_jacobian", "msgan"} <= set(last)
    assert last["hj_hessian"] > 0 and last["hj_jacobian"] > 0  # the passes called G(z, labels) correctly
    assert float(total.detach()) == pytest.approx(last["hj_penalty"] + last["msgan"], rel=1e-5)
    assert last["msgan"] == pytest.approx(float(hand_msgan(fake, z, 1.0).detach()), rel=1e-6)


def test_conditional_adapter_without_labels_is_a_clear_error(msgan_pm):
    session = attach(ConditionalG(), None, adapter="conditional", plugin_manager=msgan_pm, penalty="joint")
    with pytest.raises(TypeError, match="labels"):
        session.generator_penalty(torch.randn(4, 3))


# ------------------------------------------------------------------------------------------ reporting
class Reporter:
    def __init__(self):
        self.received = []

    @hookimpl
    def hjgan_report(self, context, scalars, step):
        self.received.append((context, dict(scalars), step))


def _reporting_pm():
    manager, reporter = make_plugin_manager(load_entrypoints=False), Reporter()
    manager.register(reporter, name="reporter")
    return manager, reporter


def test_report_hook_receives_the_penalty_scalars():
    manager, reporter = _reporting_pm()
    adapter_calls = []
    from hjgan_plugin.adapters import Adapter

    torch.manual_seed(0)
    G = mlp(3, 16, 4)
    opt_g = torch.optim.SGD(G.parameters(), lr=1e-3)
    custom = Adapter(name="custom", report=lambda scalars, step: adapter_calls.append((dict(scalars), step)))
    session = attach(G, None, optimizer_G=opt_g, plugin_manager=manager, adapter=custom, penalty="joint")
    z = torch.randn(8, 3)
    for expected_step in (0, 1):
        opt_g.zero_grad()
        session.generator_penalty(z, G_z=G(z)).backward()
        opt_g.step()
        context, scalars, step = reporter.received[-1]
        assert context is session.context and step == expected_step
        assert {"hj_hessian", "hj_jacobian", "hj_penalty", "hj_alpha", "hj_beta"} <= set(scalars)
        for key, value in scalars.items():  # plain floats, as the hookspec promises
            assert isinstance(value, float), key
            assert value == pytest.approx(session.last[key])
    assert len(reporter.received) == 2 and len(adapter_calls) == 2
    assert adapter_calls[-1][1] == 1 and all(isinstance(v, float) for v in adapter_calls[-1][0].values())


def test_with_the_penalty_off_the_report_hook_gets_the_exchange_scalars_at_each_exchange():
    manager, reporter = _reporting_pm()
    torch.manual_seed(0)
    G, D = mlp(2, 8, 3), mlp(3, 8, 1)
    opt_g, opt_d = torch.optim.SGD(G.parameters(), lr=0.0), torch.optim.SGD(D.parameters(), lr=0.0)
    session = attach(G, D, optimizer_G=opt_g, optimizer_D=opt_d, plugin_manager=manager, penalty="none",
                     exchange_every=2)
    for _ in range(6):
        assert float(session.generator_penalty(torch.randn(4, 2))) == 0.0  # no term: nothing reported
        opt_g.step()
        opt_d.step()  # exchanges after D steps 2, 4, 6
    counts = [scalars["exchange/count"] for _, scalars, _ in reporter.received]
    assert counts == [1.0, 2.0, 3.0]
    assert [step for _, _, step in reporter.received] == [2, 4, 6]  # generator steps taken at each exchange
    assert all(math.isfinite(s["exchange/mean_cosine"]) and "hj_penalty" not in s for _, s, _ in reporter.received)


def test_a_skipped_term_reads_nan_not_the_previous_value():
    manager, reporter = _reporting_pm()
    G = mlp(3, 4)
    session = attach(G, None, plugin_manager=manager, penalty="joint", lambda_h=1.0, lambda_j=1.0)
    z = torch.randn(4, 3)
    session.generator_penalty(z)
    assert math.isfinite(session.last["hj_penalty"])
    with torch.no_grad():
        G[0].weight.fill_(float("inf"))
    with pytest.warns(NonFinitePenaltyWarning, match="'hj_penalty' is not finite"):
        assert float(session.generator_penalty(z)) == 0.0
    assert math.isnan(session.last["hj_penalty"]) and session.last["hj_skipped_nonfinite"] == 1.0
    assert math.isnan(reporter.received[-1][1]["hj_penalty"]) and len(reporter.received) == 2
