"""The ``hjgan`` plugin manager: the hookspecs and every plugin of the ``hjgan`` entry-point group.

Where plugins come from (docs/design.md §6):

- installed distributions, through the ``hjgan`` entry-point group: hjgan_plugin's own built-ins, each
  host integration (``integrations/<host>/`` is a distribution of its own) and third-party plugins;
- the same declarations read from a source tree that is not pip-installed: every module of
  :mod:`hjgan_plugin.plugins` is a built-in, and each ``integrations/*/pyproject.toml`` beside the
  package declares its entry points as it would when installed. Nothing is listed by hand.
"""
from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import pkgutil
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

import pluggy

from . import hookspecs
from .adapters import Adapter
from .options import BUILTIN_OPTIONS, Option, OptionParser

ENTRY_POINT_GROUP = hookspecs.PROJECT
PACKAGE_DIR = Path(__file__).resolve().parent
SOURCE_ROOT = PACKAGE_DIR.parent  # the repository, when running from a checkout

_default: pluggy.PluginManager | None = None


class HJPluginManager(pluggy.PluginManager):
    """A pluggy manager for the ``hjgan`` project that keeps the plugins' declared options."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT)
        self.add_hookspecs(hookspecs)
        self.option_parser = OptionParser(BUILTIN_OPTIONS)
        self.sources: dict[str, str] = {}  # plugin name -> where a plugin not found as an entry point came from
        self.hook.hjgan_addoption.call_historic(kwargs={"parser": self.option_parser})


@dataclass(frozen=True)
class SourceDeclaration:
    """Entry points of the ``hjgan`` group declared by a ``pyproject.toml`` in the source tree."""

    folder: Path
    entry_points: dict[str, str]  # plugin name -> module (``hjgan_stylegan2_ada.plugin``)


def builtin_plugins() -> dict[str, str]:
    """``{name: module}`` of the built-in plugins: every module of :mod:`hjgan_plugin.plugins`."""
    return {info.name: f"{__package__}.plugins.{info.name}"
            for info in pkgutil.iter_modules([str(PACKAGE_DIR / "plugins")]) if not info.name.startswith("_")}


def source_tree_integrations(root: Path = SOURCE_ROOT) -> list[SourceDeclaration]:
    """The ``hjgan`` entry points of each ``integrations/*/pyproject.toml`` under ``root`` (a checkout)."""
    try:
        import tomllib
    except ImportError:  # pragma: no cover - Python 3.10: the integrations must be installed
        return []
    found = []
    for path in sorted((root / "integrations").glob("*/pyproject.toml")):
        table = tomllib.loads(path.read_text()).get("project", {}).get("entry-points", {})
        if table.get(ENTRY_POINT_GROUP):
            found.append(SourceDeclaration(path.parent, dict(table[ENTRY_POINT_GROUP])))
    return found


def _import_from(folder: Path, module: str) -> ModuleType:
    """Import ``module`` from ``folder`` without putting the folder on ``sys.path``."""
    top = module.split(".")[0]
    if top not in sys.modules:
        spec = importlib.machinery.PathFinder.find_spec(top, [str(folder)])
        if spec is None or spec.loader is None:
            raise ImportError(f"{folder} declares the hjgan entry point {module!r}, but has no {top!r} package")
        package = importlib.util.module_from_spec(spec)
        sys.modules[top] = package
        try:
            spec.loader.exec_module(package)
        except BaseException:
            del sys.modules[top]
            raise
    return importlib.import_module(module)


