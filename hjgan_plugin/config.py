"""One set of option names for every integration (SPEC §7).

`HJConfig` holds the fields; `add_argparse_args`/`from_argparse` and `click_options`/`from_click`
turn them into ``--hj-*`` flags so that every trainer exposes the same command line.
"""
from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass, fields
from typing import Any, Callable, Sequence

PENALTIES = ("joint", "hessian", "jacobian", "none")
DIFFERENCES = ("forward", "central")
DIRECTIONS = ("g_to_d", "both")
SPACES = ("z", "w")


def parse_game(text: str | Sequence[float]) -> tuple[float, float, float]:
    """Parse ``"v,c,k"`` (or a 3-sequence) into floats; the game itself validates the values."""
    parts = text.split(",") if isinstance(text, str) else list(text)
    if len(parts) != 3:
        raise ValueError(f"--hj-game expects three numbers 'v,c,k' (e.g. '1,2,0.5'), got {text!r}")
    try:
        v, c, k = (float(p) for p in parts)
    except ValueError as exc:
        raise ValueError(f"--hj-game expects numbers 'v,c,k', got {text!r}") from exc
    return v, c, k


def parse_layers(text: str | Sequence[str]) -> tuple[str, ...]:
    """Parse ``"output"`` or ``"block1,block2"`` into a tuple of module names."""
    items = text.split(",") if isinstance(text, str) else list(text)
    names = tuple(s.strip() for s in items if s.strip())
    if not names:
        raise ValueError("--hj-layers needs at least one name ('output' for G's final output)")
    return names


