"""``HJConfig``: one set of option names for every integration (docs/design.md §7).

The fields, flags, defaults and help texts come from the option table of :mod:`.options`; plugins add
their own options through the ``hjgan_addoption`` hook. ``add_argparse_args``/``from_argparse`` and
``click_options``/``from_click`` turn them into ``--hj-*`` flags, so every trainer exposes the same
command line, plugin options included.
"""
from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Callable, Sequence

from .options import BUILTIN_OPTIONS, Option, flag_text

if TYPE_CHECKING:  # pragma: no cover
    import pluggy

_BUILTIN = {option.field: option for option in BUILTIN_OPTIONS}


def _default(name: str) -> Any:
    return _BUILTIN[name].default


@dataclass
class HJConfig:
    """Options shared by every integration; field ``x_y`` ↔ flag ``--hj-x-y`` (docs/design.md §7).

    ``alpha``/``beta`` left as ``None`` are solved from the Eagle-Dove ``game`` (docs/design.md §3).
    ``plugin_options`` holds the options plugins declared (``msgan_weight``, ...); read any option,
    built-in or a plugin's, with :meth:`getoption`.
    """

    enabled: bool = False
    penalty: str = _default("penalty")
    alpha: float | None = _default("alpha")
    beta: float | None = _default("beta")
    game: tuple[float, float, float] = _default("game")
    lambda_h: float = _default("lambda_h")
    lambda_j: float = _default("lambda_j")
    epsilon: float = _default("epsilon")
    k: int = _default("k")
    difference: str = _default("difference")
    layers: tuple[str, ...] = _default("layers")
    space: str = _default("space")
    interval: int = _default("interval")
    lazy_gain: str = _default("lazy_gain")
    subbatch: float = _default("subbatch")
    warmup: int = _default("warmup")
    exchange_every: int = _default("exchange_every")
    exchange_strength: float = _default("exchange_strength")  # η; the least harmful value in the benchmark
    exchange_direction: str = _default("exchange_direction")
    exchange_variant: str = _default("exchange_variant")
    exchange_pairing: str = _default("exchange_pairing")
    unbiased: bool = _default("unbiased")
    reduction: str = _default("reduction")
    seed: int = _default("seed")
    plugin_options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.plugin_options = dict(self.plugin_options)
        self.validate()

    def validate(self) -> None:
        """Check every built-in field through its option (type, finiteness, range, choices; text parsed as its
        flag would be) and store the checked value: ``ValueError`` naming the field, the flag and the accepted
        values. ``enabled`` must be a bool; plugin options are checked where they are set (:meth:`from_dict`,
        :meth:`replace`)."""
        if not isinstance(self.enabled, bool):
            raise ValueError(f"enabled (--hj) must be a bool, got {self.enabled!r}")
        for option in BUILTIN_OPTIONS:
            setattr(self, option.field, option.convert(getattr(self, option.field)))

    def coefficients(self) -> tuple[float, float]:
        """α, β of Eq. 15: given values override the Eagle-Dove game's equilibrium (docs/design.md §3)."""
        from .game import EagleDove

        game_alpha, game_beta = EagleDove(*self.game).coefficients()
        alpha = game_alpha if self.alpha is None else float(self.alpha)
        beta = game_beta if self.beta is None else float(self.beta)
        if alpha < 0 or beta < 0:
            raise ValueError(f"--hj-alpha/--hj-beta must be >= 0, got {alpha}, {beta}")
        return alpha, beta

    def getoption(self, name: str) -> Any:
        """The value of option ``name``: a built-in field or a plugin's (``"msgan_weight"``)."""
        if name in _BUILTIN or name == "enabled":
            return getattr(self, name)
        try:
            return self.plugin_options[name]
        except KeyError:
            raise KeyError(f"no hjgan option {name!r} in this config; plugin options: {sorted(self.plugin_options)} "
                           "(is the plugin that declares it installed? `hjgan plugins` lists them)") from None

    def replace(self, **changes: Any) -> "HJConfig":
        """A copy with ``changes``; plugin options by their field name (``msgan_weight=0.5``)."""
        known = {f.name for f in fields(self)}
        plugin = {key: changes.pop(key) for key in list(changes) if key not in known}
        unknown = sorted(set(plugin) - set(self.plugin_options))
        if unknown:
            raise TypeError(f"unknown hjgan option(s) {unknown}; plugin options of this config: "
                            f"{sorted(self.plugin_options)}")
        if plugin:  # checked by the option its plugin declared, as from_dict checks them
            declared = _plugin_options(None)
            plugin = {key: declared[key].convert(value) if key in declared else value for key, value in plugin.items()}
        return dataclasses.replace(self, plugin_options={**self.plugin_options, **plugin}, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain types only (lists, floats, str), plugin options as top-level keys: safe for JSON and
        checkpoints, and accepted back by :meth:`from_dict`."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "plugin_options"}
        out["game"] = list(self.game)
        out["layers"] = list(self.layers)
        out.update(self.plugin_options)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, plugin_manager: "pluggy.PluginManager | None" = None) -> "HJConfig":
        """Build from :meth:`to_dict`'s form. Keys that are not built-in fields must be options declared by
        a plugin of ``plugin_manager`` (default: the process-wide one); missing plugin options get their
        defaults."""
        known = {f.name for f in fields(cls)} - {"plugin_options"}
        builtin = {key: value for key, value in data.items() if key in known}
        extra = {key: value for key, value in data.items() if key not in known}
        declared = _plugin_options(plugin_manager) if extra or plugin_manager is not None else {}
        unknown = sorted(set(extra) - set(declared))
        if unknown:
            raise TypeError(f"unknown hjgan option(s) {unknown}; valid names: {sorted(known | set(declared))} "
                            "(plugin options need their plugin installed: see `hjgan plugins`)")
        values = {name: option.default for name, option in declared.items()}
        for name, value in extra.items():
            values[name] = declared[name].convert(value)  # its message names the flag
        return cls(**builtin, plugin_options=values)

    # ------------------------------------------------------------------ argparse
    @staticmethod
    def add_argparse_args(parser: argparse.ArgumentParser, *,
                          plugin_manager: "pluggy.PluginManager | None" = None) -> argparse.ArgumentParser:
        """Add ``--hj`` (a store-true switch) and every ``--hj-*`` flag, plugins' included, to a parser."""
        group = parser.add_argument_group("hjgan_plugin (Hessian-Jacobian penalty, weight exchange)")
        group.add_argument("--hj", dest="hj", action="store_true", help="enable hjgan_plugin")
        for option in _all_options(plugin_manager):
            group.add_argument(option.flag, dest=option.dest, type=_argparse_type(option), default=None,
                               help=option.help_text)
        return parser

    @staticmethod
    def help_text(prog: str, description: str, *, plugin_manager: "pluggy.PluginManager | None" = None) -> str:
        """``--help`` for a launcher that cannot show its host's own options yet (no checkout named, the host
        not installed): ``description``, then ``--hj`` and every ``--hj-*`` flag."""
        parser = argparse.ArgumentParser(prog=prog, description=description, add_help=False,
                                         formatter_class=argparse.RawDescriptionHelpFormatter)
        return HJConfig.add_argparse_args(parser, plugin_manager=plugin_manager).format_help()

    @classmethod
    def from_argparse(cls, namespace: argparse.Namespace, *,
                      plugin_manager: "pluggy.PluginManager | None" = None) -> "HJConfig":
        return cls._from_flag_values(vars(namespace), plugin_manager)

    # ------------------------------------------------------------------ click
    @staticmethod
    def click_options(*, switch: str = "flag",
                      plugin_manager: "pluggy.PluginManager | None" = None) -> Callable[[Callable], Callable]:
        """Decorator adding ``--hj`` and the ``--hj-*`` options, plugins' included, to a click command.

        ``switch="flag"`` gives ``--hj`` as a boolean flag; ``switch="int"`` gives ``--hj=0|1``
        (StyleGAN2-ADA's style for booleans).
        """
        import click

        def decorate(func: Callable) -> Callable:
            for option in reversed(_all_options(plugin_manager)):
                func = click.option(option.flag, option.dest, type=_ClickParse(option), default=None,
                                    help=option.help_text)(func)
            if switch == "int":
                func = click.option("--hj", "hj", type=click.IntRange(0, 1), default=0, show_default=True,
                                    help="enable hjgan_plugin (1) or not (0)")(func)
            else:
                func = click.option("--hj", "hj", is_flag=True, default=False, help="enable hjgan_plugin")(func)
            return func

        return decorate

    @classmethod
    def from_click(cls, kwargs: dict[str, Any], *, pop: bool = False,
                   plugin_manager: "pluggy.PluginManager | None" = None) -> "HJConfig":
        """Build from a click command's kwargs; ``pop=True`` removes the hj keys from ``kwargs``."""
        keys = ["hj"] + [option.dest for option in _all_options(plugin_manager)]
        values = {key: kwargs.get(key) for key in keys}
        if pop:
            for key in keys:
                kwargs.pop(key, None)
        return cls._from_flag_values(values, plugin_manager)

    @classmethod
    def _from_flag_values(cls, values: dict[str, Any], plugin_manager: "pluggy.PluginManager | None") -> "HJConfig":
        given = {o.field: values[o.dest] for o in _all_options(plugin_manager) if values.get(o.dest) is not None}
        return cls.from_dict({"enabled": bool(values.get("hj")), **given}, plugin_manager=_resolve(plugin_manager))

    def to_flags(self) -> list[str]:
        """The command line that rebuilds this config (for logs and launchers)."""
        out = ["--hj"] if self.enabled else []
        for option in BUILTIN_OPTIONS:
            value = getattr(self, option.field)
            if value != option.default:
                out.append(flag_text(option.field, value))
        declared = _plugin_options(None)
        for name, value in self.plugin_options.items():
            if name in declared and value == declared[name].default:
                continue
            out.append(flag_text(name, value))
        return out


def _resolve(plugin_manager: "pluggy.PluginManager | None") -> "pluggy.PluginManager":
    from .plugin_manager import get_plugin_manager

    return plugin_manager if plugin_manager is not None else get_plugin_manager()


def _plugin_options(plugin_manager: "pluggy.PluginManager | None") -> dict[str, Option]:
    from .plugin_manager import plugin_options

    return {option.field: option for option in plugin_options(_resolve(plugin_manager))}


def _all_options(plugin_manager: "pluggy.PluginManager | None") -> list[Option]:
    return [*BUILTIN_OPTIONS, *_plugin_options(plugin_manager).values()]


def _argparse_type(option: Option) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        try:
            return option.convert(text)
        except ValueError as exc:  # argparse shows ArgumentTypeError's message as it is
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = option.field
    return convert


class _ClickParse:
    """click ParamType built lazily (click is imported only when click options are used)."""

    def __new__(cls, option: Option):  # type: ignore[misc]
        import click

        class _T(click.ParamType):
            name = option.field

            def convert(self, value, param, ctx):  # noqa: D401 - click API
                if value is None or not isinstance(value, str):
                    return value
                try:
                    return option.convert(value)
                except ValueError as exc:
                    self.fail(str(exc), param, ctx)

        return _T()

