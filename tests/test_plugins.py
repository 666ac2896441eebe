"""Plugin architecture (SPEC §6) and the ``hjgan`` command line.

- built-ins come through the same ``hjgan`` entry-point group third parties use;
- a third-party plugin (the ``examples/hjgan-msgan`` package) is found through real entry-point
  metadata (a ``*.dist-info`` on ``sys.path``, no pip), registers an adapter and a loss term;
- adapter-name errors, plugin exchange rules, the ``hjgan_report`` hook;
- ``hjgan game`` / ``hjgan plugins`` / ``hjgan demo`` through click's runner and the installed script.
"""
from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from torch import nn

from hjgan_plugin import EagleDove, attach, hookspecs
from hjgan_plugin.adapters import Adapter
from hjgan_plugin.cli import main as cli_main
from hjgan_plugin.exchange import EXCHANGE_RULES, adjoint
from hjgan_plugin.hookspecs import hookimpl
from hjgan_plugin.plugin_manager import BUILTIN_PLUGINS, adapters, exchange_rules, make_plugin_manager
from nets import mlp

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_PACKAGE = ROOT / "examples" / "hjgan-msgan" / "hjgan_msgan"
BUILTIN_HOOKS = {
    "penalty": {"hjgan_generator_loss_terms"},
    "exchange": {"hjgan_after_optimizer_step"},
    "generic_adapter": {"hjgan_register_adapters"},
}


# ------------------------------------------------------------------------------------------ helpers
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


@pytest.fixture
def msgan_dist(tmp_path, monkeypatch):
    """A copy of the example plugin plus a ``.dist-info`` declaring its entry point, on ``sys.path``."""
    shutil.copytree(EXAMPLE_PACKAGE, tmp_path / "hjgan_msgan",
                    ignore=shutil.ignore_patterns("__pycache__"))
    info = tmp_path / "hjgan_msgan_test-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hjgan-msgan-test\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[hjgan]\nmsgan = hjgan_msgan\n")
    monkeypatch.delenv("HJGAN_MSGAN_WEIGHT", raising=False)
    sys.modules.pop("hjgan_msgan", None)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    sys.modules.pop("hjgan_msgan", None)  # the next test imports a fresh copy (its WEIGHT from the env)


