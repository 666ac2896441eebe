"""The plugin manager (docs/design.md §6): where plugins come from, the hookspecs, adapters, exchange rules.

- built-ins and the host integrations come through the ``hjgan`` entry-point group when installed, and
  from the source tree's own declarations (``hjgan_plugin/plugins/``, ``integrations/*/pyproject.toml``)
  when not: the same list both ways;
- a third-party plugin (the ``examples/hjgan-msgan`` package) is found through real entry-point metadata
  (a ``*.dist-info`` on ``sys.path``, no pip);
- adapter-name errors; exchange rules looked up per plugin manager.
"""
from __future__ import annotations

import importlib.metadata
import inspect
import os
import re
import shutil
import sys
import tomllib
from pathlib import Path

import pytest
import torch
from torch import nn

from hjgan_plugin import attach, hookspecs
from hjgan_plugin.adapters import Adapter
from hjgan_plugin.exchange import BUILTIN_RULES, adjoint
from hjgan_plugin.hookspecs import hookimpl
from hjgan_plugin.plugin_manager import (HJPluginManager, adapters, builtin_plugins, describe, exchange_rules, make_plugin_manager,
                                         patch_hosts, source_tree_integrations)
from nets import mlp

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_PACKAGE = ROOT / "examples" / "hjgan-msgan" / "hjgan_msgan"
BUILTIN_HOOKS = {"exchange_rules": {"hjgan_exchange_rules"}, "generic_adapter": {"hjgan_register_adapters"},
                 "spectral_norm": {"hjgan_addoption", "hjgan_configure", "hjgan_unconfigure"},
                 "topk": {"hjgan_addoption", "hjgan_configure", "hjgan_generator_loss_terms"},
                 "unrolled": {"hjgan_addoption", "hjgan_configure", "hjgan_generator_loss_terms"}}
INTEGRATIONS = sorted(p.parent for p in (ROOT / "integrations").glob("*/pyproject.toml"))
# each host integration registers its adapter(s) and at least one way in (a patch host or a command)
INTEGRATION_NAMES = {folder.name for folder in INTEGRATIONS}


def _installed(name: str) -> bool:
    try:
        importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def _hooks(pm, name: str) -> set[str]:
    return {h.name for h in pm.get_hookcallers(pm.get_plugin(name))}


# ----------------------------------------------------------------------------- where plugins come from
def test_builtins_are_the_plugins_folder_and_the_entry_points_declare_exactly_them():
    assert builtin_plugins() == {"exchange_rules": "hjgan_plugin.plugins.exchange_rules",
                                 "generic_adapter": "hjgan_plugin.plugins.generic_adapter",
                                 "spectral_norm": "hjgan_plugin.plugins.spectral_norm",
                                 "topk": "hjgan_plugin.plugins.topk",
                                 "unrolled": "hjgan_plugin.plugins.unrolled"}
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]["hjgan"]
    assert declared == builtin_plugins()


def test_each_integration_is_a_distribution_with_its_entry_point():
    found = {d.folder.name: d.entry_points for d in source_tree_integrations(ROOT)}
    assert INTEGRATION_NAMES >= {"stylegan2_ada"} and set(found) == INTEGRATION_NAMES
    for folder in INTEGRATIONS:
        project = tomllib.loads((folder / "pyproject.toml").read_text())["project"]
        package = f"hjgan_{folder.name}"
        assert project["name"] == package.replace("_", "-") and "hjgan_plugin" in project["dependencies"]
        assert found[folder.name] == {folder.name: f"{package}.plugin"}
        assert (folder / package / "plugin.py").is_file() and (folder / "README.md").is_file()


def _integration_hooks(pm, name: str) -> None:
    hooks = _hooks(pm, name)
    assert "hjgan_register_adapters" in hooks and hooks & {"hjgan_patch_hosts", "hjgan_cli_commands"}, (name, hooks)


def test_installed_plugins_come_from_the_entry_point_group():
    needed = ("hjgan_plugin", *(f"hjgan-{name.replace('_', '-')}" for name in INTEGRATION_NAMES))
    if not all(_installed(n) for n in needed):
        if os.environ.get("CI"):
            pytest.fail(f"{needed} are not pip-installed in CI: scripts/setup.sh must install them")
        pytest.skip("hjgan_plugin and its integrations are not pip-installed here (bash scripts/setup.sh does it)")
    pm = make_plugin_manager()
    dists = {pm.get_name(plugin): dist.project_name.replace("-", "_") for plugin, dist in pm.list_plugin_distinfo()}
    for name in {*BUILTIN_HOOKS, *INTEGRATION_NAMES}:
        assert name in dists, f"{name!r} was not loaded through the 'hjgan' entry points"
    for name, hooks in BUILTIN_HOOKS.items():
        assert _hooks(pm, name) == hooks and dists[name] == "hjgan_plugin"
    for name in INTEGRATION_NAMES:
        _integration_hooks(pm, name)
        assert dists[name] == f"hjgan_{name}"
    assert pm.sources == {}  # nothing had to come from the source tree
    text = describe(pm)
    assert "  stylegan2_ada [hjgan-stylegan2-ada 0.1.0]" in text and "  generic_adapter [hjgan_plugin 0.1.0]" in text


