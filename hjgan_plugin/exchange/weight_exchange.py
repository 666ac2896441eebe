"""Stateful driver of the weight exchange (docs/design.md §4, paper Appendix A.2) [paper: intent; ours: the rule].

:class:`WeightExchange` resolves the pairs once, then, when told that an optimizer step happened
(:meth:`WeightExchange.after_step`), applies a rule from :mod:`.rules` to every pair on the schedule.
It holds only counters, a seeded CPU ``torch.Generator`` and (for ``random-fixed``) one noise tensor
per pair; :meth:`state_dict` is plain types and tensors, loadable with ``weights_only=True``.
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Mapping, Optional

import torch
from torch import nn

from ..errors import NonFiniteExchangeWarning
from ..options import BUILTIN_OPTIONS, EXCHANGE_DIRECTIONS, check_value
from .pairing import PairingReport, PairingSpec, adjoint, adjoint_inverse, resolve_pairs, unwrap
from .rules import BUILTIN_RULES, ExchangeRule, check_coefficients, get_rule, tensor_norm

__all__ = ["WeightExchange"]


def _norm64(t: torch.Tensor) -> torch.Tensor:
    """‖t‖ accumulated in float64: no float32 square overflows there."""
    return tensor_norm(t.detach(), torch.float64)

_STATE_VERSION = 1
_DEFAULTS = {o.field: o.default for o in BUILTIN_OPTIONS if o.field.startswith("exchange_")}


class WeightExchange:
    """Pull D's paired weights toward G's (and, with ``direction="both"``, G's toward D's) [ours].

    Parameters
    ----------
    generator, discriminator:
        The two networks (DDP / DataParallel / ``torch.compile`` wrappers are looked through).
    every:
        Exchange when ``step % every == 0`` (``step`` as passed to :meth:`after_step`); 0 = off.
    strength:
        η in (0, 1] (docs/design.md §4).
    direction:
        ``"g_to_d"`` (after the D step, the paper's) or ``"both"`` (also D->G after the G step).
    variant:
        A rule name in ``rules``.
    alpha, beta:
        Weights of the target and the source in the blend (from the Eagle-Dove game, docs/design.md §3).
    pairing:
        ``"mirror"``, explicit pairs or a pairing function (see :func:`resolve_pairs`).
    seed:
        Seed of the CPU generator for the random variants (the same numbers on every rank).
    broadcast:
        If ``torch.distributed`` is initialised, broadcast every exchanged tensor from rank 0 after each
        due exchange (not needed when replicas are already identical; a safety net when they might not be).
    rules:
        The rules ``variant`` is looked up in: the built-ins, or a session's plugin manager's
        (:func:`hjgan_plugin.plugin_manager.exchange_rules`).

    Defaults are the options' (``--hj-exchange-strength`` 0.001, ...); :meth:`from_config` builds one
    from a config, which is how a session builds its exchange.
    """

    def __init__(self, generator: nn.Module, discriminator: nn.Module, *, every: int,
                 strength: float = _DEFAULTS["exchange_strength"], direction: str = _DEFAULTS["exchange_direction"],
                 variant: str = _DEFAULTS["exchange_variant"], alpha: float = 0.5, beta: float = 0.5,
                 pairing: PairingSpec = "mirror", seed: int = 0, broadcast: bool = False,
                 rules: Mapping[str, ExchangeRule] = BUILTIN_RULES) -> None:
        if isinstance(every, bool) or not isinstance(every, int) or every < 0:
            raise ValueError(f"weight exchange every (--hj-exchange-every) must be an int >= 0 (0 = off), got {every!r}")
        if direction not in EXCHANGE_DIRECTIONS:
            raise ValueError(f"weight exchange direction (--hj-exchange-direction) must be one of "
                             f"{list(EXCHANGE_DIRECTIONS)}, "
                             f"got {direction!r}")
        check_coefficients(float(alpha), float(beta), float(strength))
        self.generator = generator
        self.discriminator = discriminator
        self.every = every
        self.strength = float(strength)
        self.direction = direction
        self.variant = variant
        self.rule = get_rule(variant, rules)
        self.alpha = float(alpha)
        self.beta = float(beta)
        self.seed = int(seed)
        self.broadcast = bool(broadcast)
        self.report: PairingReport = resolve_pairs(generator, discriminator, pairing)
        if direction == "both":
            g_names = [p.g_name for p in self.report.pairs]
            dup = sorted({n for n in g_names if g_names.count(n) > 1})
            if dup:
                raise ValueError(f"direction='both' writes G too, but G parameter(s) {dup} appear in more than one "
                                 "pair; use direction='g_to_d' or pair each G tensor once")
        self.count = 0
        self.skipped_nonfinite = 0
        self._generator = torch.Generator(device="cpu")
        self._generator.manual_seed(self.seed)
        # random-fixed: one CPU float32 noise tensor per target, keyed by D name (G->D) or G name (D->G).
        self._fixed: dict[str, dict[str, torch.Tensor]] = {"d": {}, "g": {}}
        self._last_cosine = math.nan
        self._last_norm_ratio = math.nan

    # ------------------------------------------------------------------------------------ construction
    @classmethod
    def from_config(cls, generator: nn.Module, discriminator: nn.Module, config: Any, *,
                    pairing: Optional[PairingSpec] = None, broadcast: bool = False,
                    rules: Mapping[str, ExchangeRule] = BUILTIN_RULES) -> "WeightExchange":
        """Build from an :class:`~hjgan_plugin.config.HJConfig` (``exchange_*`` fields, ``seed``).

        ``alpha``/``beta`` left ``None`` in the config come from its Eagle-Dove ``game`` (docs/design.md §3);
        ``pairing`` overrides ``config.exchange_pairing`` (an adapter passes its pairing function here).
        """
        alpha, beta = config.coefficients()
        return cls(generator, discriminator, every=config.exchange_every, strength=config.exchange_strength,
                   direction=config.exchange_direction, variant=config.exchange_variant, alpha=alpha, beta=beta,
                   pairing=config.exchange_pairing if pairing is None else pairing, seed=config.seed,
                   broadcast=broadcast, rules=rules)

    @property
    def enabled(self) -> bool:
        return self.every > 0

    def __repr__(self) -> str:
        return (f"WeightExchange(every={self.every}, strength={self.strength}, direction={self.direction!r}, "
                f"variant={self.variant!r}, alpha={self.alpha:g}, beta={self.beta:g}, pairs={self.report.n_pairs}, "
                f"count={self.count})")

    # ---------------------------------------------------------------------------------------- schedule
    def after_step(self, role: str, step: int) -> bool:
        """Call after an optimizer step; returns ``True`` if an exchange was written.

        ``role="D"``: after the discriminator step, ``step`` = D steps taken so far (1-based); exchanges
        G->D when ``every > 0 and step % every == 0``. ``role="G"``: after the generator step, ``step`` =
        G steps so far; exchanges D->G on the same schedule, only with ``direction="both"``. Every rank
        must call this with the same ``step`` (the schedule is all that decides, so replicas agree).
        """
        if role not in ("G", "D"):
            raise ValueError(f"after_step role must be 'G' or 'D', got {role!r}")
        if self.every <= 0 or step % self.every != 0:
            return False
        if role == "G" and self.direction != "both":
            return False
        return self._exchange(to_d=(role == "D"), step=step)

    # ------------------------------------------------------------------------------------------- core
    def _noise(self, side: str, name: str, like: torch.Tensor) -> Optional[torch.Tensor]:
        """Noise for the rule: drawn on the CPU generator (same numbers on every rank), then moved."""
        if self.rule.noise is None:
            return None
        if self.rule.noise == "fresh":
            cpu = torch.randn(tuple(like.shape), generator=self._generator, dtype=torch.float32)
        else:  # "fixed"
            store = self._fixed[side]
            cpu = store.get(name)
            if cpu is None or tuple(cpu.shape) != tuple(like.shape):
                cpu = torch.randn(tuple(like.shape), generator=self._generator, dtype=torch.float32)
                store[name] = cpu
        return cpu.to(device=like.device, dtype=like.dtype)

    def _exchange(self, *, to_d: bool, step: int) -> bool:
        G, D = unwrap(self.generator), unwrap(self.discriminator)
        updates: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor, str]] = []
        with torch.no_grad():
            for pair in self.report.pairs:
                g = G.get_parameter(pair.g_name)
                d = D.get_parameter(pair.d_name)
                if to_d:  # docs/design.md §4 update G->D: θ_D ← (1−η)θ_D + η(αθ_D + β·adj(θ_G))/(α+β) [ours]
                    target, source, side, name = d, adjoint(g.detach(), pair.adjoint), "d", pair.d_name
                else:  # docs/design.md §4 direction "both", D->G: θ_G ← (1−η)θ_G + η(αθ_G + β·adj⁻¹(θ_D))/(α+β) [ours]
                    target, source, side, name = g, adjoint_inverse(d.detach(), pair.adjoint), "g", pair.g_name
                source = source.to(device=target.device, dtype=target.dtype)
                new = self.rule(target.detach(), source, alpha=self.alpha, beta=self.beta, strength=self.strength,
                                noise=self._noise(side, name, target))
                if new.shape != target.shape:
                    raise RuntimeError(f"exchange rule {self.variant!r} returned shape {tuple(new.shape)} for "
                                       f"{name!r} of shape {tuple(target.shape)}")
                updates.append((target, new, source, name))

            dev = updates[0][1].device
            # one norm per new tensor, accumulated in float64 (float32 squares cannot overflow there): finite
            # exactly when every element is; 5-6x cheaper than isfinite().all(), and reused as ‖θ‖ by the stats
            new_norms = torch.stack([_norm64(new).to(dev) for _, new, _, _ in updates])
            finite = torch.isfinite(new_norms)
            if not bool(finite.all()):
                bad = [name for (_, _, _, name), ok in zip(updates, finite.tolist(), strict=True) if not ok]
                self.skipped_nonfinite += 1
                warnings.warn(
                    f"hjgan weight exchange ({'G->D' if to_d else 'D->G'}, step {step}) skipped: the update of "
                    f"{bad} is not finite (NaN/inf in the paired G or D weights); nothing was written "
                    f"({self.skipped_nonfinite} exchange(s) skipped so far)", NonFiniteExchangeWarning, stacklevel=3)
                self._broadcast([t for t, _, _, _ in updates])
                return False

            for target, new, _, _ in updates:
                target.copy_(new)
            self._broadcast([t for t, _, _, _ in updates])
            self.count += 1
            self._record_stats(new_norms, [(t, s) for t, _, s, _ in updates], to_d=to_d)
        return True

    def _broadcast(self, tensors: list[torch.Tensor]) -> None:
        """With ``broadcast=True`` under torch.distributed: rank 0's values everywhere (all ranks call this
        on the same steps, written or skipped, so the collectives always match)."""
        if not self.broadcast:
            return
        import torch.distributed as dist

        if not (dist.is_available() and dist.is_initialized()):
            return
        for t in tensors:
            dist.broadcast(t.data, src=0)

    def _record_stats(self, target_norms: torch.Tensor, pairs: list[tuple[torch.Tensor, torch.Tensor]], *,
                      to_d: bool) -> None:
        # target/source are in the same layout; the adjoints are norm-preserving, so cos(θ_D, adj θ_G) and
        # ‖θ_D‖/‖adj θ_G‖ are the same whichever side was written. ``target_norms``: the written tensors'.
        # cos from norms alone, (‖t‖² + ‖s‖² − ‖t − s‖²) / (2‖t‖‖s‖), all accumulated in float64: no float32
        # product to overflow, two reductions per pair
        dev = target_norms.device
        source_norms = torch.stack([_norm64(s).to(dev) for _, s in pairs])
        diff_norms = torch.stack([_norm64(t.detach() - s).to(dev) for t, s in pairs])
        cosines = ((target_norms.square() + source_norms.square() - diff_norms.square())
                   / (2 * target_norms * source_norms).clamp_min(1e-12)).clamp(-1.0, 1.0)
        d_norm, g_norm = (target_norms, source_norms) if to_d else (source_norms, target_norms)
        # kept as device tensors: read (one sync) only when stats() is asked for, not at every exchange
        self._last_cosine = cosines.mean()
        self._last_norm_ratio = (d_norm / g_norm.clamp_min(1e-12)).mean()

    # ------------------------------------------------------------------------------------------ report
    def stats(self) -> dict[str, float]:
        """Scalars for a logger: counts, and after the last exchange the mean over pairs of the cosine
        between each D tensor and adj(its G tensor) and of ``‖θ_D‖ / ‖adj θ_G‖`` (NaN before the first)."""
        return {
            "exchange/count": float(self.count),
            "exchange/skipped_nonfinite": float(self.skipped_nonfinite),
            "exchange/mean_cosine": float(self._last_cosine),
            "exchange/d_norm_ratio": float(self._last_norm_ratio),
            "exchange/fraction_paired": self.report.fraction_paired,
        }

    # ------------------------------------------------------------------------------------- checkpoints
    def state_dict(self) -> dict[str, Any]:
        """Plain python types and CPU tensors only: loads with ``torch.load(..., weights_only=True)``
        and without hjgan_plugin installed."""
        return {
            "version": _STATE_VERSION,
            "variant": self.variant,
            "count": int(self.count),
            "skipped_nonfinite": int(self.skipped_nonfinite),
            "generator_state": self._generator.get_state().clone(),
            "fixed_noise_d": {k: v.detach().cpu().clone() for k, v in self._fixed["d"].items()},
            "fixed_noise_g": {k: v.detach().cpu().clone() for k, v in self._fixed["g"].items()},
            "last_cosine": float(self._last_cosine),
            "last_norm_ratio": float(self._last_norm_ratio),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict` so a resumed run draws the same noise and counts on. The whole state is
        checked first: a refused one changes nothing."""
        values = self.checked_state(state)
        if state.get("variant") != self.variant:
            warnings.warn(f"weight exchange state was saved with variant {state.get('variant')!r}, resuming with "
                          f"{self.variant!r}", RuntimeWarning, stacklevel=2)
        self.count, self.skipped_nonfinite = values["count"], values["skipped_nonfinite"]
        self._generator.set_state(values["generator_state"])
        self._fixed = values["fixed"]
        self._last_cosine, self._last_norm_ratio = values["last_cosine"], values["last_norm_ratio"]

    def checked_state(self, state: Any) -> dict[str, Any]:
        """:meth:`load_state_dict`'s values from ``state``, or ``ValueError`` naming what is missing or wrong."""
        if not isinstance(state, dict):
            raise ValueError(f"weight exchange state must be the dict exchange.state_dict() returned, got "
                             f"{type(state).__name__}")
        version = state.get("version")
        if version != _STATE_VERSION:
            raise ValueError(f"weight exchange state version {version!r} is not supported (expected {_STATE_VERSION})")
        missing = [key for key in ("count", "skipped_nonfinite", "generator_state") if key not in state]
        if missing:
            raise ValueError(f"weight exchange state lacks {missing}")
        counts = {key: check_value(f"weight exchange state: {key}", state[key], int, ">= 0")
                  for key in ("count", "skipped_nonfinite")}
        rng = state["generator_state"]
        if not isinstance(rng, torch.Tensor) or rng.dtype != torch.uint8:
            raise ValueError("weight exchange state: generator_state must be a torch.Generator state (a uint8 tensor)")
        fixed = {"d": dict(state.get("fixed_noise_d", {})), "g": dict(state.get("fixed_noise_g", {}))}
        known = {"d": {p.d_name for p in self.report.pairs}, "g": {p.g_name for p in self.report.pairs}}
        for side in ("d", "g"):
            unknown = sorted(set(fixed[side]) - known[side])
            if unknown:
                raise ValueError(f"weight exchange state has fixed noise for {unknown}, which the current pairing "
                                 f"does not contain (pairs: {[(p.g_name, p.d_name) for p in self.report.pairs]})")
        return {**counts, "generator_state": rng.clone(),
                "fixed": {side: {k: v.detach().cpu().float().clone() for k, v in fixed[side].items()} for side in fixed},
                "last_cosine": float(state.get("last_cosine", math.nan)),
                "last_norm_ratio": float(state.get("last_norm_ratio", math.nan))}
