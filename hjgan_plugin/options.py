"""The option table: every ``--hj-*`` option, built-in or declared by a plugin (docs/design.md §7).

One :class:`Option` per config field. The naming rule is the same for all of them: field
``exchange_every`` ↔ flag ``--hj-exchange-every`` ↔ ``attach(exchange_every=...)`` ↔ the key in
``HJConfig.to_dict()`` (StyleGAN2-ADA's ``training_options.json``, the session state).

Plugins add options the way pytest plugins do in ``pytest_addoption``::

    @hookimpl
    def hjgan_addoption(parser):
        group = parser.getgroup("msgan", "MSGAN mode-seeking term")
        group.addoption("weight", type=float, default=1.0, help="weight of the term (0 = off)")

which declares the field ``msgan_weight`` and the flag ``--hj-msgan-weight``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Sequence

PENALTIES = ("joint", "hessian", "jacobian", "none")
DIFFERENCES = ("forward", "central")
EXCHANGE_DIRECTIONS = ("g_to_d", "both")
EXCHANGE_PAIRINGS = ("mirror", "adapter")
LATENT_SPACES = ("z", "w")
REDUCTIONS = ("max", "mean", "sum")
LAZY_GAINS = ("interval", "sqrt", "one")
DEFAULT_GAME = (1.0, 2.0, 0.5)  # Eagle-Dove v, c, split: alpha = beta = 0.5
OUTPUT = "output"  # the layer name that means G's final output
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def parse_game(text: str | Sequence[float]) -> tuple[float, float, float]:
    """Parse ``"v,c,s"`` (value, cost, split) or a 3-sequence into floats; the game validates them."""
    parts = text.split(",") if isinstance(text, str) else list(text)
    if len(parts) != 3:
        raise ValueError(f"--hj-game expects three numbers 'v,c,s' (value, cost, split; e.g. '1,2,0.5'), got {text!r}")
    try:
        v, c, s = (float(p) for p in parts)
    except ValueError as exc:
        raise ValueError(f"--hj-game expects numbers 'v,c,s', got {text!r}") from exc
    return v, c, s


def parse_layers(text: str | Sequence[str]) -> tuple[str, ...]:
    """Parse ``"output"`` or ``"block1,block2"`` into a tuple of module names."""
    items = text.split(",") if isinstance(text, str) else list(text)
    names = tuple(s.strip() for s in items if s.strip())
    if not names:
        raise ValueError(f"--hj-layers needs at least one name ('{OUTPUT}' for G's final output)")
    return names


def parse_bool(text: str | bool) -> bool:
    """``1/0``, ``true/false``, ``yes/no``, ``on/off`` (or a bool) -> bool."""
    if isinstance(text, bool):
        return text
    lowered = str(text).strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected a boolean (1/0, true/false), got {text!r}")


def format_value(value: Any) -> str:
    """A value as its flag text (``--hj-game=1,2,0.5``, ``--hj-unbiased=1``)."""
    if isinstance(value, (tuple, list)):
        return ",".join(format_value(v) for v in value)
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def flag_name(field: str) -> str:
    """The flag of option ``field``: ``exchange_every`` -> ``--hj-exchange-every``."""
    return "--hj-" + field.replace("_", "-")


def flag_text(field: str, value: Any) -> str:
    """One option as a flag with its value: ``--hj-lambda-h=0.0001``."""
    return f"{flag_name(field)}={format_value(value)}"


def flags_text(values: Sequence[tuple[str, Any]]) -> str:
    """``(field, value)`` pairs as one line of flags (an adapter's defaults, for ``hjgan plugins`` and ``--help``)."""
    return " ".join(flag_text(field, value) for field, value in values)


@dataclass(frozen=True)
class Option:
    """One config field and its flag.

    :param field: the config field (``exchange_every``); the flag is ``--hj-`` + field with dashes.
    :param parse: turns the flag's text into the value (``float``, :func:`parse_bool`, ...).
    :param default: the value when the option is not given.
    :param help: one line for ``--help``.
    :param choices: accepted values, or ``None`` for any that ``parse`` accepts.
    :param plugin: the group (plugin) that declared it; ``None`` for the built-ins.
    """

    field: str
    parse: Callable[[str], Any]
    default: Any
    help: str
    choices: tuple[Any, ...] | None = None
    plugin: str | None = None

    @property
    def flag(self) -> str:
        return flag_name(self.field)

    @property
    def help_text(self) -> str:
        """``help`` with the default appended, as ``--help`` shows it."""
        if self.default is None:
            return self.help
        return f"{self.help} (default {format_value(self.default)})"

    @property
    def dest(self) -> str:
        """The argparse/click destination (``hj_exchange_every``)."""
        return "hj_" + self.field

    def convert(self, value: Any) -> Any:
        """``value`` as the field holds it: text is parsed, then checked against ``choices``."""
        if isinstance(value, str) and self.parse is not str:
            value = self.parse(value)
        if self.choices is not None and value not in self.choices:
            raise ValueError(f"{self.flag} must be one of {list(self.choices)}, got {value!r}")
        return value


class OptionGroup:
    """The options of one plugin: :meth:`addoption` prefixes each name with the group's."""

    def __init__(self, parser: "OptionParser", name: str, description: str):
        self.parser, self.name, self.description = parser, name, description

    def addoption(self, name: str, *, type: Callable[[str], Any] = str, default: Any = None, help: str = "",
                  choices: Sequence[Any] | None = None) -> Option:
        """Declare ``<group>_<name>`` (flag ``--hj-<group>-<name>``); returns the :class:`Option`."""
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(f"plugin option name must be lower_case_with_underscores, got {name!r} "
                             f"(group {self.name!r})")
        option = Option(f"{self.name}_{name}", type, default, help,
                        tuple(choices) if choices is not None else None, plugin=self.name)
        if default is not None:
            option.convert(default)  # a default the option itself would refuse is the plugin's bug
        self.parser.add(option)
        return option


class OptionParser:
    """What ``hjgan_addoption`` receives: collects the plugins' option groups (pytest's ``Parser``)."""

    def __init__(self, builtin: Sequence[Option] = ()):
        self._builtin = {o.field: o for o in builtin}
        self._options: dict[str, Option] = {}
        self._groups: dict[str, OptionGroup] = {}

    def getgroup(self, name: str, description: str = "") -> OptionGroup:
        """The group called ``name`` (created on first use); its options are ``--hj-<name>-*``."""
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(f"plugin option group must be lower_case_with_underscores, got {name!r}")
        if any(field == name or field.startswith(name + "_") for field in self._builtin):
            raise ValueError(f"plugin option group {name!r} would shadow the built-in --hj-{name.replace('_', '-')}* "
                             "options; choose another group name")
        if name not in self._groups:
            self._groups[name] = OptionGroup(self, name, description)
        return self._groups[name]

    def add(self, option: Option) -> None:
        clash = self._builtin.get(option.field) or self._options.get(option.field)
        if clash is not None:
            owner = "a built-in option" if clash.plugin is None else f"plugin group {clash.plugin!r}"
            raise ValueError(f"plugin group {option.plugin!r} declares {option.flag}, already declared by {owner}")
        self._options[option.field] = option

    @property
    def options(self) -> tuple[Option, ...]:
        """The plugins' options, in declaration order."""
        return tuple(self._options.values())

    @property
    def groups(self) -> dict[str, str]:
        """``{group name: description}``."""
        return {name: group.description for name, group in self._groups.items()}


BUILTIN_OPTIONS: tuple[Option, ...] = (
    Option("penalty", str, "joint", "joint | hessian | jacobian | none", PENALTIES),
    Option("alpha", float, None, "Eq. 15 weight of the Hessian term (default: from --hj-game)"),
    Option("beta", float, None, "Eq. 15 weight of the Jacobian term (default: from --hj-game)"),
    Option("game", parse_game, DEFAULT_GAME, "Eagle-Dove value, cost, split v,c,s (1,2,0.5: alpha = beta = 0.5)"),
    Option("lambda_h", float, 0.1, "base scale of the Hessian term"),
    Option("lambda_j", float, 1e-4, "base scale of the Jacobian term"),
    Option("epsilon", float, 0.1, "finite-difference step"),
    Option("k", int, 2, "number of Rademacher directions, >= 2"),
    Option("difference", str, "forward", "Jacobian difference: forward | central", DIFFERENCES),
    Option("layers", parse_layers, (OUTPUT,), "comma-separated module names to regularize"),
    Option("space", str, "z", "latent space to perturb, z | w (StyleGAN2)", LATENT_SPACES),
    Option("interval", int, 1, "lazy regularization: penalty every N generator steps, gain N"),
    Option("lazy_gain", str, "interval", "gain of a lazy penalty step: interval (N) | sqrt (√N) | one (1)",
           LAZY_GAINS),
    Option("subbatch", float, 1.0, "fraction of the batch the penalty uses"),
    Option("warmup", int, 0, "generator steps over which the weights ramp from 0"),
    Option("exchange_every", int, 0, "weight exchange every N discriminator steps, 0 = off"),
    Option("exchange_strength", float, 0.001, "exchange strength eta in (0, 1]"),
    Option("exchange_direction", str, "g_to_d", "g_to_d | both", EXCHANGE_DIRECTIONS),
    Option("exchange_variant", str, "blend",
           "blend | blend-norm | random-control | random-fixed, or a plugin's rule"),
    Option("exchange_pairing", str, "mirror",
           "exchange pairing: mirror | adapter (the adapter's own pairing)", EXCHANGE_PAIRINGS),
    Option("unbiased", parse_bool, True, "unbiased variance over directions, /(k-1)"),
    Option("reduction", str, "max", "reduce over elements and batch: max | mean | sum", REDUCTIONS),
    Option("seed", int, 0, "seed for the exchange's random controls"),
)
