"""``attach()``: the plugin in any hand-written PyTorch training loop (docs/design.md §6).

    session = attach(G, D, optimizer_G=opt_g, optimizer_D=opt_d, penalty="joint", lambda_h=0.1)
    ...
    loss_G = adversarial_loss + session.generator_penalty(z, G_z=fake)
    loss_G.backward(); opt_g.step()     # step counting and the weight exchange run from step hooks

The session is thin state around the pure pieces: step counters, the schedule (warm-up, lazy interval;
docs/design.md §2), α and β, the built-in penalty (:mod:`.regularizer`) and the weight exchange
(:mod:`.exchange`), and ``state_dict``/``load_state_dict`` for resume. Plugins add terms, rules and
logging through the hooks of :mod:`hjgan_plugin.hookspecs`, with a :class:`~.context.PluginContext`.
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Callable, Sequence

import pluggy
import torch
from torch import Tensor, nn

from .adapters import Adapter
from .config import HJConfig
from .context import PluginContext
from .errors import NonFinitePenaltyWarning, TradeOffWarning
from .directions import check_latent
from .exchange import BUILTIN_RULES, WeightExchange
from .layers import OUTPUT, capture
from .options import check_value
from .plugin_manager import adapters as registered_adapters
from .plugin_manager import exchange_rules, get_plugin_manager
from .regularizer import regularizer_term
from .schedule import effective_weights, lazy_gain, probe_due, warmup_ramp

STATE_FORMAT = "hjgan_plugin.session/1"
ROLES = ("G", "D")


def _distributed() -> bool:
    return torch.distributed.is_available() and torch.distributed.is_initialized() \
        and torch.distributed.get_world_size() > 1


_WEIGHT_FIELDS = ("penalty", "alpha", "beta", "game", "lambda_h", "lambda_j", "epsilon", "layers")


def _default_weights(config: HJConfig, adapter: Adapter) -> bool:
    """True while every field that sets the penalty's weight or layers is at the host's default (the
    adapter's ``defaults``, else the built-in one)."""
    default = HJConfig(**dict(adapter.defaults))
    return all(getattr(config, f) == getattr(default, f) for f in _WEIGHT_FIELDS)


class Session:
    """State of the plugin attached to one G/D pair. Create it with :func:`attach`.

    The session owns both built-in steps: the Eq. 15 penalty (in :meth:`generator_penalty`) and the weight
    exchange (in :meth:`step`). Plugins add to them through the hooks and see the session only through
    :attr:`context`.
    """

    def __init__(self, generator: Callable, discriminator: nn.Module | None, config: HJConfig, *,
                 optimizer_G: torch.optim.Optimizer | None = None,
                 optimizer_D: torch.optim.Optimizer | None = None,
                 adapter: Adapter, plugin_manager: pluggy.PluginManager,
                 pairs: Sequence[tuple] | Callable | None = None, manual_steps: bool = False):
        self.generator, self.discriminator = generator, discriminator
        self.config, self.adapter, self.pm = config, adapter, plugin_manager
        self.context = PluginContext(self)
        self.alpha, self.beta = config.coefficients()
        self.steps = {role: 0 for role in ROLES}
        self.penalty_calls = 0
        self.skipped_nonfinite = 0
        self._scalars: dict[str, Any] = {}  # the last penalty step's terms (NaN where a term was skipped)
        layers = config.layers if config.layers != (OUTPUT,) or adapter.layers is None else adapter.layers
        self.regularizes_output = tuple(layers) == (OUTPUT,)
        if adapter.tradeoff and config.penalty != "none" and _default_weights(config, adapter):
            warnings.warn(TradeOffWarning(f"--hj on {adapter.name} at its default weights: {adapter.tradeoff}"),
                          stacklevel=3)
        base = adapter.generator_fn(generator)
        if self.regularizes_output:
            self.penalty_generator: Callable = base
        else:
            if not isinstance(generator, nn.Module):
                raise ValueError("--hj-layers names modules: pass G as an nn.Module")
            self.penalty_generator = capture(generator, layers, call=base)
        if config.exchange_every > 0:  # refused before any plugin touches G or D
            self._check_exchange(pairs, optimizer_D, manual_steps)
        try:
            self.pm.hook.hjgan_configure(context=self.context)
            self.exchange = self._build_exchange(pairs) if config.exchange_every > 0 else None
        except BaseException:  # a refused attach leaves G and D as they were
            self.pm.hook.hjgan_unconfigure(context=self.context)
            raise
        self._handles = [opt.register_step_post_hook(self._hook(role))
                         for role, opt in (("G", optimizer_G), ("D", optimizer_D)) if opt is not None]

    # ------------------------------------------------------------------ construction
    def _check_exchange(self, pairs: Any, optimizer_D: torch.optim.Optimizer | None, manual_steps: bool) -> None:
        if self.discriminator is None:
            raise ValueError("the weight exchange needs the discriminator: attach(G, D, ...)")
        if not isinstance(self.generator, nn.Module):
            raise ValueError("the weight exchange needs G as an nn.Module to pair its parameters")
        if pairs is None and self.config.exchange_pairing == "adapter" and self.adapter.pair_parameters is None:
            raise ValueError(f"adapter {self.adapter.name!r} defines no pairing; use --hj-exchange-pairing=mirror")
        if optimizer_D is None and not manual_steps:
            raise ValueError(
                "--hj-exchange-every needs the discriminator's optimizer: attach(..., optimizer_D=opt_D), "
                "or call session.step('D') after each discriminator step"
            )

    def _build_exchange(self, pairs: Sequence[tuple] | Callable | None) -> WeightExchange:
        pairing: Any = pairs
        if pairing is None and self.config.exchange_pairing == "adapter":
            pairing = self.adapter.pair_parameters
        return WeightExchange.from_config(self.generator, self.discriminator, self.config, pairing=pairing,
                                          broadcast=_distributed(), rules=exchange_rules(self.pm) or BUILTIN_RULES)

    def _hook(self, role: str) -> Callable:
        def after_step(_optimizer: torch.optim.Optimizer, _args: Any, _kwargs: Any) -> None:
            self.step(role)

        return after_step

    # ------------------------------------------------------------------ schedule
    def lazy_gain(self) -> float:
        """Gain of the penalty on the generator step being taken (0: skipped by ``--hj-interval``)."""
        return lazy_gain(self.steps["G"], self.config.interval, self.config.lazy_gain)

    def ramp(self) -> float:
        """Warm-up factor of the step being taken (docs/design.md §2)."""
        return warmup_ramp(self.steps["G"], self.config.warmup)

    def determinism_check(self) -> str:
        """``check_determinism`` for this penalty call: re-probe on calls 0, 1, 10, 100, ..."""
        return "always" if probe_due(self.penalty_calls) else "once"

    @property
    def weights(self) -> tuple[float, float]:
        """Current effective weights (α·λ_H, β·λ_J) with the warm-up ramp, without the lazy gain."""
        return effective_weights(self.alpha, self.beta, self.config.lambda_h, self.config.lambda_j, ramp=self.ramp())

    # ------------------------------------------------------------------ the two entry points
    def generator_penalty(self, z: Tensor, *G_args: Any, G_z: Any = None, real: Any = None,
                          **G_kwargs: Any) -> Tensor:
        """Eq. 15's ``α·λ_H·L_H + β·λ_J·L_J`` for this step, plus every plugin's generator-loss term.

        Call it in the generator step with the latents G is evaluated on and G's other inputs; add the
        result to the adversarial loss. Pass ``G_z=G(z)`` from the adversarial pass to save a forward
        (when the output is what is regularized), and ``real=`` the step's real batch for plugins that need
        it (the unrolled GAN). Returns a scalar tensor: 0 on steps the schedule
        skips, and without any term that came out NaN/inf (warned, counted in ``skipped_nonfinite``,
        and reported as NaN).
        """
        check_latent(z)
        terms: dict[str, Tensor] = {}
        previous, self._scalars = self._scalars, {}  # this step's scalars; record() from hooks lands here
        gain, ramp = self.lazy_gain(), self.ramp()
        check = self.determinism_check()
        if self.config.penalty != "none" and gain > 0 and ramp > 0.0:
            weights = effective_weights(self.alpha, self.beta, self.config.lambda_h, self.config.lambda_j,
                                        ramp=ramp, gain=gain)
            terms["hj_penalty"], parts = regularizer_term(
                self.penalty_generator, z, self.config, weights=weights, G_args=G_args, G_kwargs=G_kwargs,
                G_z=G_z, regularizes_output=self.regularizes_output, check_determinism=check)
            self.record(**parts)
        for batch in self.pm.hook.hjgan_generator_loss_terms(context=self.context, z=z, G_args=G_args,
                                                              G_kwargs=G_kwargs, G_z=G_z, real=real):
            for name, term in (batch or {}).items():
                if name in terms:
                    raise ValueError(f"two generator-loss terms are named {name!r} (a plugin's and another's); "
                                     "rename one")
                terms[name] = term
        total = torch.zeros((), device=z.device, dtype=torch.float32)
        if not terms:  # a step the schedule skips: the last penalty step's values stay
            self._scalars = {**previous, **self._scalars}
            return total
        self.penalty_calls += 1
        self._scalars["hj_ramp"] = self.ramp()  # this step's, before its optimizer step counts it
        for name, term in terms.items():
            if self._all_finite(term):
                total = total + term
                self._scalars[name] = term.detach()
            else:
                self.skipped_nonfinite += 1
                self._scalars[name] = math.nan  # skipped: reads as skipped, not as the previous step's value
                warnings.warn(
                    f"generator-loss term {name!r} is not finite at generator step {self.steps['G']}; it is "
                    "left out of this step (no NaN reaches the weights). Lower --hj-epsilon/--hj-lambda-* or "
                    "check G for overflow.", NonFinitePenaltyWarning, stacklevel=2)
        self._report()
        return total

    def step(self, role: str) -> None:
        """Count an optimizer step of ``role`` ("G" or "D"), run the weight exchange and the after-step hooks.

        Called automatically from the optimizers' step post-hooks; call it yourself only for an
        optimizer you did not pass to :func:`attach`.
        """
        if role not in ROLES:
            raise ValueError(f"role must be 'G' or 'D', got {role!r}")
        self.steps[role] += 1
        exchanged = False
        if self.exchange is not None:
            before = self.exchange.count + self.exchange.skipped_nonfinite
            self.exchange.after_step(role, self.steps[role])
            exchanged = self.exchange.count + self.exchange.skipped_nonfinite != before  # written or skipped
        self.pm.hook.hjgan_after_optimizer_step(context=self.context, role=role, step=self.steps[role])
        if exchanged:
            self._report()

    # ------------------------------------------------------------------ reporting
    def record(self, **values: Any) -> None:
        """Add scalars to this step's report (tensors are kept detached and read lazily)."""
        for key, value in values.items():
            self._scalars[key] = value.detach() if isinstance(value, Tensor) else value

    @property
    def last(self) -> dict[str, float]:
        """Scalars of the last penalty step (``hj_hessian``, ``hj_jacobian`` unweighted, ``hj_penalty`` and
        plugin terms weighted; NaN for a term skipped as non-finite), ``hj_alpha``, ``hj_beta``, ``hj_ramp``,
        ``hj_skipped_nonfinite``, and the exchange's ``exchange/*`` after its last exchange."""
        out = {key: float(value) for key, value in self._scalars.items()}
        out.setdefault("hj_ramp", self.ramp())  # the ramp the last penalty step applied, else the next step's
        out.update(hj_alpha=self.alpha, hj_beta=self.beta, hj_skipped_nonfinite=float(self.skipped_nonfinite))
        if self.exchange is not None:
            out.update(self.exchange.stats())
        return out

    def _report(self) -> None:
        listeners = self.pm.hook.hjgan_report.get_hookimpls()
        if self.adapter.report is None and not listeners:
            return  # nobody reads the scalars: no device-to-host copies
        scalars = self.last
        if self.adapter.report is not None:
            self.adapter.report(scalars, self.steps["G"])
        if listeners:
            self.pm.hook.hjgan_report(context=self.context, scalars=scalars, step=self.steps["G"])

    @staticmethod
    def _all_finite(term: Tensor) -> bool:
        finite = torch.isfinite(term.detach()).all().to(torch.float32).reshape(1)
        if _distributed():  # every rank skips together, so replicas stay identical
            torch.distributed.all_reduce(finite, op=torch.distributed.ReduceOp.MIN)
        return bool(finite.item() > 0)

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, Any]:
        """Plain types and tensors only: loads with ``torch.load(weights_only=True)`` without the plugin.
        ``config`` holds every option, plugins' included."""
        return {
            "format": STATE_FORMAT,
            "steps": dict(self.steps),
            "penalty_calls": self.penalty_calls,
            "skipped_nonfinite": self.skipped_nonfinite,
            "alpha": self.alpha,
            "beta": self.beta,
            "config": self.config.to_dict(),
            "exchange": self.exchange.state_dict() if self.exchange is not None else None,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Resume counters and exchange state; the current config (flags of this run) stays in force."""
        if not isinstance(state, dict):
            raise TypeError(f"session.load_state_dict expects the dict session.state_dict() returned, got "
                            f"{type(state).__name__} (a checkpoint saved without the plugin has no session state: "
                            "skip the call)")
        if state.get("format") != STATE_FORMAT:
            raise ValueError(f"not an hjgan_plugin session state (format {state.get('format')!r}, "
                             f"expected {STATE_FORMAT!r})")
        steps, counters = state.get("steps"), {key: state.get(key) for key in ("penalty_calls", "skipped_nonfinite")}
        if not isinstance(steps, dict) or set(steps) != set(ROLES):
            raise ValueError(f"session state: 'steps' must be {{'G': n, 'D': m}}, got {steps!r}")
        for key, value in {**steps, **counters}.items():
            check_value(f"session state: counter {key!r}", value, int, ">= 0",
                        why="a state saved by session.state_dict() has them all")
        if self.exchange is not None:  # checked whole before anything is assigned: a refused state changes nothing
            if state.get("exchange") is None:
                raise ValueError("session state has no weight exchange state, but this session exchanges weights "
                                 "(--hj-exchange-every > 0): resume from a state saved with the exchange on")
            self.exchange.checked_state(state["exchange"])
        self.steps = {role: steps[role] for role in ROLES}
        self.penalty_calls, self.skipped_nonfinite = counters["penalty_calls"], counters["skipped_nonfinite"]
        if self.exchange is not None:
            self.exchange.load_state_dict(state["exchange"])

    def detach(self) -> None:
        """Remove the optimizer hooks: the loop runs as if the plugin was never attached."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def __repr__(self) -> str:
        return (f"Session(penalty={self.config.penalty!r}, alpha={self.alpha:.4g}, beta={self.beta:.4g}, "
                f"steps={self.steps}, adapter={self.adapter.name!r}, exchange={self.exchange is not None})")


def _select_adapter(adapter: str | Adapter | None, generator: Any, pm: pluggy.PluginManager) -> Adapter:
    if isinstance(adapter, Adapter):
        return adapter
    available = registered_adapters(pm)
    if adapter is None:
        for candidate in available.values():
            if candidate.matches is not None and candidate.matches(generator):
                return candidate
        adapter = "generic"
    if adapter not in available:
        raise ValueError(f"no adapter named {adapter!r}; registered: {sorted(available)} (see `hjgan plugins`)")
    return available[adapter]


def attach(generator: Callable, discriminator: nn.Module | None = None, *,
           optimizer_G: torch.optim.Optimizer | None = None, optimizer_D: torch.optim.Optimizer | None = None,
           config: HJConfig | None = None, adapter: str | Adapter | None = None,
           pairs: Sequence[tuple] | Callable | None = None,
           plugin_manager: pluggy.PluginManager | None = None, manual_steps: bool = False,
           **fields: Any) -> Session:
    """Attach the plugin to a training loop and return its :class:`Session`.

    :param generator: G (an ``nn.Module``, or any callable for the penalty alone).
    :param discriminator: D (needed for the weight exchange).
    :param optimizer_G, optimizer_D: their optimizers; step post-hooks count steps and run the exchange.
    :param config: an :class:`HJConfig` (e.g. from ``--hj-*`` flags); ``fields`` override its values.
    :param adapter: an adapter name or object; by default the first registered adapter that matches G,
        else ``"generic"``.
    :param pairs: explicit exchange pairs ``[(g_param, d_param), ...]`` or a ``(G, D) -> pairs`` function.
    :param manual_steps: the caller calls ``session.step(role)`` itself after each optimizer step (an
        integration whose optimizers are built after the session); no optimizer needed for the exchange.
    :param fields: any option (docs/design.md §7): ``penalty="joint"``, ``lambda_h=0.1``, ..., and the
        options plugins declare (``msgan_weight=0.5`` with the MSGAN example plugin). Without ``config``, the
        adapter's ``defaults`` fill the options not given here.
    """
    if "enabled" in fields:
        raise TypeError("attach() enables the plugin by being called; 'enabled' is the command line's switch")
    pm = plugin_manager or get_plugin_manager()
    base = config.to_dict() if config is not None else {}
    base.update(fields)
    base["enabled"] = True
    cfg = HJConfig.from_dict(base, plugin_manager=pm)
    chosen = _select_adapter(adapter, generator, pm)
    if config is None and chosen.defaults:  # the host's measured recipe, under what the call gives
        cfg = HJConfig.from_dict({**dict(chosen.defaults), **base}, plugin_manager=pm)
    return Session(generator, discriminator, cfg, optimizer_G=optimizer_G, optimizer_D=optimizer_D,
                   adapter=chosen, plugin_manager=pm, pairs=pairs, manual_steps=manual_steps)
