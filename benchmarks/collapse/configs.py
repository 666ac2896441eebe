"""Datasets, metrics and training configs of the mode-collapse benchmark."""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

DATASETS = ("ring", "grid", "digits")
# per-iteration pull η/every = 1e-2 at every 10 and 100 (100/1: a full copy every 100 steps; 10/0.1: the pilot of
# docs/design.md §4) and 1e-3 at every 1. Earlier runs (git history of docs/benchmarks/mode_collapse.json) also had
# 1/0.01, 10/0.01 and 100/0.1: at a given pull, `every` changed little (1/0.01 wrecked the grid like 10/0.1 and
# 100/1; the three 1e-3 points sat between 1/0.001 and the baseline); dropped so that every dataset trains to its
# baseline's plateau within 30 minutes.
SWEEP = ((10, 0.1), (100, 1.0), (1, 0.001))
CONTROL_VARIANTS = ("blend-norm", "random-control", "random-fixed")
MSGAN_WEIGHT = 1.0
# iterations and learning rates at which the baseline has stopped improving (measured: see the .md's plateau
# section) while the whole benchmark stays under 30 minutes on 2 cores
DEFAULT_ITERS = {"ring": 5000, "grid": 13_000, "digits": 16_000}
DEFAULT_LR = {"ring": 2e-3, "grid": 2e-3, "digits": 3e-3}
Z_DIM = {"ring": 2, "grid": 2, "digits": 16}
BETAS = (0.5, 0.999)
CONFIDENT = 0.9  # digits quality gate: every channel's top softmax probability >= this [ours]
STRICT = 20  # strict mode count: >= 20 HQ points
# (metric key, label, higher is better) per dataset; the first metric of each dataset is its mode count
METRICS = {
    "ring": (("modes_strict", "strict modes", True), ("hq", "HQ", True), ("reverse_kl", "reverse KL", False)),
    "grid": (("modes_strict", "strict modes", True), ("hq", "HQ", True), ("reverse_kl", "reverse KL", False)),
    "digits": (("modes", "modes", True), ("reverse_kl", "reverse KL", False), ("confident", "confident", True)),
}
# how much a later checkpoint must beat an earlier one (beyond the seed noise) for the earlier one not to be a plateau
PLATEAU_TOL = {"modes_strict": 0.5, "hq": 0.02, "reverse_kl": 0.02, "modes": 5.0, "confident": 0.02}


TOPK_DECAYS = 100
"""Top-k: k decays (×γ = 0.99) this many times over a run, reaching ν = 0.5 at 69% of it (the paper decays
once per epoch; these datasets have no epochs)."""
REMEDIES = ("sn", "topk", "unrolled")


@dataclass(frozen=True)
class Config:
    """One training config: the baseline, a weight-exchange variant at (every, eta), MSGAN at a weight, or a
    remedy plugin: ``sn`` (spectral normalization of D), ``topk`` at ν (``weight``) or ``unrolled`` with K steps
    (``every``) of size η (``eta``)."""

    kind: str  # "baseline", "msgan", "sn", "topk" or an exchange variant name
    every: int = 0
    eta: float = 0.0
    weight: float = 0.0

    @property
    def key(self) -> str:
        if self.kind == "baseline":
            return "baseline"
        if self.kind in ("msgan", "topk"):
            return f"{self.kind}:{self.weight:g}"
        if self.kind == "sn":
            return "sn"
        return f"{self.kind}:{self.every}:{self.eta:g}"

    @property
    def label(self) -> str:
        if self.kind == "baseline":
            return "baseline (plain GAN)"
        if self.kind == "msgan":
            return f"MSGAN λ={self.weight:g}"
        if self.kind == "topk":
            return f"top-k ν={self.weight:g}"
        if self.kind == "sn":
            return "spectral norm (D)"
        if self.kind == "unrolled":
            return f"unrolled K={self.every}, η={self.eta:g}"
        return f"{self.kind}, every {self.every}, η={self.eta:g}"

    @property
    def pull(self) -> float:
        """η/every: how far (as a fraction, before β/(α+β)) D is pulled per iteration (exchange configs)."""
        return self.eta / self.every if self.every and self.kind not in REMEDIES else 0.0

    def attach_fields(self, iters: int = 1) -> dict[str, Any] | None:
        """The ``hjgan_plugin.attach`` options of this config for a run of ``iters`` iterations (``None``: the
        baseline attaches nothing). MSGAN's weight is the option the example plugin declares
        (``--hj-msgan-weight``); the remedies' are the built-in plugins' (``--hj-spectral-norm``, ``--hj-topk-*``;
        top-k and unrolled with the ``non-saturating`` adapter, the loop's losses)."""
        if self.kind == "baseline":
            return None
        if self.kind == "msgan":
            return {"penalty": "none", "msgan_weight": self.weight}
        if self.kind == "sn":
            return {"penalty": "none", "spectral_norm": True}
        if self.kind == "topk":
            return {"penalty": "none", "adapter": "non-saturating", "topk_nu": self.weight, "topk_gamma": 0.99,
                    "topk_period": max(1, iters // TOPK_DECAYS)}
        if self.kind == "unrolled":
            return {"penalty": "none", "adapter": "non-saturating", "unrolled_steps": self.every,
                    "unrolled_lr": self.eta}
        return {"penalty": "none", "exchange_every": self.every, "exchange_strength": self.eta,
                "exchange_variant": self.kind}

    def host_flags(self, iters: int = 1) -> tuple[str, ...]:
        """The same options as a host script's flags (``--hj --hj-topk-nu 0.75 ...``), with the host's own
        adapter instead of ``non-saturating``; the baseline's are none."""
        fields = self.attach_fields(iters)
        if fields is None:
            return ()
        out = ["--hj"]
        for name, value in fields.items():
            if name != "adapter":
                out += [f"--hj-{name.replace('_', '-')}",
                        str(int(value)) if isinstance(value, bool) else f"{value:g}" if isinstance(value, float) else str(value)]
        return tuple(out)

    @classmethod
    def parse(cls, key: str) -> Config:
        parts = key.split(":")
        try:
            if parts == ["baseline"]:
                return cls("baseline")
            if parts == ["sn"]:
                return cls("sn")
            if parts[0] in ("msgan", "topk") and len(parts) == 2:
                return cls(parts[0], weight=float(parts[1]))
            if len(parts) == 3:
                return cls(parts[0], every=int(parts[1]), eta=float(parts[2]))
        except ValueError:
            pass
        raise argparse.ArgumentTypeError(f"config {key!r}: expected 'baseline', 'msgan:<weight>', 'sn', 'topk:<nu>' "
                                         "or '<variant>:<every>:<eta>' (e.g. 'blend:10:0.1')")


def phase_one(msgan_weight: float) -> list[Config]:
    """The baseline, the blend sweep and MSGAN."""
    return [Config("baseline")] + [Config("blend", e, eta) for e, eta in SWEEP] + [Config("msgan", weight=msgan_weight)]


def controls(setting: tuple[int, float]) -> list[Config]:
    """``blend-norm`` and the two controls at ``(every, eta)``."""
    return [Config(v, setting[0], setting[1]) for v in CONTROL_VARIANTS]


def scatter_keys(configs: list[Config], chosen: Config) -> list[str]:
    """Configs whose generated points the figure shows: baseline, the chosen exchange, its matched control, MSGAN."""
    return ["baseline", chosen.key, Config("random-fixed", chosen.every, chosen.eta).key] + \
        [c.key for c in configs if c.kind == "msgan"]
