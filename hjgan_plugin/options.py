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

import math
import numbers
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


_BOUNDS = re.compile(r"^\s*(?:(?P<lo>[\[(])\s*(?P<a>[^,]+),\s*(?P<b>[^\])]+)(?P<hi>[\])])"
                     r"|(?P<op>>=|>|<=|<)\s*(?P<c>\S+))\s*$")


@dataclass(frozen=True)
class Range:
    """The interval an option's number must lie in, written as it reads: ``"(0, 1]"``, ``">= 2"``, ``"> 0"``."""

    text: str

    def __post_init__(self) -> None:
        match = _BOUNDS.match(self.text)
        try:
            bounds = self._bounds(match) if match else None
        except ValueError:
            bounds = None
        if bounds is None:
            raise ValueError(f"range {self.text!r}: write it as '[a, b]', '(a, b]', '>= a', '> a', '<= b' or '< b'")

    @staticmethod
    def _bounds(m: "re.Match[str]") -> tuple[float, float, bool, bool]:
        if m["op"]:
            c = float(m["c"])
            return {">=": (c, math.inf, False, True), ">": (c, math.inf, True, True),
                    "<=": (-math.inf, c, True, False), "<": (-math.inf, c, True, True)}[m["op"]]
        return float(m["a"]), float(m["b"]), m["lo"] == "(", m["hi"] == ")"

    @property
    def bounds(self) -> tuple[float, float, bool, bool]:
        """``(low, high, low_open, high_open)``; an unbounded side is ±inf."""
        return self._bounds(_BOUNDS.match(self.text))  # type: ignore[arg-type]

    def __contains__(self, value: float) -> bool:
        low, high, low_open, high_open = self.bounds
        return (low < value if low_open else low <= value) and (value < high if high_open else value <= high)

    def __str__(self) -> str:
        """``"in (0, 1]"`` or ``">= 2"``: how a message or ``--help`` says it."""
        text = self.text.strip()
        return text if text[0] in "<>" else f"in {text}"


def _real(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise TypeError
    return float(value)


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError
    return int(value)


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral) and value in (0, 1):
        return bool(value)
    raise TypeError


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError
    return value


def _game(value: Any) -> tuple[float, float, float]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 3:
        raise TypeError
    return tuple(_real(v) for v in value)  # type: ignore[return-value]