def test_source_tree_declarations_give_the_same_plugins():
    pm = make_plugin_manager(load_entrypoints=False)
    assert {name for name, _ in pm.list_name_plugin()} == set(BUILTIN_HOOKS) | INTEGRATION_NAMES
    for name, hooks in BUILTIN_HOOKS.items():
        assert _hooks(pm, name) == hooks
    for name in INTEGRATION_NAMES:
        _integration_hooks(pm, name)
        assert pm.sources[name] == f"integrations/{name} (source tree, not installed)"
    assert {"generic", "stylegan2-ada"} <= set(adapters(pm))
    assert "stylegan2-ada" in patch_hosts(pm)
    text = describe(pm)
    assert "  stylegan2_ada [integrations/stylegan2_ada (source tree, not installed)]" in text
    assert "  generic_adapter [hjgan_plugin/plugins (built-in, source tree)]" in text
    assert "stylegan2-ada: NVlabs stylegan2-ada-pytorch" in text


def test_uninstalled_plugins_are_loaded_from_the_source_tree_with_a_warning(monkeypatch):
    import pluggy

    monkeypatch.setattr(pluggy.PluginManager, "load_setuptools_entrypoints", lambda self, group, name=None: 0)
    expected = sorted({*BUILTIN_HOOKS, *INTEGRATION_NAMES})
    with pytest.warns(UserWarning, match=re.escape(f"{expected} are not installed; loaded from the source tree")):
        pm = make_plugin_manager()
    assert {"generic", "stylegan2-ada"} <= set(adapters(pm))


def test_hookspecs_are_grouped_documented_and_marked():
    pm = make_plugin_manager(load_entrypoints=False)
    names = {"hjgan_addoption", "hjgan_register_adapters", "hjgan_exchange_rules", "hjgan_patch_hosts",
             "hjgan_cli_commands", "hjgan_generator_loaders", "hjgan_configure", "hjgan_unconfigure",
             "hjgan_generator_loss_terms", "hjgan_after_optimizer_step", "hjgan_report"}
    assert {n for n in dir(hookspecs) if n.startswith("hjgan_")} == names
    for name in names:
        spec = getattr(pm.hook, name).spec
        assert spec is not None and (getattr(hookspecs, name).__doc__ or "").strip(), name
        assert not spec.opts.get("firstresult"), f"{name}: the module docstring says no hook is firstresult"
        assert bool(spec.opts.get("historic")) == (name == "hjgan_addoption"), name
    for name in ("hjgan_configure", "hjgan_unconfigure", "hjgan_generator_loss_terms", "hjgan_after_optimizer_step",
                 "hjgan_report"):
        assert "context" in inspect.signature(getattr(hookspecs, name)).parameters  # not the session
    doc = hookspecs.__doc__
    assert doc.index("initialization") < doc.index("training") < doc.index("reporting")
    assert hookspecs.PROJECT == "hjgan"


# ----------------------------------------------------------------------------- third-party plugin
@pytest.fixture
def msgan_dist(tmp_path, monkeypatch):
    """A copy of the example plugin plus a ``.dist-info`` declaring its entry point, on ``sys.path``.

    The entry point's name is not ``msgan``, so it does not collide with the installed example."""
    shutil.copytree(EXAMPLE_PACKAGE, tmp_path / "hjgan_msgan_copy", ignore=shutil.ignore_patterns("__pycache__"))
    info = tmp_path / "hjgan_msgan_copy-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hjgan-msgan-copy\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[hjgan]\nmsgan_copy = hjgan_msgan_copy\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    sys.modules.pop("hjgan_msgan_copy", None)


def test_third_party_plugin_found_through_entry_points(msgan_dist):
    pm = HJPluginManager()  # only this entry point: the installed example declares the same option group
    assert pm.load_setuptools_entrypoints("hjgan", name="msgan_copy") == 1
    plugin = pm.get_plugin("msgan_copy")
    assert plugin is not None, "the copy of hjgan_msgan was not discovered through its entry point"
    assert Path(plugin.__file__).resolve().parent == (msgan_dist / "hjgan_msgan_copy").resolve()
    dist = {pm.get_name(p): d for p, d in pm.list_plugin_distinfo()}["msgan_copy"]
    assert dist.project_name == "hjgan-msgan-copy"
    assert "hjgan_addoption" in _hooks(pm, "msgan_copy")


def test_without_its_distribution_a_plugin_is_absent():
    pm = make_plugin_manager(load_entrypoints=False)  # the source tree declares no example plugin
    assert pm.get_plugin("msgan") is None and "conditional" not in adapters(pm)


# ------------------------------------------------------------------------------- adapter names
class _AdapterPlugin:
    def __init__(self, *names: str):
        self.names = names

    @hookimpl
    def hjgan_register_adapters(self):
        return [Adapter(name=n, description=f"test adapter {n}") for n in self.names]