# ----------------------------------------------------------------------------------- built-ins
def _installed() -> bool:
    try:
        importlib.metadata.distribution("hjgan_plugin")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def test_builtins_come_from_the_entry_point_group():
    if not _installed():
        if os.environ.get("CI"):
            pytest.fail("hjgan_plugin is not pip-installed in CI: scripts/setup.sh must run pip install -e .")
        pytest.skip("hjgan_plugin is not pip-installed here (no entry-point metadata); pip install -e . enables this")
    pm = make_plugin_manager()
    by_name = {name: plugin for name, plugin in pm.list_name_plugin()}
    dists = {pm.get_name(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
    for name, module in BUILTIN_PLUGINS.items():
        assert name in dists, f"built-in {name!r} was not loaded through the 'hjgan' entry points"
        assert dists[name].project_name.replace("-", "_") == "hjgan_plugin"
        assert by_name[name].__name__ == module
        assert {h.name for h in pm.get_hookcallers(by_name[name])} == BUILTIN_HOOKS[name]
    assert set(adapters(pm)) >= {"generic"}


def test_source_tree_without_entry_points_registers_builtins_with_a_warning(monkeypatch):
    import pluggy

    monkeypatch.setattr(pluggy.PluginManager, "load_setuptools_entrypoints", lambda self, group, name=None: 0)
    with pytest.warns(UserWarning, match=r"entry points \['penalty', 'exchange', 'generic_adapter'\] are not installed"):
        pm = make_plugin_manager()
    assert {name for name, _ in pm.list_name_plugin()} >= set(BUILTIN_PLUGINS)
    assert set(adapters(pm)) >= {"generic"}


def test_hookspecs_exist_with_docstrings():
    pm = make_plugin_manager()
    names = {"hjgan_register_adapters", "hjgan_generator_loss_terms", "hjgan_after_optimizer_step",
             "hjgan_exchange_rules", "hjgan_report"}
    for name in names:
        assert getattr(pm.hook, name).spec is not None, name
        assert (getattr(hookspecs, name).__doc__ or "").strip(), f"hookspec {name} has no docstring"
    assert hookspecs.PROJECT == "hjgan"


# ----------------------------------------------------------------------------- third-party plugin
def test_third_party_plugin_found_through_entry_points(msgan_dist):
    pm = make_plugin_manager()
    plugin = pm.get_plugin("msgan")
    assert plugin is not None, "hjgan_msgan was not discovered through its entry point"
    assert Path(plugin.__file__).resolve().parent == (msgan_dist / "hjgan_msgan").resolve()
    dist = {pm.get_name(p): d for p, d in pm.list_plugin_distinfo()}["msgan"]
    assert dist.project_name == "hjgan-msgan-test"
    found = adapters(pm)
    assert {"generic", "conditional"} <= set(found)
    assert found["conditional"].call_generator is not None and found["conditional"].description


def test_conditional_adapter_and_msgan_term(msgan_dist):
    pm = make_plugin_manager()
    msgan = sys.modules["hjgan_msgan"]
    assert msgan.WEIGHT == 1.0
    torch.manual_seed(0)
    G, D = ConditionalG(), mlp(5, 8, 1)
    z, labels = torch.randn(6, 3), torch.tensor([0, 1, 2, 3, 0, 1])
    session = attach(G, D, adapter="conditional", plugin_manager=pm, penalty="none")
    assert session.adapter.name == "conditional"

    # penalty off: the only term is MSGAN, computed with one forward of G(z, labels)
    value = session.generator_penalty(z, labels)
    expected = hand_msgan(G(z, labels), z, 1.0)
    torch.testing.assert_close(value, expected, rtol=1e-6, atol=0)
    assert value.requires_grad
    assert session.last["msgan"] == pytest.approx(float(expected.detach()), rel=1e-6)

    # the adversarial pass's output is reused; WEIGHT is read at every call
    fake = G(z, labels)
    msgan.WEIGHT = 2.5
    torch.testing.assert_close(session.generator_penalty(z, labels, G_z=fake), hand_msgan(fake, z, 2.5),
                               rtol=1e-6, atol=0)
    msgan.WEIGHT = 0.0  # off: the hook returns None, nothing is added
    assert pm.hook.hjgan_generator_loss_terms(session=session, z=z, G_args=(labels,), G_kwargs={},
                                              G_z=fake) == []
    assert float(session.generator_penalty(z, labels, G_z=fake)) == 0.0


def test_msgan_term_adds_to_the_joint_penalty_through_the_adapter(msgan_dist):
    pm = make_plugin_manager()
    torch.manual_seed(1)
    G = ConditionalG()
    z, labels = torch.randn(8, 3), torch.randint(0, 4, (8,))
    session = attach(G, None, adapter="conditional", plugin_manager=pm, penalty="joint",
                     lambda_h=1.0, lambda_j=1.0)
    fake = G(z, labels)
    total = session.generator_penalty(z, labels, G_z=fake)
    last = session.last
    assert {"hj_penalty", "hj_hessian", "hj_jacobian", "msgan"} <= set(last)
    assert last["hj_hessian"] > 0 and last["hj_jacobian"] > 0  # the passes called G(z, labels) correctly
    assert float(total.detach()) == pytest.approx(last["hj_penalty"] + last["msgan"], rel=1e-5)
    assert last["msgan"] == pytest.approx(float(hand_msgan(fake, z, 1.0).detach()), rel=1e-6)


def test_msgan_weight_from_environment(msgan_dist, monkeypatch):
    monkeypatch.setenv("HJGAN_MSGAN_WEIGHT", "0")
    pm = make_plugin_manager()
    assert sys.modules["hjgan_msgan"].WEIGHT == 0.0
    G = ConditionalG()
    z, labels = torch.randn(4, 3), torch.tensor([0, 1, 0, 1])
    session = attach(G, None, adapter="conditional", plugin_manager=pm, penalty="none")
    assert float(session.generator_penalty(z, labels)) == 0.0
    assert "msgan" not in session.last


def test_conditional_adapter_without_labels_is_a_clear_error(msgan_dist):
    pm = make_plugin_manager()
    session = attach(ConditionalG(), None, adapter="conditional", plugin_manager=pm, penalty="joint")
    with pytest.raises(TypeError, match="labels"):
        session.generator_penalty(torch.randn(4, 3))


def test_without_the_dist_info_the_plugin_is_absent():
    from importlib.metadata import entry_points

    if any(ep.name == "msgan" for ep in entry_points(group="hjgan")):
        pytest.skip("hjgan-msgan is installed in this environment")
    pm = make_plugin_manager()
    assert pm.get_plugin("msgan") is None and "conditional" not in adapters(pm)


# ------------------------------------------------------------------------------- adapter names
class _AdapterPlugin:
    def __init__(self, *names: str):
        self.names = names

    @hookimpl
    def hjgan_register_adapters(self):
        return [Adapter(name=n, description=f"test adapter {n}") for n in self.names]


def test_duplicate_adapter_names_are_an_error():
    pm = make_plugin_manager()
    pm.register(_AdapterPlugin("generic"), name="dup")
    with pytest.raises(ValueError, match="'generic'"):
        adapters(pm)
    with pytest.raises(ValueError, match="generic"):
        attach(mlp(2, 3), None, plugin_manager=pm)


def test_unknown_adapter_lists_the_registered_names():
    pm = make_plugin_manager()
    pm.register(_AdapterPlugin("mine"), name="mine")
    with pytest.raises(ValueError) as info:
        attach(mlp(2, 3), None, adapter="nope", plugin_manager=pm)
    message = str(info.value)
    assert "'nope'" in message and "generic" in message and "mine" in message


def test_adapter_selected_by_matches():
    pm = make_plugin_manager()

    class Auto:
        @hookimpl
        def hjgan_register_adapters(self):
            return [Adapter(name="auto", matches=lambda G: isinstance(G, ConditionalG))]

    pm.register(Auto(), name="auto")
    assert attach(ConditionalG(), None, plugin_manager=pm).adapter.name == "auto"
    assert attach(mlp(2, 3), None, plugin_manager=pm).adapter.name == "generic"


# ------------------------------------------------------------------------------- exchange rules
def test_plugin_exchange_rule_is_selectable_by_variant():
    name = "test-plugins-copy"
    calls = []

    def copy_rule(target, source, *, alpha, beta, eta, noise):
        calls.append((alpha, beta, eta, noise))
        return source.clone()  # D's paired weight becomes adj(G's weight)

    class RulePlugin:
        @hookimpl
        def hjgan_exchange_rules(self):
            return {name: copy_rule}

    pm = make_plugin_manager()
    torch.manual_seed(0)
    G, D = mlp(2, 8, 3), mlp(3, 8, 1)
    opt_d = torch.optim.SGD(D.parameters(), lr=0.0)
    try:
        with pytest.raises(ValueError, match=name):  # not registered yet: unknown variant, names listed
            attach(G, D, optimizer_D=opt_d, exchange_every=1, exchange_variant=name, plugin_manager=pm)
        pm.register(RulePlugin(), name="rules")
        assert name in exchange_rules(pm)
        session = attach(G, D, optimizer_D=opt_d, exchange_every=1, exchange_strength=0.5,
                         exchange_variant=name, plugin_manager=pm)
        assert session.exchange.variant == name
        pairs = session.exchange.report.pairs
        assert pairs, "the mirror pairing found no G/D pair"
        before = {p.d_name: D.get_parameter(p.d_name).detach().clone() for p in pairs}
        opt_d.step()  # lr 0: only the exchange changes D
        assert session.exchange.count == 1 and len(calls) == len(pairs)
        assert calls[0] == (0.5, 0.5, 0.5, None)
        for p in pairs:
            after = D.get_parameter(p.d_name).detach()
            assert not torch.equal(after, before[p.d_name])
            torch.testing.assert_close(after, adjoint(G.get_parameter(p.g_name).detach(), p.adjoint))
    finally:
        EXCHANGE_RULES.pop(name, None)  # the registry is process-wide


# --------------------------------------------------------------------------------------- report
def test_report_hook_receives_the_scalars():
    received = []

    class Reporter:
        @hookimpl
        def hjgan_report(self, session, scalars, step):
            received.append((session, dict(scalars), step))

    adapter_calls = []
    pm = make_plugin_manager()
    pm.register(Reporter(), name="reporter")
    torch.manual_seed(0)
    G = mlp(3, 16, 4)
    opt_g = torch.optim.SGD(G.parameters(), lr=1e-3)
    custom = Adapter(name="custom", report=lambda scalars, step: adapter_calls.append((dict(scalars), step)))
    session = attach(G, None, optimizer_G=opt_g, plugin_manager=pm, adapter=custom, penalty="joint")
    z = torch.randn(8, 3)
    for expected_step in (0, 1):
        opt_g.zero_grad()
        session.generator_penalty(z, G_z=G(z)).backward()
        opt_g.step()
        sess, scalars, step = received[-1]
        assert sess is session and step == expected_step
        assert {"hj_hessian", "hj_jacobian", "hj_penalty"} <= set(scalars)
        assert {"hj_alpha", "hj_beta"} <= set(scalars)
        for key, value in scalars.items():  # plain floats, as the hookspec promises
            assert isinstance(value, float), key
            assert value == pytest.approx(session.last[key])
    assert len(received) == 2 and len(adapter_calls) == 2
    assert adapter_calls[-1][1] == 1 and all(isinstance(v, float) for v in adapter_calls[-1][0].values())


# ------------------------------------------------------------------------------------------ CLI
def test_cli_game_default():
    result = CliRunner().invoke(cli_main, ["game"])
    assert result.exit_code == 0, result.output
    assert "alpha = 0.5, beta = 0.5" in result.output
    assert "Eagle" in result.output and "Dove" in result.output and "equilibrium" in result.output


@pytest.mark.parametrize("args", [["--game", "1,3,0.25"], ["--v", "1", "--c", "3", "--k", "0.25"]])
def test_cli_game_parameters(args):
    alpha, beta = EagleDove(1, 3, 0.25).coefficients()
    result = CliRunner().invoke(cli_main, ["game", *args])
    assert result.exit_code == 0, result.output
    assert f"alpha = {alpha:.6g}, beta = {beta:.6g}" in result.output
    assert "v=1 c=3 k=0.25" in result.output


def test_cli_game_json():
    result = CliRunner().invoke(cli_main, ["game", "--game", "1,3,0.25", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    game = EagleDove(1, 3, 0.25)
    assert (data["v"], data["c"], data["k"]) == (1.0, 3.0, 0.25)
    assert (data["alpha"], data["beta"]) == pytest.approx(game.coefficients(), rel=1e-12)
    assert data["payoffs"] == game.payoff_matrix().tolist()
    assert data["equilibrium"]["kind"] == "mixed"
    pure = json.loads(CliRunner().invoke(cli_main, ["game", "--v", "2", "--c", "1", "--json"]).output)
    assert pure["equilibrium"]["kind"] == "pure" and (pure["alpha"], pure["beta"]) == (1.0, 1.0)


@pytest.mark.parametrize("args, word", [
    (["--k", "1.5"], "k"),
    (["--game", "1,2,1.5"], "k"),
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


def test_cli_invalid_k_names_k():
    result = CliRunner().invoke(cli_main, ["game", "--k", "1.5"])
    assert result.exit_code == 2
    assert "split k must lie in (0, 1)" in result.output and "1.5" in result.output


def test_cli_plugins_lists_builtins():
    result = CliRunner().invoke(cli_main, ["plugins"])
    assert result.exit_code == 0, result.output
    out = result.output
    origin = " [hjgan_plugin" if _installed() else ":"  # the distribution is named when pip-installed
    for name in ("penalty", "exchange", "generic_adapter"):
        assert f"  {name}{origin}" in out, name
    assert "adapters:" in out and "  generic:" in out
    assert "hjgan_generator_loss_terms" in out and "hjgan_after_optimizer_step" in out


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
    bad = subprocess.run([script, "game", "--k", "1.5"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "split k" in bad.stderr and "Traceback" not in bad.stderr


def test_python_dash_m():
    result = subprocess.run([sys.executable, "-m", "hjgan_plugin", "game", "--json"], capture_output=True,
                            text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["alpha"] == 0.5