def _names(value: Any) -> tuple[str, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or not value \
            or not all(isinstance(v, str) and v.strip() for v in value):
        raise TypeError
    return tuple(v.strip() for v in value)


#: What a value of each ``parse`` must be once parsed, and how an error says it (a plugin's own ``type``
#: gets no check beyond it).
_KINDS: dict[Callable[..., Any], tuple[Callable[[Any], Any], str]] = {
    float: (_real, "a finite number"), int: (_integer, "an integer"), parse_bool: (_boolean, "a boolean (1/0, true/false)"),
    str: (_text, "text"), parse_game: (_game, "three finite numbers v,c,s"),
    parse_layers: (_names, f"module names ('{OUTPUT}' for G's output)")}


def _checked(value: Any, parse: Callable[..., Any], rng: "Range | None") -> Any:
    """``value`` as type ``parse`` holds it, within ``rng``; ``TypeError`` where it is not."""
    checked = _KINDS[parse][0](value) if parse in _KINDS else value
    if rng is not None and checked not in rng:
        raise TypeError
    return checked


def check_value(name: str, value: Any, parse: Callable[..., Any] = float, range: "str | Range | None" = None,
                why: str = "") -> Any:
    """``value`` checked as an option of type ``parse`` and ``range`` is (``float``: a finite real, ``int``: an
    integer, never a bool), and returned as that type; else ``ValueError``:
    ``"steps must be an integer >= 1, got 0"`` (``why`` goes in brackets before ``got``). For the arguments
    of library functions that are not options (counts, steps, scales)."""
    rng = Range(range) if isinstance(range, str) else range
    try:
        return _checked(value, parse, rng)
    except TypeError:
        kind = _KINDS[parse][1] if parse in _KINDS else "a value its type accepts"
        raise ValueError(f"{name} must be {kind}{f' {rng}' if rng is not None else ''}"
                         f"{f' ({why})' if why else ''}, got {value!r}") from None


@dataclass(frozen=True)
class Option:
    """One config field and its flag.

    :param field: the config field (``exchange_every``); the flag is ``--hj-`` + field with dashes.
    :param parse: turns the flag's text into the value (``float``, ``int``, :func:`parse_bool`, ...); it is
        also the value's type: a float option takes finite real numbers only, an int option integers only.
    :param default: the value when the option is not given (``None``: the option may stay unset).
    :param help: one line for ``--help``.
    :param choices: accepted values, or ``None`` for any that ``parse`` accepts.
    :param plugin: the group (plugin) that declared it; ``None`` for the built-ins.
    :param range: the interval a number must lie in (``"(0, 1]"``, ``">= 0"``), or ``None``.
    """

    field: str
    parse: Callable[[str], Any]
    default: Any
    help: str
    choices: tuple[Any, ...] | None = None
    plugin: str | None = None
    range: Range | None = None

    @property
    def flag(self) -> str:
        return flag_name(self.field)

    @property
    def help_text(self) -> str:
        """``help`` with the default and the range appended, as ``--help`` shows it."""
        notes = ([f"default {format_value(self.default)}"] if self.default is not None else []) + \
            ([str(self.range)] if self.range is not None else [])
        return f"{self.help} ({'; '.join(notes)})" if notes else self.help

    @property
    def accepted(self) -> str:
        """What the option accepts, for error messages: its choices, else its type and range."""
        if self.choices is not None:
            return "one of " + ", ".join(map(repr, self.choices))
        kind = _KINDS[self.parse][1] if self.parse in _KINDS else "a value its type accepts"
        return kind + (f" {self.range}" if self.range is not None else "")

    @property
    def dest(self) -> str:
        """The argparse/click destination (``hj_exchange_every``)."""
        return "hj_" + self.field

    def convert(self, value: Any) -> Any:
        """``value`` as the field holds it, or ``ValueError`` naming the field, the flag and what is accepted:
        text is parsed, then the value's type, finiteness, range and ``choices`` are checked. The one
        validator behind every entry point (``attach``, ``HJConfig``, argparse, click, ``from_dict``)."""
        if value is None and self.default is None:
            return None
        if isinstance(value, str) and self.parse is not str:
            try:
                value = self.parse(value)
            except (ValueError, TypeError) as exc:
                raise ValueError(f"{self.flag} ({self.field}): {exc}; accepted: {self.accepted}") from None
        try:
            value = _checked(value, self.parse, self.range)
        except TypeError:
            raise ValueError(f"{self.flag} ({self.field}) must be {self.accepted}, got {value!r}") from None
        if self.choices is not None and value not in self.choices:
            raise ValueError(f"{self.flag} ({self.field}) must be {self.accepted}, got {value!r}")
        return value


class OptionGroup:
    """The options of one plugin: :meth:`addoption` prefixes each name with the group's."""

    def __init__(self, parser: "OptionParser", name: str, description: str):
        self.parser, self.name, self.description = parser, name, description

    def addoption(self, name: str, *, type: Callable[[str], Any] = str, default: Any = None, help: str = "",
                  choices: Sequence[Any] | None = None, range: str | None = None) -> Option:
        """Declare ``<group>_<name>`` (flag ``--hj-<group>-<name>``); returns the :class:`Option`.

        ``type`` parses the flag's text and is the value's type (``float``: finite numbers only); ``range``
        bounds a number (``"(0, 1]"``, ``">= 1"``); ``choices`` lists the accepted values."""
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(f"plugin option name must be lower_case_with_underscores, got {name!r} "
                             f"(group {self.name!r})")
        option = Option(f"{self.name}_{name}", type, default, help,
                        tuple(choices) if choices is not None else None, plugin=self.name,
                        range=Range(range) if range is not None else None)
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
    Option("alpha", float, None, "Eq. 15 weight of the Hessian term (default: from --hj-game)", range=Range(">= 0")),
    Option("beta", float, None, "Eq. 15 weight of the Jacobian term (default: from --hj-game)", range=Range(">= 0")),
    Option("game", parse_game, DEFAULT_GAME, "Eagle-Dove value, cost, split v,c,s (1,2,0.5: alpha = beta = 0.5)"),
    Option("lambda_h", float, 0.1, "base scale of the Hessian term", range=Range(">= 0")),
    Option("lambda_j", float, 1e-4, "base scale of the Jacobian term", range=Range(">= 0")),
    Option("epsilon", float, 0.1, "finite-difference step", range=Range("> 0")),
    Option("k", int, 2, "number of Rademacher directions (the variance over directions needs two)",
           range=Range(">= 2")),
    Option("difference", str, "forward", "Jacobian difference: forward | central", DIFFERENCES),
    Option("layers", parse_layers, (OUTPUT,), "comma-separated module names to regularize"),
    Option("space", str, "z", "latent space to perturb, z | w (StyleGAN2)", LATENT_SPACES),
    Option("interval", int, 1, "lazy regularization: penalty every N generator steps, gain N (1 = every step)",
           range=Range(">= 1")),
    Option("lazy_gain", str, "interval", "gain of a lazy penalty step: interval (N) | sqrt (√N) | one (1)",
           LAZY_GAINS),
    Option("subbatch", float, 1.0, "fraction of the batch the penalty uses", range=Range("(0, 1]")),
    Option("warmup", int, 0, "generator steps over which the weights ramp from 0", range=Range(">= 0")),
    Option("exchange_every", int, 0, "weight exchange every N discriminator steps, 0 = off", range=Range(">= 0")),
    Option("exchange_strength", float, 0.001, "exchange strength eta", range=Range("(0, 1]")),
    Option("exchange_direction", str, "g_to_d", "g_to_d | both", EXCHANGE_DIRECTIONS),
    Option("exchange_variant", str, "blend",
           "blend | blend-norm | random-control | random-fixed, or a plugin's rule"),
    Option("exchange_pairing", str, "mirror",
           "exchange pairing: mirror | adapter (the adapter's own pairing)", EXCHANGE_PAIRINGS),
    Option("unbiased", parse_bool, True, "unbiased variance over directions, /(k-1)"),
    Option("reduction", str, "max", "reduce over elements and batch: max | mean | sum", REDUCTIONS),
    Option("seed", int, 0, "seed for the exchange's random controls", range=Range(">= 0")),
)