def test_duplicate_adapter_names_are_an_error():
    pm = make_plugin_manager(load_entrypoints=False)
    pm.register(_AdapterPlugin("generic"), name="dup")
    with pytest.raises(ValueError, match="'generic'"):
        adapters(pm)
    with pytest.raises(ValueError, match="generic"):
        attach(mlp(2, 3), None, plugin_manager=pm)


def test_unknown_adapter_lists_the_registered_names():
    pm = make_plugin_manager(load_entrypoints=False)
    pm.register(_AdapterPlugin("mine"), name="mine")
    with pytest.raises(ValueError) as info:
        attach(mlp(2, 3), None, adapter="nope", plugin_manager=pm)
    message = str(info.value)
    assert "'nope'" in message and "generic" in message and "mine" in message


class ConditionalG(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = mlp(5, 8, 3)

    def forward(self, z, labels):
        return self.net(torch.cat([z, labels[:, None].to(z.dtype)], dim=1))


def test_adapter_selected_by_matches():
    pm = make_plugin_manager(load_entrypoints=False)

    class Auto:
        @hookimpl
        def hjgan_register_adapters(self):
            return [Adapter(name="auto", matches=lambda G: isinstance(G, ConditionalG))]

    pm.register(Auto(), name="auto")
    assert attach(ConditionalG(), None, plugin_manager=pm).adapter.name == "auto"
    assert attach(mlp(2, 3), None, plugin_manager=pm).adapter.name == "generic"


# ------------------------------------------------------------------------------- exchange rules
def _copy_rule_plugin(name: str, calls: list):
    def copy_rule(target, source, *, alpha, beta, strength, noise):
        calls.append((alpha, beta, strength, noise))
        return source.clone()  # D's paired weight becomes adj(G's weight)

    class RulePlugin:
        @hookimpl
        def hjgan_exchange_rules(self):
            return {name: copy_rule}

    return RulePlugin()


def test_plugin_exchange_rule_is_selectable_by_variant_in_its_own_manager_only():
    name, calls = "test-plugins-copy", []
    pm, other = make_plugin_manager(load_entrypoints=False), make_plugin_manager(load_entrypoints=False)
    torch.manual_seed(0)
    G, D = mlp(2, 8, 3), mlp(3, 8, 1)
    opt_d = torch.optim.SGD(D.parameters(), lr=0.0)
    with pytest.raises(ValueError, match=name):  # not registered yet: unknown variant, names listed
        attach(G, D, optimizer_D=opt_d, exchange_every=1, exchange_variant=name, plugin_manager=pm)
    pm.register(_copy_rule_plugin(name, calls), name="rules")
    assert list(exchange_rules(pm)) == [*BUILTIN_RULES, name]
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
    # another plugin manager (a later session, another test) never sees the rule: nothing to clean up
    assert name not in exchange_rules(other)
    with pytest.raises(ValueError, match="unknown weight-exchange variant"):
        attach(G, D, optimizer_D=opt_d, exchange_every=1, exchange_variant=name, plugin_manager=other)


def test_two_plugins_giving_one_rule_name_is_an_error():
    pm = make_plugin_manager(load_entrypoints=False)
    pm.register(_copy_rule_plugin("blend", []), name="rules")
    with pytest.raises(ValueError, match="two plugins register an exchange rule named 'blend'"):
        exchange_rules(pm)


def test_a_source_tree_integration_that_does_not_import_is_left_out_with_the_error(tmp_path, monkeypatch):
    from hjgan_plugin import plugin_manager

    broken = tmp_path / "integrations" / "broken"
    (broken / "hjgan_broken_host").mkdir(parents=True)
    (broken / "hjgan_broken_host" / "__init__.py").write_text("raise ImportError('needs a library not installed')\n")
    (broken / "pyproject.toml").write_text('[project]\nname = "b"\n[project.entry-points.hjgan]\n'
                                           'broken = "hjgan_broken_host"\n')
    declarations = plugin_manager.source_tree_integrations(tmp_path)
    monkeypatch.setattr(plugin_manager, "source_tree_integrations", lambda: declarations)
    monkeypatch.setattr(plugin_manager, "SOURCE_ROOT", tmp_path)
    with pytest.warns(UserWarning, match=r"'broken' of the source tree \(integrations/broken\) does not import.*"
                                         r"ImportError: needs a library not installed"):
        pm = plugin_manager.make_plugin_manager(load_entrypoints=False)
    assert pm.get_plugin("broken") is None and "hjgan_broken_host" not in sys.modules


def test_a_plain_pluggy_manager_is_refused_with_the_fix():
    import pluggy

    from hjgan_plugin.plugin_manager import plugin_options

    plain = pluggy.PluginManager("hjgan")
    plain.add_hookspecs(hookspecs)
    with pytest.raises(TypeError, match=r"needs the plugin manager make_plugin_manager\(\) builds, got a PluginManager"):
        plugin_options(plain)
    with pytest.raises(TypeError, match="make_plugin_manager"):
        attach(mlp(2, 3), None, plugin_manager=plain, msgan_weight=1.0)
