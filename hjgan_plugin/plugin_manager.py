"""The ``hjgan`` plugin manager: hookspecs + everything registered under the entry-point group."""
from __future__ import annotations

import importlib
import warnings
from typing import Callable

import pluggy

from . import hookspecs
from .adapters import Adapter

ENTRY_POINT_GROUP = hookspecs.PROJECT
# Built-ins: declared as entry points in pyproject.toml; registered directly only when the package
# runs from a source tree that was not pip-installed (no entry-point metadata).
BUILTIN_PLUGINS = {
    "penalty": "hjgan_plugin.plugins.penalty",
    "exchange": "hjgan_plugin.plugins.exchange",
    "generic_adapter": "hjgan_plugin.plugins.generic_adapter",
}

_default: pluggy.PluginManager | None = None


def make_plugin_manager(load_entrypoints: bool = True) -> pluggy.PluginManager:
    """A fresh plugin manager with the hookspecs, entry-point plugins and the built-ins."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    if load_entrypoints:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    missing = [name for name in BUILTIN_PLUGINS if pm.get_plugin(name) is None]
    if missing and load_entrypoints:
        warnings.warn(
            f"hjgan_plugin's entry points {missing} are not installed (running from a source tree?); "
            "registering the built-ins directly. `pip install -e .` makes them discoverable.",
            stacklevel=2,
        )
    for name in missing:
        pm.register(importlib.import_module(BUILTIN_PLUGINS[name]), name=name)
    return pm


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager (built on first use)."""
    global _default
    if _default is None:
        _default = make_plugin_manager()
    return _default


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


def exchange_rules(pm: pluggy.PluginManager) -> dict[str, Callable]:
    """Exchange rules contributed by plugins; a name given by two plugins is an error."""
    rules: dict[str, Callable] = {}
    for batch in pm.hook.hjgan_exchange_rules():
        for name, rule in (batch or {}).items():
            if name in rules and rules[name] is not rule:
                raise ValueError(f"two plugins register an exchange rule named {name!r}")
            rules[name] = rule
    return rules


def describe(pm: pluggy.PluginManager) -> str:
    """Text for ``hjgan plugins``: every plugin with the hooks it implements, then the adapters."""
    lines = ["plugins (entry-point group 'hjgan'):"]
    dists = {id(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
    for name, plugin in sorted(pm.list_name_plugin(), key=lambda item: item[0]):
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        dist = dists.get(id(plugin))
        origin = f" [{dist.project_name} {dist.version}]" if dist is not None else ""
        lines.append(f"  {name}{origin}: {', '.join(hooks) or '(no hooks)'}")
    lines.append("adapters:")
    for name, adapter in sorted(adapters(pm).items()):
        lines.append(f"  {name}: {adapter.description}")
    from .exchange import EXCHANGE_RULES

    builtin = sorted(EXCHANGE_RULES)
    extra = sorted(set(exchange_rules(pm)) - set(builtin))
    lines.append("exchange rules: " + ", ".join(builtin + [f"{name} (plugin)" for name in extra]))
    return "\n".join(lines)