def make_plugin_manager(load_entrypoints: bool = True) -> HJPluginManager:
    """A fresh plugin manager: entry-point plugins, then whatever the source tree declares that is not
    installed (``load_entrypoints=False``: the source tree's declarations only)."""
    pm = HJPluginManager()
    if load_entrypoints:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for name, module in builtin_plugins().items():
        if pm.get_plugin(name) is None and not pm.is_blocked(name):
            pm.register(importlib.import_module(module), name=name)
            pm.sources[name] = f"{PACKAGE_DIR.name}/plugins (built-in, source tree)"
    for declaration in source_tree_integrations():
        for name, module in declaration.entry_points.items():
            if pm.get_plugin(name) is None and not pm.is_blocked(name):
                where = declaration.folder.relative_to(SOURCE_ROOT)
                try:
                    plugin = _import_from(declaration.folder, module)
                except Exception as exc:  # an integration being written must not take the others down
                    warnings.warn(f"hjgan plugin {name!r} of the source tree ({where}) does not import and is left "
                                  f"out: {type(exc).__name__}: {exc}", stacklevel=2)
                    continue
                pm.register(plugin, name=name)
                pm.sources[name] = f"{where} (source tree, not installed)"
    if load_entrypoints and pm.sources:
        warnings.warn(
            f"hjgan plugins {sorted(pm.sources)} are not installed; loaded from the source tree. "
            "`bash scripts/setup.sh` (or `pip install -e . -e integrations/<host>`) installs them.", stacklevel=2)
    return pm


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager (built on first use)."""
    global _default
    if _default is None:
        _default = make_plugin_manager()
    return _default


def plugin_options(pm: pluggy.PluginManager) -> tuple[Option, ...]:
    """The options the plugins of ``pm`` declared through ``hjgan_addoption``."""
    if not isinstance(pm, HJPluginManager):  # the historic hook's answers are kept by the HJPluginManager
        raise TypeError(f"hjgan needs the plugin manager make_plugin_manager() builds, got a {type(pm).__name__}; "
                        "register your plugins on it with pm.register(plugin)")
    return pm.option_parser.options


def _collect(results: list[Any], what: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for batch in results:
        for name, item in (batch or {}).items():
            if name in found and found[name] is not item:
                raise ValueError(f"two plugins register {what} named {name!r}")
            found[name] = item
    return found


def adapters(pm: pluggy.PluginManager) -> dict[str, Adapter]:
    """All registered adapters by name; a name registered twice is an error."""
    found: dict[str, Adapter] = {}
    for batch in pm.hook.hjgan_register_adapters():
        for adapter in batch or []:
            if not isinstance(adapter, Adapter):
                raise TypeError(f"hjgan_register_adapters must return Adapter objects, got {type(adapter).__name__}")
            if adapter.name in found:
                raise ValueError(f"two plugins register an adapter named {adapter.name!r}")
            found[adapter.name] = adapter
    return found


def exchange_rules(pm: pluggy.PluginManager) -> dict[str, Any]:
    """The exchange rules of ``pm``'s plugins (the built-in plugin gives the four built-ins), as
    :class:`~hjgan_plugin.exchange.rules.ExchangeRule` objects."""
    from .exchange.rules import BUILTIN_RULES, make_rule

    found = _collect(pm.hook.hjgan_exchange_rules(), "an exchange rule")
    order = sorted(found, key=lambda name: (name not in BUILTIN_RULES, name))  # built-ins first
    return {name: make_rule(name, found[name]) for name in order}


def patch_hosts(pm: pluggy.PluginManager) -> dict[str, Callable]:
    """``{host: patch function}`` for ``hjgan patch``."""
    return _collect(pm.hook.hjgan_patch_hosts(), "a patch host")


def generator_loaders(pm: pluggy.PluginManager) -> dict[str, Callable]:
    """``{name: load}`` for ``hjgan discover --adapter NAME``."""
    return _collect(pm.hook.hjgan_generator_loaders(), "a generator loader")


def cli_commands(pm: pluggy.PluginManager) -> list[Any]:
    """The click commands plugins add to ``hjgan``."""
    return [command for batch in pm.hook.hjgan_cli_commands() for command in batch or []]


def describe(pm: pluggy.PluginManager) -> str:
    """Text for ``hjgan plugins``: every plugin with its origin and hooks, then what they provide."""
    lines = [f"plugins (entry-point group {ENTRY_POINT_GROUP!r}):"]
    dists = {id(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
    sources = getattr(pm, "sources", {})
    for name, plugin in sorted(pm.list_name_plugin(), key=lambda item: item[0]):
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        dist = dists.get(id(plugin))
        origin = f" [{dist.project_name} {dist.version}]" if dist is not None else f" [{sources.get(name, 'registered')}]"
        lines.append(f"  {name}{origin}: {', '.join(hooks) or '(no hooks)'}")
    lines.append("adapters:")
    for name, adapter in sorted(adapters(pm).items()):
        lines.append(f"  {name}: {adapter.description}")
        if adapter.defaults:
            lines.append(f"    defaults: {adapter.defaults_text()}")
    lines.append("exchange rules: " + ", ".join(exchange_rules(pm)))
    options = plugin_options(pm)
    lines.append("plugin options:" + ("" if options else " (none)"))
    lines += [f"  {o.flag} ({o.plugin}): {o.help_text}" for o in options]
    lines.append("patch hosts (hjgan patch HOST DIR): " + (", ".join(sorted(patch_hosts(pm))) or "(none)"))
    lines.append("generator loaders (hjgan discover --adapter NAME): "
                 + (", ".join(sorted(generator_loaders(pm))) or "(none)"))
    return "\n".join(lines)