@dataclass
class HJConfig:
    """Options shared by every integration; field -> flag ``--hj-<field with dashes>`` (SPEC §7).

    ``alpha``/``beta`` left as ``None`` are solved from the Eagle-Dove ``game`` (SPEC §3).
    Fields after ``exchange_direction`` are [ours]: they extend §7 and keep its naming rule.
    """

    enabled: bool = False
    penalty: str = "joint"
    alpha: float | None = None
    beta: float | None = None
    game: tuple[float, float, float] = (1.0, 2.0, 0.5)
    lambda_h: float = 0.1
    lambda_j: float = 1e-4
    epsilon: float = 0.1
    k: int = 2
    difference: str = "forward"
    layers: tuple[str, ...] = ("output",)
    space: str = "z"
    interval: int = 1
    subbatch: float = 1.0
    warmup: int = 0
    exchange_every: int = 0
    exchange_strength: float = 0.001  # mode-collapse benchmark: the least harmful η (at every=1); SPEC §7 had 1.0
    exchange_direction: str = "g_to_d"
    # --- [ours] extensions, same naming rule ---
    exchange_variant: str = "blend"
    exchange_pairing: str = "mirror"
    unbiased: bool = True
    reduction: str = "max"
    seed: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.game, str) or len(tuple(self.game)) != 3:
            self.game = parse_game(self.game)
        self.game = tuple(float(x) for x in self.game)  # type: ignore[assignment]
        if isinstance(self.layers, str):
            self.layers = parse_layers(self.layers)
        self.layers = tuple(self.layers)
        self.validate()

    def validate(self) -> None:
        """Raise ``ValueError`` naming the flag and the accepted values for any bad field."""
        _choice("penalty", self.penalty, PENALTIES)
        _choice("difference", self.difference, DIFFERENCES)
        _choice("exchange_direction", self.exchange_direction, DIRECTIONS)
        _choice("space", self.space, SPACES)
        _choice("reduction", self.reduction, ("max", "mean", "sum"))
        if self.k < 2:
            raise ValueError(f"--hj-k must be >= 2 (the variance over directions needs two), got {self.k}")
        if not self.epsilon > 0:
            raise ValueError(f"--hj-epsilon must be > 0, got {self.epsilon}")
        if self.interval < 1:
            raise ValueError(f"--hj-interval must be >= 1 (1 = every generator step), got {self.interval}")
        if not 0.0 < self.subbatch <= 1.0:
            raise ValueError(f"--hj-subbatch is a fraction of the batch in (0, 1], got {self.subbatch}")
        if self.warmup < 0:
            raise ValueError(f"--hj-warmup must be >= 0 generator steps, got {self.warmup}")
        if self.exchange_every < 0:
            raise ValueError(f"--hj-exchange-every must be >= 0 (0 = off), got {self.exchange_every}")
        if not 0.0 < self.exchange_strength <= 1.0:
            raise ValueError(f"--hj-exchange-strength (eta) must be in (0, 1], got {self.exchange_strength}")
        for name in ("lambda_h", "lambda_j"):
            if getattr(self, name) < 0:
                raise ValueError(f"--hj-{name.replace('_', '-')} must be >= 0, got {getattr(self, name)}")

    def coefficients(self) -> tuple[float, float]:
        """α, β of Eq. 15: given values override the Eagle-Dove game's equilibrium (SPEC §3)."""
        from .game import EagleDove

        game_alpha, game_beta = EagleDove(*self.game).coefficients()
        alpha = game_alpha if self.alpha is None else float(self.alpha)
        beta = game_beta if self.beta is None else float(self.beta)
        if alpha < 0 or beta < 0:
            raise ValueError(f"--hj-alpha/--hj-beta must be >= 0, got {alpha}, {beta}")
        return alpha, beta

    def replace(self, **changes: Any) -> "HJConfig":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain types only (lists, floats, str): safe for JSON and for checkpoints."""
        out = dataclasses.asdict(self)
        out["game"] = list(self.game)
        out["layers"] = list(self.layers)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "HJConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise TypeError(f"unknown hjgan option(s) {unknown}; valid names: {sorted(known)}")
        return cls(**data)

    # ------------------------------------------------------------------ argparse
    @staticmethod
    def add_argparse_args(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
        """Add every ``--hj*`` flag to an argparse parser (``--hj`` is a store-true switch)."""
        group = parser.add_argument_group("hjgan_plugin (Hessian-Jacobian penalty, weight exchange)")
        group.add_argument("--hj", dest="hj", action="store_true", help="enable hjgan_plugin")
        for spec in _FLAG_SPECS:
            group.add_argument(spec.flag, dest=spec.dest, type=spec.parse, default=None, help=spec.help)
        return parser

    @classmethod
    def from_argparse(cls, namespace: argparse.Namespace) -> "HJConfig":
        values = vars(namespace)
        return cls._from_flag_values(bool(values.get("hj")), values)

    # ------------------------------------------------------------------ click
    @staticmethod
    def click_options(*, switch: str = "flag") -> Callable[[Callable], Callable]:
        """Decorator adding the ``--hj-*`` options to a click command.

        ``switch="flag"`` gives ``--hj`` as a boolean flag; ``switch="int"`` gives ``--hj=0|1``
        (StyleGAN2-ADA's style for booleans).
        """
        import click

        def decorate(func: Callable) -> Callable:
            for spec in reversed(_FLAG_SPECS):
                func = click.option(spec.flag, spec.dest, type=_ClickParse(spec), default=None, help=spec.help)(func)
            if switch == "int":
                func = click.option("--hj", "hj", type=click.IntRange(0, 1), default=0, show_default=True,
                                    help="enable hjgan_plugin (1) or not (0)")(func)
            else:
                func = click.option("--hj", "hj", is_flag=True, default=False, help="enable hjgan_plugin")(func)
            return func

        return decorate

    @classmethod
    def from_click(cls, kwargs: dict[str, Any], *, pop: bool = False) -> "HJConfig":
        """Build from a click command's kwargs; ``pop=True`` removes the hj keys from ``kwargs``."""
        keys = ["hj"] + [s.dest for s in _FLAG_SPECS]
        values = {key: kwargs.get(key) for key in keys}
        if pop:
            for key in keys:
                kwargs.pop(key, None)
        return cls._from_flag_values(bool(values.get("hj")), values)

    @classmethod
    def _from_flag_values(cls, enabled: bool, values: dict[str, Any]) -> "HJConfig":
        given = {s.field: values[s.dest] for s in _FLAG_SPECS if values.get(s.dest) is not None}
        return cls(enabled=enabled, **given)

    def to_flags(self) -> list[str]:
        """The command line that rebuilds this config (for logs and launchers)."""
        out = ["--hj"] if self.enabled else []
        default = HJConfig()
        for spec in _FLAG_SPECS:
            value = getattr(self, spec.field)
            if value != getattr(default, spec.field):
                out.append(f"{spec.flag}={_format(value)}")
        return out


def _choice(name: str, value: str, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise ValueError(f"--hj-{name.replace('_', '-')} must be one of {list(allowed)}, got {value!r}")


def _format(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        return ",".join(_format(v) for v in value)
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _parse_bool(text: str) -> bool:
    lowered = str(text).strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected a boolean (1/0, true/false), got {text!r}")


@dataclass(frozen=True)
class _FlagSpec:
    field: str
    parse: Callable[[str], Any]
    help: str

    @property
    def flag(self) -> str:
        return "--hj-" + self.field.replace("_", "-")

    @property
    def dest(self) -> str:
        return "hj_" + self.field


class _ClickParse:
    """click ParamType built lazily (click is imported only when click options are used)."""

    def __new__(cls, spec: _FlagSpec):  # type: ignore[misc]
        import click

        class _T(click.ParamType):
            name = spec.field

            def convert(self, value, param, ctx):  # noqa: D401 - click API
                if value is None or not isinstance(value, str):
                    return value
                try:
                    return spec.parse(value)
                except ValueError as exc:
                    self.fail(str(exc), param, ctx)

        return _T()


_FLAG_SPECS: tuple[_FlagSpec, ...] = (
    _FlagSpec("penalty", str, "joint | hessian | jacobian | none (default joint)"),
    _FlagSpec("alpha", float, "Eq. 15 weight of the Hessian term (default: from --hj-game)"),
    _FlagSpec("beta", float, "Eq. 15 weight of the Jacobian term (default: from --hj-game)"),
    _FlagSpec("game", parse_game, "Eagle-Dove parameters v,c,k (default 1,2,0.5 -> alpha=beta=0.5)"),
    _FlagSpec("lambda_h", float, "base scale of the Hessian term (default 0.1)"),
    _FlagSpec("lambda_j", float, "base scale of the Jacobian term (default 1e-4)"),
    _FlagSpec("epsilon", float, "finite-difference step (default 0.1)"),
    _FlagSpec("k", int, "number of Rademacher directions, >= 2 (default 2)"),
    _FlagSpec("difference", str, "Jacobian difference: forward | central (default forward)"),
    _FlagSpec("layers", parse_layers, "comma-separated module names to regularize (default output)"),
    _FlagSpec("space", str, "latent space to perturb, z | w (StyleGAN2; default z)"),
    _FlagSpec("interval", int, "lazy regularization: penalty every N generator steps, gain N (default 1)"),
    _FlagSpec("subbatch", float, "fraction of the batch the penalty uses (default 1.0)"),
    _FlagSpec("warmup", int, "generator steps over which the weights ramp from 0 (default 0)"),
    _FlagSpec("exchange_every", int, "weight exchange every N iterations, 0 = off (default 0)"),
    _FlagSpec("exchange_strength", float, "exchange strength eta in (0, 1] (default 0.001)"),
    _FlagSpec("exchange_direction", str, "g_to_d | both (default g_to_d)"),
    _FlagSpec("exchange_variant", str, "blend | blend-norm | random-control | random-fixed (default blend)"),
    _FlagSpec("exchange_pairing", str, "exchange pairing: mirror | adapter (the adapter's own pairing) (default mirror)"),
    _FlagSpec("unbiased", _parse_bool, "unbiased variance over directions, /(k-1) (default 1)"),
    _FlagSpec("reduction", str, "reduce over elements and batch: max | mean | sum (default max)"),
    _FlagSpec("seed", int, "seed for the exchange's random controls (default 0)"),
)
