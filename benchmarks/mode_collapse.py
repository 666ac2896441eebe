"""Mode-collapse benchmark (issue 5, benchmark 1): a plain GAN vs the weight-exchange variants of SPEC §4
vs the MSGAN mode-seeking term, on the 2D ring (8 modes), the 2D grid (25 modes) and Stacked Digits
(1000 modes).

Every run trains a small non-saturating GAN from scratch and measures it:

- **ring / grid** (``hjgan_plugin.datasets.mixtures``: PacGAN's grid, a VEEGAN-style ring): G and D are
  MLPs ``2 -> width -> width -> 2`` (ReLU) and ``2 -> width -> width -> 1`` (LeakyReLU 0.2), z ~ N(0, I_2),
  fresh real samples every batch. Measured on ``--samples`` generated points (2500, as VEEGAN and PacGAN)
  with ``hjgan_plugin.metrics.mode_coverage``: modes with >= 1 high-quality point (loose, the papers'
  count), with >= 20 (strict), the high-quality fraction (within 3 std of the nearest mode) and the reverse
  KL of the HQ mode histogram vs uniform.
- **digits** (Stacked-MNIST's protocol on scikit-learn's 8x8 digits, ``hjgan_plugin.datasets.digits``;
  each channel an independent train-split digit): G ``16 -> width -> width -> 192`` with a sigmoid,
  reshaped to 3x8x8; D ``192 -> width -> width -> 1``. Measured on ``--digit-samples`` images (10,000)
  with ``stacked_mode_stats`` and the project's ``DigitClassifier`` (trained once per benchmark, seed 0):
  modes covered, reverse KL vs uniform over the 1000 modes, and a quality gate [ours]: the fraction of
  images whose three digits are all classified with softmax probability >= 0.9 (a diffuse generator also
  "covers" modes when its noise gets classified).

Configs (all but the baseline go through ``hjgan_plugin.attach(G, D, optimizer_G=..., optimizer_D=...,
penalty="none", ...)``, the path a user takes; the baseline attaches nothing):

- ``baseline``: the plain GAN;
- ``blend:<every>:<eta>``: the weight exchange, ``exchange_variant="blend"``; the sweep: a per-iteration pull
  η/every = 1e-2 exchanged every 10 or every 100 steps (10/0.1, 100/1) and a pull of 1e-3 every step (1/0.001);
- ``msgan:<weight>``: the MSGAN term (Mao et al., CVPR 2019) from the example third-party plugin
  ``examples/hjgan-msgan``, registered with the plugin manager and called through the same
  ``hjgan_generator_loss_terms`` hook as the built-in penalty (``session.generator_penalty``);
- then, at the blend setting chosen from the data of the runs above (best mean rank over datasets and
  metrics, see ``choose_setting``) or at ``--control-setting``: ``blend-norm``, and the two controls with
  none of G's information, ``random-control`` (fresh noise of G's norm at every exchange) and
  ``random-fixed`` (one noise tensor per pair, rescaled to G's norm: the matched control).

The sweep runs on ring and grid; digits (the costliest) runs the baseline, MSGAN, the chosen setting,
``blend-norm`` and the controls, unless ``--digits-sweep``. Reference rows (no training): real samples of
each dataset and, for ring/grid, ``uniform_spray`` (points uniform over the modes' bounding box: a diffuse
generator). Metrics are logged at checkpoints during training (2D: every run; digits: the baseline) and
the iteration where the baseline stops improving is reported; the default iterations are where a longer
``--baseline-only`` check (``mode_collapse.baseline_plateau.json``, cited in the table) found the
baseline's plateau. Runs go to ``--workers`` processes with one
torch thread each; every config uses the same seeds, so a seed gives every config the same initial weights
and data stream.

    python benchmarks/mode_collapse.py                   # ~28 min on 2 cores: docs/benchmarks/mode_collapse.*
    python benchmarks/mode_collapse.py --from-json docs/benchmarks/mode_collapse.json   # redraw .md/.png only
    python benchmarks/mode_collapse.py --seeds 0 --iters 30 --samples 300 --digit-samples 300 \\
        --classifier-epochs 1 --workers 1 --out /tmp/x   # smoke run
"""
from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import math
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MSGAN_DIR = ROOT / "examples" / "hjgan-msgan"

DATASETS = ("ring", "grid", "digits")
# per-iteration pull η/every = 1e-2 at every 10 and 100 (100/1: a full copy every 100 steps; 10/0.1: SPEC §4's
# pilot) and 1e-3 at every 1. Earlier runs (git history of docs/benchmarks/mode_collapse.json) also had 1/0.01,
# 10/0.01 and 100/0.1: at a given pull, `every` changed little (1/0.01 wrecked the grid like 10/0.1 and 100/1;
# the three 1e-3 points sat between 1/0.001 and the baseline); dropped so that every dataset trains to its
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
STRICT = 20  # strict mode count: >= 20 HQ points (issue 5)
# (metric key, label, higher is better) per dataset; the first metric of each dataset is its mode count
METRICS = {
    "ring": (("modes_strict", "strict modes", True), ("hq", "HQ", True), ("reverse_kl", "reverse KL", False)),
    "grid": (("modes_strict", "strict modes", True), ("hq", "HQ", True), ("reverse_kl", "reverse KL", False)),
    "digits": (("modes", "modes", True), ("reverse_kl", "reverse KL", False), ("confident", "confident", True)),
}


# ------------------------------------------------------------------------------------------------ configs
@dataclass(frozen=True)
class Config:
    """One training config: the baseline, a weight-exchange variant at (every, eta), or MSGAN."""

    kind: str  # "baseline", "msgan" or an exchange variant name
    every: int = 0
    eta: float = 0.0
    weight: float = 0.0

    @property
    def key(self) -> str:
        if self.kind == "baseline":
            return "baseline"
        if self.kind == "msgan":
            return f"msgan:{self.weight:g}"
        return f"{self.kind}:{self.every}:{self.eta:g}"

    @property
    def label(self) -> str:
        if self.kind == "baseline":
            return "baseline (plain GAN)"
        if self.kind == "msgan":
            return f"MSGAN λ={self.weight:g}"
        return f"{self.kind}, every {self.every}, η={self.eta:g}"

    @property
    def pull(self) -> float:
        """η/every: how far (as a fraction, before β/(α+β)) D is pulled per iteration."""
        return self.eta / self.every if self.every else 0.0

    def attach_fields(self) -> dict[str, Any] | None:
        if self.kind == "baseline":
            return None
        if self.kind == "msgan":
            return {"penalty": "none"}
        return {"penalty": "none", "exchange_every": self.every, "exchange_strength": self.eta,
                "exchange_variant": self.kind}

    @classmethod
    def parse(cls, key: str) -> Config:
        parts = key.split(":")
        try:
            if parts == ["baseline"]:
                return cls("baseline")
            if parts[0] == "msgan" and len(parts) == 2:
                return cls("msgan", weight=float(parts[1]))
            if len(parts) == 3:
                return cls(parts[0], every=int(parts[1]), eta=float(parts[2]))
        except ValueError:
            pass
        raise argparse.ArgumentTypeError(f"config {key!r}: expected 'baseline', 'msgan:<weight>' or "
                                         "'<variant>:<every>:<eta>' (e.g. 'blend:10:0.1')")


def phase_one(msgan_weight: float) -> list[Config]:
    return [Config("baseline")] + [Config("blend", e, eta) for e, eta in SWEEP] + [Config("msgan", weight=msgan_weight)]


def controls(setting: tuple[int, float]) -> list[Config]:
    return [Config(v, setting[0], setting[1]) for v in CONTROL_VARIANTS]


# ------------------------------------------------------------------------------------------------ models
def _mlp(widths: Iterable[int], act) -> Any:
    from torch import nn

    widths = list(widths)
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(widths)):
        layers.append(nn.Linear(a, b))
        if i < len(widths) - 2:
            layers.append(act())
    return nn.Sequential(*layers)


def _mlp_forward(net, x, act):
    """``net(x)`` for a Sequential of Linear layers and activations, calling ``F.linear`` on the layers'
    own parameters: the same function, without nn.Module's per-call dispatch (about a third of an
    iteration's Python overhead at this size)."""
    import torch.nn.functional as F

    linears = [m for m in net if hasattr(m, "weight")]
    for i, layer in enumerate(linears):
        x = F.linear(x, layer.weight, layer.bias)
        if i < len(linears) - 1:
            x = act(x)
    return x


def _fused_adam() -> bool:
    import torch

    return make_optimizer([torch.zeros(1, requires_grad=True)], 1e-3).defaults.get("fused") is True


def make_optimizer(params, lr: float):
    """Adam with the benchmark's betas; the fused kernel where this torch has it on the CPU (the same
    update as the for-loop one, in one call per step instead of ~10 per parameter)."""
    import torch

    try:
        return torch.optim.Adam(params, lr=lr, betas=BETAS, fused=True)
    except (RuntimeError, TypeError, ValueError):  # older torch: no fused Adam for CPU tensors
        return torch.optim.Adam(params, lr=lr, betas=BETAS)


def make_nets(dataset: str, width: int):
    """G and D for ``dataset``; the mirror pairing of SPEC §4 pairs G's last two Linear layers (transposed)
    with D's first two."""
    import torch.nn.functional as F
    from torch import nn

    class Generator(nn.Module):
        def __init__(self, z_dim: int, out_shape: tuple[int, ...], sigmoid: bool):
            super().__init__()
            self.z_dim, self.out_shape = z_dim, out_shape
            self.net = _mlp([z_dim, width, width, int(np.prod(out_shape))], nn.ReLU)
            self.sigmoid = sigmoid

        def forward(self, z):
            x = _mlp_forward(self.net, z, F.relu)
            x = x.sigmoid() if self.sigmoid else x
            return x.view(-1, *self.out_shape)

    class Discriminator(nn.Module):
        def __init__(self, in_dim: int):
            super().__init__()
            self.net = _mlp([in_dim, width, width, 1], lambda: nn.LeakyReLU(0.2))

        def forward(self, x):
            return _mlp_forward(self.net, x.flatten(1), lambda h: F.leaky_relu(h, 0.2)).squeeze(1)

    if dataset == "digits":
        return Generator(Z_DIM[dataset], (3, 8, 8), True), Discriminator(3 * 8 * 8)
    return Generator(Z_DIM[dataset], (2,), False), Discriminator(2)


def mixture(dataset: str):
    from hjgan_plugin.datasets import grid_mixture, ring_mixture

    return ring_mixture() if dataset == "ring" else grid_mixture()


# ----------------------------------------------------------------------------------------- worker state
_CACHE: dict[str, Any] = {}


def classifier(path: str):
    from hjgan_plugin.metrics.digits import DigitClassifier

    if _CACHE.get("classifier_path") != path:
        _CACHE["classifier"] = DigitClassifier.load(path)
        _CACHE["classifier_path"] = path
    return _CACHE["classifier"]


def digit_pool():
    """The train split's digit images (Stacked-Digits draws each channel uniformly from them)."""
    if "digits" not in _CACHE:
        from hjgan_plugin.datasets.digits import load_digits_split

        _CACHE["digits"] = load_digits_split("train")[0][:, 0]  # (1438, 8, 8)
    return _CACHE["digits"]


def plugin_manager(config: Config):
    """A fresh ``hjgan`` plugin manager; for MSGAN with the example plugin registered (through its entry
    point when it is pip-installed, else by registering the module from examples/hjgan-msgan, as
    tests/test_plugins.py does), for every other config without it."""
    from hjgan_plugin.plugin_manager import make_plugin_manager

    pm = make_plugin_manager()
    if config.kind != "msgan":
        if pm.get_plugin("msgan") is not None:
            pm.unregister(name="msgan")
        return pm
    if pm.get_plugin("msgan") is None:
        if str(MSGAN_DIR) not in sys.path:
            sys.path.insert(0, str(MSGAN_DIR))
        import hjgan_msgan

        pm.register(hjgan_msgan, name="msgan")
    module = pm.get_plugin("msgan")
    module.WEIGHT = config.weight
    return pm


# ---------------------------------------------------------------------------------------------- metrics
def measure_2d(samples, dataset: str) -> dict[str, Any]:
    from hjgan_plugin.metrics import mode_coverage

    mix = mixture(dataset)
    loose = mode_coverage(samples, mix, min_count=1)
    strict = mode_coverage(samples, mix, min_count=STRICT)
    kl = loose["reverse_kl"]
    return {"modes_loose": loose["modes"], "modes_strict": strict["modes"], "hq": loose["hq_fraction"],
            "reverse_kl": kl if math.isfinite(kl) else None, "n_hq": loose["n_hq"], "n": loose["n"],
            "n_nan": loose["n_nan"], "counts": loose["counts"].tolist()}


def measure_digits(images, clf, quiet: bool = False) -> dict[str, Any]:
    from hjgan_plugin.metrics.digits import FewSamplesWarning, stacked_mode_stats

    with warnings.catch_warnings():
        if quiet:  # the caller chose a small sample on purpose (checkpoints, smoke runs)
            warnings.simplefilter("ignore", FewSamplesWarning)
        stats = stacked_mode_stats(images, clf, confidence=CONFIDENT)
    return {k: stats[k] for k in ("modes", "reverse_kl", "n", "n_nan", "confident", "modes_expected_uniform")}


# ---------------------------------------------------------------------------------------------- training
def run_one(job: dict[str, Any]) -> dict[str, Any]:
    """Train one (dataset, config, seed) and measure it (runs in a worker process)."""
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(1)
    from hjgan_plugin import attach

    dataset, config, seed, s = job["dataset"], Config.parse(job["config"]), job["seed"], job["settings"]
    iters, lr = s["iters"][dataset], s["lr"][dataset]
    batch, z_dim = s["batch"], Z_DIM[dataset]
    torch.manual_seed(seed)
    G, D = make_nets(dataset, s["width"])
    opt_g = make_optimizer(G.parameters(), lr)
    opt_d = make_optimizer(D.parameters(), lr)
    fields = config.attach_fields()
    session = None
    if fields is not None:
        session = attach(G, D, optimizer_G=opt_g, optimizer_D=opt_d, plugin_manager=plugin_manager(config),
                         seed=seed, **fields)
    data_gen = torch.Generator().manual_seed(seed + 1)
    z_gen = torch.Generator().manual_seed(seed + 2)
    if dataset == "digits":
        pool = digit_pool()

        def real_batch():  # Stacked Digits: three independent train-split digits per image
            return pool[torch.randint(len(pool), (batch, 3), generator=data_gen)]
    else:
        mix = mixture(dataset)

        def real_batch():
            return mix.sample(batch, data_gen)[0]

    clf = classifier(s["classifier"]) if dataset == "digits" else None

    def evaluate(n: int) -> dict[str, Any]:
        z = torch.randn(n, z_dim, generator=torch.Generator().manual_seed(10_000 + seed))
        with torch.no_grad():
            out = torch.cat([G(c) for c in z.split(4096)])
        if dataset == "digits":
            return measure_digits(out, clf, quiet=True)
        return measure_2d(out, dataset)

    # metrics during training: every 2D run (cheap), digits baselines only (10k images per evaluation)
    n_check = s["digit_checkpoints"] if dataset == "digits" else s["checkpoints"]
    checkpoints = set()
    if config.kind == "baseline" or dataset != "digits":
        checkpoints = {round(iters * (i + 1) / n_check) for i in range(n_check)} - {iters}
    history: list[dict[str, Any]] = []
    window = max(1, iters // 10)  # D's real-fake probability gap, averaged over the last 10% of iterations
    gap = torch.zeros(())
    start = time.perf_counter()
    eval_seconds = 0.0
    for it in range(1, iters + 1):
        real = real_batch()
        z = torch.randn(batch, z_dim, generator=z_gen)
        fake = G(z)  # one batch of fakes for both steps, as PyTorch's DCGAN example (G is unchanged by D's step)
        logits = D(torch.cat([real, fake.detach()]))
        l_real, l_fake = logits[:batch], logits[batch:]
        loss_d = F.softplus(-l_real).mean() + F.softplus(l_fake).mean()
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()  # the exchange runs from this step's post-hook
        if it > iters - window:
            gap += (l_real.detach().sigmoid().mean() - l_fake.detach().sigmoid().mean()) / window
        loss_g = F.softplus(-D(fake)).mean()  # D after its step (and the exchange)
        if session is not None:  # MSGAN's term; 0 for the exchange configs (penalty="none")
            loss_g = loss_g + session.generator_penalty(z, G_z=fake)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        if it in checkpoints:
            t0 = time.perf_counter()
            m = evaluate(s["digit_samples"] if dataset == "digits" else s["samples"])
            history.append({"iteration": it, **{k: v for k, v in m.items() if k != "counts"}})
            eval_seconds += time.perf_counter() - t0
    train_seconds = time.perf_counter() - start - eval_seconds
    t0 = time.perf_counter()
    final = evaluate(s["digit_samples"] if dataset == "digits" else s["samples"])
    history.append({"iteration": iters, **{k: v for k, v in final.items() if k != "counts"}})
    row: dict[str, Any] = {"dataset": dataset, "config": config.key, "seed": seed, "iters": iters, **final,
                           "d_gap": float(gap), "train_seconds": train_seconds,
                           "ms_per_iteration": 1e3 * train_seconds / iters,
                           "eval_seconds": eval_seconds + time.perf_counter() - t0, "history": history}
    if session is not None:
        last = session.last
        row["msgan_term"] = last.get("msgan")
        if session.exchange is not None:
            row.update(exchange_count=last["exchange/count"], exchange_cosine=last["exchange/mean_cosine"],
                       exchange_d_norm_ratio=last["exchange/d_norm_ratio"],
                       exchange_fraction_paired=last["exchange/fraction_paired"],
                       exchange_pairs=session.exchange.report.n_pairs)
    if dataset != "digits" and seed == job["plot_seed"]:
        z = torch.randn(s["samples"], z_dim, generator=torch.Generator().manual_seed(10_000 + seed))
        with torch.no_grad():
            row["points"] = G(z).double().numpy().round(4).tolist()
    return row


# ------------------------------------------------------------------------------------- reference rows
def reference_rows(seeds: list[int], samples: int, digit_samples: int, classifier_path: str | None,
                   datasets: list[str]) -> list[dict[str, Any]]:
    """Real samples of each dataset and uniformly sprayed points (ring/grid), measured like a generator."""
    import torch

    from hjgan_plugin.datasets import uniform_spray
    from hjgan_plugin.datasets.digits import stacked_digits

    rows = []
    for dataset in datasets:
        for seed in seeds:
            gen = torch.Generator().manual_seed(20_000 + seed)
            if dataset == "digits":
                images, _, _ = stacked_digits(digit_samples, gen, split="test")
                m = measure_digits(images, classifier(classifier_path), quiet=True)
                rows.append({"dataset": dataset, "config": "real data", "seed": seed, **m})
                continue
            mix = mixture(dataset)
            rows.append({"dataset": dataset, "config": "real data", "seed": seed,
                         **measure_2d(mix.sample(samples, gen)[0], dataset)})
            rows.append({"dataset": dataset, "config": "uniform spray", "seed": seed,
                         **measure_2d(uniform_spray(samples, mix, gen), dataset)})
    return rows


# ------------------------------------------------------------------------------------------ statistics
def values(rows: list[dict[str, Any]], dataset: str, config: str, metric: str) -> list[float]:
    out = []
    for r in rows:
        if r["dataset"] == dataset and r["config"] == config:
            v = r.get(metric)
            out.append(math.nan if v is None else float(v))
    return out


def mean_std(vals: list[float | None], fmt: str = "{:.2f}") -> str:
    if not vals:
        return "–"
    vals = [math.nan if v is None else float(v) for v in vals]
    undefined = sum(math.isnan(v) for v in vals)
    vals = [v for v in vals if not math.isnan(v)]
    if not vals:
        return "undefined"
    text = fmt.format(vals[0]) if len(vals) == 1 else \
        f"{fmt.format(statistics.mean(vals))} ± {fmt.format(statistics.stdev(vals))}"
    return text + (f" ({undefined} undefined)" if undefined else "")


def mean(vals: list[float]) -> float:
    vals = [v for v in vals if not math.isnan(v)]
    return statistics.mean(vals) if vals else math.nan


def compare(a: list[float], b: list[float], higher_better: bool) -> tuple[float, float, str]:
    """Difference of means ``a - b``, Welch's two-sided p-value and a word: better/worse (p < 0.05) or ~."""
    from scipy import stats

    a = [v for v in a if not math.isnan(v)]
    b = [v for v in b if not math.isnan(v)]
    if len(a) < 2 or len(b) < 2:
        return (mean(a) - mean(b) if a and b else math.nan), math.nan, "n/a"
    diff = statistics.mean(a) - statistics.mean(b)
    if statistics.pstdev(a) == 0 and statistics.pstdev(b) == 0:
        p = 1.0 if diff == 0 else 0.0
    else:
        p = float(stats.ttest_ind(a, b, equal_var=False).pvalue)
    if p < 0.05 and diff != 0:
        word = "better" if (diff > 0) == higher_better else "worse"
    else:
        word = "~"
    return diff, p, word


def choose_setting(rows: list[dict[str, Any]], candidates: list[Config], others: list[Config],
                   datasets: list[str]) -> tuple[Config, dict[str, float]]:
    """The blend setting with the best mean rank over (dataset, metric) among all phase-one configs
    (baseline, the blend sweep, MSGAN); ties go to the weaker per-iteration pull."""
    from scipy.stats import rankdata

    pool = others + candidates
    ranks: dict[str, list[float]] = {c.key: [] for c in pool}
    for dataset in datasets:
        for metric, _, higher in METRICS[dataset]:
            means = [mean(values(rows, dataset, c.key, metric)) for c in pool]
            means = [(-m if higher else m) if not math.isnan(m) else math.inf for m in means]
            for c, r in zip(pool, rankdata(means), strict=True):
                ranks[c.key].append(float(r))
    mean_rank = {k: statistics.mean(v) for k, v in ranks.items() if v}
    best = min(candidates, key=lambda c: (mean_rank[c.key], c.pull))
    return best, mean_rank


def plateau(history_rows: list[list[dict[str, Any]]], metric: str, higher: bool, tol: float) -> int | None:
    """First checkpoint ``t`` after which the seed mean of ``metric`` never improves on its value at ``t`` by
    more than ``tol`` plus the standard error (over seeds) of the later checkpoint: no later improvement
    beyond a set tolerance and the seed noise. ``None`` if even the last checkpoint fails (it never does:
    the last one is compared with nothing after it)."""
    its = [h["iteration"] for h in history_rows[0]]
    curve, se = [], []
    for i in range(len(its)):
        vals = [float(v) for v in (h[i].get(metric) for h in history_rows) if v is not None]
        vals = [v for v in vals if not math.isnan(v)]
        curve.append(statistics.mean(vals) if vals else math.nan)
        se.append(statistics.stdev(vals) / math.sqrt(len(vals)) if len(vals) > 1 else 0.0)
    sign = 1.0 if higher else -1.0
    for i, it in enumerate(its):
        if math.isnan(curve[i]):
            continue
        if all(sign * (curve[j] - curve[i]) <= tol + se[j] for j in range(i + 1, len(its)) if not math.isnan(curve[j])):
            return it
    return None


# -------------------------------------------------------------------------------------------- reporting
PLATEAU_TOL = {"modes_strict": 0.5, "hq": 0.02, "reverse_kl": 0.02, "modes": 5.0, "confident": 0.02}


def baseline_curves(rows: list[dict[str, Any]], dataset: str) -> tuple[list[int], dict[str, list[str]]]:
    runs = [r["history"] for r in rows if r["dataset"] == dataset and r["config"] == "baseline" and "history" in r]
    if not runs:
        return [], {}
    its = [h["iteration"] for h in runs[0]]
    keys = ["modes_loose", "modes_strict", "hq", "reverse_kl"] if dataset != "digits" else \
        ["modes", "reverse_kl", "confident"]
    out = {}
    for k in keys:
        out[k] = [mean_std([math.nan if h[i].get(k) is None else float(h[i][k]) for h in runs])
                  for i in range(len(its))]
    return its, out


def _load_text(settings: dict[str, Any]) -> str:
    before, end = settings.get("load_before"), settings.get("load_at_end")
    if not before or not end:
        return ""
    return (f"; load average before the run {before[0]:g} (1 min), at its end {end[1]:g} (5 min; the workers "
            "alone make about 2: more means other jobs shared the cores)")


def render(rows: list[dict[str, Any]], refs: list[dict[str, Any]], configs: list[Config], datasets: list[str],
           chosen: Config, mean_rank: dict[str, float], chosen_from_data: bool, settings: dict[str, Any],
           seeds: list[int], wall: float, workers: int, plateaus: dict[str, dict[str, Any]],
           sweep_sets: list[str], longer: dict[str, Any] | None = None) -> str:
    keys = [c.key for c in configs]
    labels = {c.key: c.label for c in configs}
    lines = ["# Mode-collapse benchmark (`benchmarks/mode_collapse.py`)", "",
             f"Seeds {seeds}; mean ± std over seeds. Iterations (one D step and one G step each, both on the same batch of fakes): "
             + ", ".join(f"{d} {settings['iters'][d]}" for d in datasets)
             + "; Adam learning rate (G and D, betas " + str(BETAS) + "): "
             + ", ".join(f"{d} {settings['lr'][d]:g}" for d in datasets)
             + f". MLPs of width {settings['width']} (two hidden layers), batch {settings['batch']}, non-saturating "
             f"loss. {settings['samples']} generated points per 2D model, {settings['digit_samples']} images per "
             f"digits model; Adam {settings.get('adam', 'for-loop')}. Wall time **{wall:.0f} s** ({wall / 60:.1f} min) "
             f"with {workers} workers (one torch thread each){_load_text(settings)}.", ""]
    # ---- 2D table
    for dataset in [d for d in ("ring", "grid") if d in datasets]:
        k = {"ring": 8, "grid": 25}[dataset]
        lines += [f"## 2D {dataset} ({k} modes)", "",
                  (f"| config | modes (≥1 HQ point, max {k}) | strict modes (≥{STRICT}) | HQ fraction | reverse KL |"
                  " D gap | ms / it |"), "|---|---|---|---|---|---|---|"]
        for key in keys + ["real data", "uniform spray"]:
            src = refs if key in ("real data", "uniform spray") else rows
            if not values(src, dataset, key, "hq"):
                continue
            gap = mean_std(values(src, dataset, key, "d_gap")) if src is rows else "–"
            ms = f"{mean(values(src, dataset, key, 'ms_per_iteration')):.2f}" if src is rows else "–"
            lines.append(f"| {labels.get(key, key)} | {mean_std(values(src, dataset, key, 'modes_loose'), '{:.1f}')} | "
                         f"{mean_std(values(src, dataset, key, 'modes_strict'), '{:.1f}')} | "
                         f"{mean_std(values(src, dataset, key, 'hq'))} | "
                         f"{mean_std(values(src, dataset, key, 'reverse_kl'))} | {gap} | {ms} |")
        lines.append("")
    if "ring" in datasets or "grid" in datasets:
        lines += render_pacgan(settings)
    if "digits" in datasets:
        lines += ["## Stacked Digits (1000 modes)", "",
                  (f"| config | modes (max 1000) | reverse KL | confident fraction (all 3 digits p ≥ {CONFIDENT}) |"
                  " D gap | ms / it |"), "|---|---|---|---|---|---|"]
        for key in keys + ["real data"]:
            src = refs if key == "real data" else rows
            if not values(src, "digits", key, "modes"):
                continue
            gap = mean_std(values(src, "digits", key, "d_gap")) if src is rows else "–"
            ms = f"{mean(values(src, 'digits', key, 'ms_per_iteration')):.2f}" if src is rows else "–"
            lines.append(f"| {labels.get(key, key)} | {mean_std(values(src, 'digits', key, 'modes'), '{:.0f}')} | "
                         f"{mean_std(values(src, 'digits', key, 'reverse_kl'))} | "
                         f"{mean_std(values(src, 'digits', key, 'confident'))} | {gap} | {ms} |")
        n = settings["digit_samples"]
        lines += ["", (f"A perfect uniform generator covers {1000 * (1 - (1 - 1 / 1000) ** n):.0f} modes on average "
                  f"with {n} samples; \"real data\" is {n} Stacked-Digits images from the held-out test split."), ""]
    lines += [("D gap: mean D(real) − D(fake) probability over the last 10% of iterations (0 = D at chance). "
              "ms / it: one training iteration in a worker with one torch thread, mean over seeds."), ""]
    # ---- selection
    lines += ["## Which exchange setting", "",
              ("The controls and `blend-norm` ran at the blend setting with the best mean rank (lower is better) "
               f"over every (dataset, metric) pair of {' and '.join(sweep_sets)} among the baseline, the blend "
               "settings and MSGAN" if chosen_from_data else
               f"The controls ran at the setting given on the command line, {chosen.label}; mean ranks over "
               f"{' and '.join(sweep_sets)} for reference")
              + (". The sweep ran only on the 2D sets (digits runs the chosen setting, to keep the benchmark under "
                 "30 minutes; `--digits-sweep` adds the rest):" if "digits" in datasets and "digits" not in sweep_sets
                 else ":"),
              "", "| config | mean rank |", "|---|---|"]
    for key, r in sorted(mean_rank.items(), key=lambda kv: kv[1]):
        lines.append(f"| {labels.get(key, key)} | {r:.2f} |")
    lines += ["", (f"Chosen: **{chosen.label}**. The choice and the comparison below use the same seeds, so the "
              f"chosen setting's advantage over the baseline is biased upwards (the best of {len(mean_rank) - 2}); the controls "
              "ran at that same setting and are not."), ""]
    # ---- comparisons
    cols = [(d, m, lab, hi) for d in datasets for (m, lab, hi) in METRICS[d]]
    pairs = [(chosen.key, "baseline")]
    for v in CONTROL_VARIANTS:
        key = Config(v, chosen.every, chosen.eta).key
        if key in keys:
            pairs.append((chosen.key, key) if v != "blend-norm" else (key, "baseline"))
    pairs += [(c.key, "baseline") for c in configs if c.kind == "blend" and c.key != chosen.key]
    pairs += [(c.key, "baseline") for c in configs if c.kind == "msgan"]
    lines += ["## Differences (Welch's t-test over seeds)", "",
              ("Each cell: difference of means (first − second), its p-value, and **better**/**worse** for the first "
              "config when p < 0.05 (~ otherwise). With 5 seeds only large effects reach p < 0.05."), "",
              "| first vs second | " + " | ".join(f"{d} {lab}" for d, _, lab, _ in cols) + " |",
              "|---|" + "---|" * len(cols)]
    verdicts: dict[tuple[str, str], list[str]] = {}
    for a, b in pairs:
        cells = []
        for d, m, lab, hi in cols:
            diff, p, word = compare(values(rows, d, a, m), values(rows, d, b, m), hi)
            verdicts.setdefault((a, b), []).append(f"{d} {lab}: {word}")
            if math.isnan(diff):
                cells.append("–")
                continue
            fmt = "{:+.1f}" if m.startswith("modes") else "{:+.2f}"
            cells.append(f"{fmt.format(diff)} (p={p:.2f}){' **' + word + '**' if word != '~' else ''}")
        lines.append(f"| {labels.get(a, a)} vs {labels.get(b, b)} | " + " | ".join(cells) + " |")
    lines.append("")
    # ---- generated summary
    lines += ["## Summary (generated from the table above)", ""]
    for a, b in pairs:
        words = verdicts[(a, b)]
        better = [w.rsplit(":", 1)[0] for w in words if w.endswith("better")]
        worse = [w.rsplit(":", 1)[0] for w in words if w.endswith("worse")]
        lines.append(f"- {labels.get(a, a)} vs {labels.get(b, b)}: better on {', '.join(better) or 'nothing'}; "
                     f"worse on {', '.join(worse) or 'nothing'}; no clear difference on the other "
                     f"{len(words) - len(better) - len(worse)} of {len(words)}.")
    lines.append("")
    # ---- exchange mechanism
    ex_rows = [r for r in rows if "exchange_cosine" in r]
    if ex_rows:
        lines += ["## What the exchange does to D", "",
                  ("At the end of training: mean cosine between each paired D weight and adj(G's weight), "
                  "‖θ_D‖/‖adj θ_G‖, and the share of D's parameters that are paired."), "",
                  "| config | dataset | cosine | D/G norm ratio | D parameters paired |", "|---|---|---|---|---|"]
        for key in keys:
            for d in datasets:
                sel = [r for r in ex_rows if r["config"] == key and r["dataset"] == d]
                if sel:
                    lines.append(f"| {labels[key]} | {d} | {mean_std([r['exchange_cosine'] for r in sel])} | "
                                 f"{mean_std([r['exchange_d_norm_ratio'] for r in sel])} | "
                                 f"{100 * sel[0]['exchange_fraction_paired']:.0f}% ({sel[0]['exchange_pairs']} pairs) |")
        lines.append("")
    # ---- plateau
    lines += ["## When the baseline stops improving", "",
              "Baseline metrics (mean ± std over seeds) at checkpoints during training. \"Plateau\" is the first "
              "checkpoint after which the seed mean never improves by more than a tolerance plus the later "
              "checkpoint's standard error over seeds (tolerances: "
              + ", ".join(f"{k} {v:g}" for k, v in PLATEAU_TOL.items()) + "); the plateau of a dataset is the "
              "latest over its three metrics. Checkpoints use the same samples as the final evaluation.", ""]
    for d in datasets:
        its, curves = baseline_curves(rows, d)
        if not its:
            continue
        lines += [plateau_line(d, plateaus.get(d, {}), (longer or {}).get("plateau", {}).get(d, {})), ""]
        lines += ["| iteration | " + " | ".join(curves) + " |", "|---|" + "---|" * len(curves)]
        for i, it in enumerate(its):
            lines.append(f"| {it} | " + " | ".join(curves[k][i] for k in curves) + " |")
        lines.append("")
        lines += _longer_plateau_lines(longer, d, settings, seeds)
    return "\n".join(lines)


def plateau_line(dataset: str, p: dict[str, Any], longer_p: dict[str, Any]) -> str:
    """What the run's checkpoints say about the baseline's plateau (``p``: :func:`plateau_summary`'s entry),
    read together with a longer baseline-only check's (``longer_p``, may be empty)."""
    at_end = p.get("iteration") is not None and p.get("iteration") == p.get("final_iteration")
    if at_end and longer_p.get("iteration") is not None and longer_p["iteration"] <= p["final_iteration"] \
            and longer_p["iteration"] < longer_p["final_iteration"]:
        return (f"**{dataset}**: trained to iteration {p['final_iteration']}, where the longer check below finds the "
                f"baseline's plateau ({longer_p['iteration']}); within this run the last checkpoint still improves on "
                "the earlier ones, as it does when a run stops at its plateau.")
    if at_end:
        return (f"**{dataset}**: **no plateau**: still improving at the last checkpoint, iteration {p['iteration']} "
                "(train longer to compare at convergence).")
    return (f"**{dataset}**: plateau by iteration {p.get('iteration', 'n/a')} "
            f"({', '.join(f'{k} {v}' for k, v in p.get('per_metric', {}).items())}).")


def longer_baseline(out: Path, settings: dict[str, Any]) -> dict[str, Any] | None:
    """The ``--baseline-only`` result in ``out`` if it ran the same settings (but for the iterations)."""
    path = out / "mode_collapse.baseline_plateau.json"
    if not path.exists():
        return None
    other = json.loads(path.read_text())
    same = ("lr", "batch", "width", "digit_samples", "samples", "adam")
    if any(other["settings"].get(k) != settings.get(k) for k in same):
        return None
    return other


def _longer_plateau_lines(longer: dict[str, Any] | None, dataset: str, settings: dict[str, Any],
                          seeds: list[int]) -> list[str]:
    if longer is None or dataset not in longer.get("plateau", {}):
        return []
    n = longer["settings"]["iters"][dataset]
    if n <= settings["iters"][dataset]:
        return []
    p = longer["plateau"][dataset]
    its, curves = baseline_curves(longer["runs"], dataset)
    same_seeds = longer["settings"]["seeds"] == seeds
    lines = [(f"Longer check (`--baseline-only --datasets {dataset} --{'digit' if dataset == 'digits' else dataset}"
              f"-iters {n}`, `mode_collapse.baseline_plateau.json`, the same settings"
              f"{' and seeds' if same_seeds else ''}, {longer['wall_seconds']:.0f} s): the baseline trained to "
              f"{n} iterations plateaus by iteration **{p['iteration']}** "
              f"({', '.join(f'{k} {v}' for k, v in p['per_metric'].items())})."), "",
             "| iteration | " + " | ".join(curves) + " |", "|---|" + "---|" * len(curves)]
    lines += [f"| {it} | " + " | ".join(curves[k][i] for k in curves) + " |" for i, it in enumerate(its)]
    return lines + [""]


def plateau_summary(rows: list[dict[str, Any]], datasets: list[str]) -> dict[str, dict[str, Any]]:
    out = {}
    for d in datasets:
        runs = [r["history"] for r in rows if r["dataset"] == d and r["config"] == "baseline"]
        if not runs or len({len(h) for h in runs}) != 1:
            continue
        per = {m: plateau(runs, m, hi, PLATEAU_TOL[m]) for m, _, hi in METRICS[d]}
        known = [v for v in per.values() if v is not None]
        out[d] = {"iteration": max(known) if known else None, "per_metric": per,
                  "final_iteration": runs[0][-1]["iteration"]}
    return out


def scatter_keys(configs: list[Config], chosen: Config) -> list[str]:
    """Configs whose generated points the figure shows: baseline, the chosen exchange, its matched control, MSGAN."""
    return ["baseline", chosen.key, Config("random-fixed", chosen.every, chosen.eta).key] + \
        [c.key for c in configs if c.kind == "msgan"]


# Published numbers, not ours: PacGAN (Lin, Khetan, Fanti, Oh, NeurIPS 2018), Table 1, mean ± standard error over
# 10 trials, as printed in the paper (image of the table in the authors' repository fjxmlzn/PacGAN,
# synthetic_data_experiments/results/Table1.png). Columns: ring modes (max 8), HQ %, reverse KL, grid modes
# (max 25), HQ %, reverse KL.
PACGAN_TABLE1 = (
    ("GAN", "6.3 ± 0.5", "98.2 ± 0.2 %", "0.45 ± 0.09", "17.3 ± 0.8", "94.8 ± 0.7 %", "0.70 ± 0.07"),
    ("ALI", "6.6 ± 0.3", "97.6 ± 0.4 %", "0.36 ± 0.04", "24.1 ± 0.4", "95.7 ± 0.6 %", "0.14 ± 0.03"),
    ("PacGAN2", "7.9 ± 0.1", "95.6 ± 2.0 %", "0.07 ± 0.03", "23.8 ± 0.7", "91.3 ± 0.8 %", "0.13 ± 0.04"),
    ("PacGAN3", "7.8 ± 0.1", "97.7 ± 0.3 %", "0.10 ± 0.02", "24.6 ± 0.4", "94.2 ± 0.4 %", "0.06 ± 0.02"),
    ("PacGAN4", "7.8 ± 0.1", "95.9 ± 1.4 %", "0.07 ± 0.02", "24.8 ± 0.2", "93.6 ± 0.6 %", "0.04 ± 0.01"),
)


def render_pacgan(settings: dict[str, Any]) -> list[str]:
    it = settings["iters"]
    lines = ["## Published reference: PacGAN Table 1 (not our runs)", "",
             ("Lin, Khetan, Fanti, Oh, \"PacGAN: The power of two samples in generative adversarial networks\", "
             "NeurIPS 2018, Table 1, as published (mean ± **standard error** over 10 trials; checked against the "
             "table image in the authors' repository `fjxmlzn/PacGAN`, `synthetic_data_experiments/results/`):"), "",
             "| method | ring modes (max 8) | ring HQ | ring reverse KL | grid modes (max 25) | grid HQ | grid reverse KL |",
             "|---|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in PACGAN_TABLE1]
    lines += ["", ("Their protocol (the authors' released `2DRing_GAN&PacGAN` / `2DGrid_GAN&PacGAN` configs and code) "
              "differs from ours in:"), "",
              ("- **networks**: G 4 hidden layers of 400 ReLU units with batch norm, D 3 maxout layers of 200 units "
              f"(5 pieces); ours: 2 hidden layers of {settings['width']} units, no batch norm, LeakyReLU D;"),
              ("- **training**: Adam lr 1e-4, β1 0.8, batch 100, 400 epochs of a fixed 100,000-sample training set "
              f"(400 × 1,000 = 400,000 iterations); ours: Adam lr {settings['lr']['ring']:g}, β1 {BETAS[0]}, batch "
              f"{settings['batch']}, fresh samples every batch, {it.get('ring', '–')} (ring) / {it.get('grid', '–')} "
              "(grid) iterations; the same non-saturating loss;"),
              ("- **data**: their ring has radius 1 and std 0.01 (ours radius 2, std 0.02: the same ratio, so the "
              "counts do not change); the grid is the same;"),
              ("- **metric**: 2,500 generated samples, high quality = Mahalanobis distance < 3 std to the nearest "
              "mean (ours ≤ 3 std), a mode counts with ≥ 1 HQ sample (our loose count; PacGAN has no strict "
              "count), reverse KL of the HQ mode histogram vs uniform (as ours);"),
              ("- **spread**: they report the standard error over 10 trials; we report the standard deviation over "
              f"{len(settings['seeds'])} seeds (SE = std/√{len(settings['seeds'])})."), "",
              "So the two tables are not comparable number for number.", ""]
    return lines


PALETTE = ["#777777", "#4c72b0", "#55a868", "#c44e52", "#8172b2", "#ccb974", "#64b5cd", "#dd8452", "#937860",
           "#da8bc3", "#8c8c8c", "#2f4b7c"]


def plot(rows: list[dict[str, Any]], refs: list[dict[str, Any]], configs: list[Config], datasets: list[str],
         chosen: Config, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [c.key for c in configs if any(r["config"] == c.key for r in rows)]
    labels = {c.key: c.label for c in configs}
    colors = dict(zip(keys, PALETTE * 2, strict=False))  # PALETTE * 2 may be longer
    panels = []
    for d in datasets:
        for m, lab, _ in METRICS[d][:2]:
            panels.append((d, m, lab))
    scatter = [k for k in scatter_keys(configs, chosen) if k in keys]
    two_d = [d for d in ("ring", "grid") if d in datasets]
    n_cols = max(len(panels) // 2 if len(panels) > 1 else 1, 1)
    n_scatter_rows = len(two_d)
    fig = plt.figure(figsize=(4.2 * max(n_cols, len(scatter)) , 3.6 * (2 + n_scatter_rows)))
    grid = fig.add_gridspec(2 + n_scatter_rows, max(n_cols, len(scatter)))
    for i, (d, m, lab) in enumerate(panels):
        ax = fig.add_subplot(grid[i % 2, i // 2])
        means = [mean(values(rows, d, k, m)) for k in keys]
        stds = []
        for k in keys:
            v = [x for x in values(rows, d, k, m) if not math.isnan(x)]
            stds.append(statistics.stdev(v) if len(v) > 1 else 0.0)
        ax.bar(range(len(keys)), means, yerr=stds, color=[colors[k] for k in keys], capsize=2)
        for ref, ls in (("real data", "--"), ("uniform spray", ":")):
            v = mean(values(refs, d, ref, m))
            if not math.isnan(v):
                ax.axhline(v, color="k", ls=ls, lw=1, label=ref)
        ax.set_xticks(range(len(keys)))
        ax.set_xticklabels([labels[k].replace(", every ", " e").replace(", η=", " η") for k in keys],
                           rotation=60, ha="right", fontsize=7)
        ax.set_title(f"{d}: {lab}", fontsize=10)
        if i == 0:
            ax.legend(fontsize=7)
    plot_seed = min((r["seed"] for r in rows if "points" in r), default=None)
    for row_i, d in enumerate(two_d):
        centers = mixture(d).centers.numpy()
        for j, k in enumerate(scatter):
            ax = fig.add_subplot(grid[2 + row_i, j])
            run = next((r for r in rows if r["dataset"] == d and r["config"] == k and r["seed"] == plot_seed
                        and "points" in r), None)
            if run is None:
                continue
            pts = np.asarray(run["points"])
            ax.scatter(pts[:, 0], pts[:, 1], s=1, alpha=0.3, color=colors[k])
            ax.scatter(centers[:, 0], centers[:, 1], s=12, marker="x", color="k")
            lim = 5.2 if d == "grid" else 2.6
            ax.set_xlim(-lim, lim)
            ax.set_ylim(-lim, lim)
            ax.set_aspect("equal")
            ax.set_title(f"{d}, {labels[k]}\nstrict {run['modes_strict']}, HQ {run['hq']:.2f} (seed {plot_seed})",
                         fontsize=8)
            ax.tick_params(labelsize=6)
    fig.suptitle("Mode collapse: bars mean ± std over seeds (dashed: real data, dotted: uniform spray); "
                 "scatter: generated points, x = modes", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


# ------------------------------------------------------------------------------------------------- main
def _run(jobs: list[dict[str, Any]], pool, rows: list[dict[str, Any]], total: int) -> None:
    results = pool.imap_unordered(run_one, jobs) if pool is not None else map(run_one, jobs)
    for row in results:
        rows.append(row)
        if row["dataset"] == "digits":
            what = f"modes {row['modes']:4d}  KL {row['reverse_kl']:.2f}  confident {row['confident']:.2f}"
        else:
            kl = "undef" if row["reverse_kl"] is None else f"{row['reverse_kl']:.2f}"
            what = f"modes {row['modes_loose']:2d}/{row['modes_strict']:2d}  HQ {row['hq']:.2f}  KL {kl}"
        print(f"[{len(rows)}/{total}] {row['dataset']:6s} {row['config']:22s} seed {row['seed']}  {what}  "
              f"({row['train_seconds']:.0f}s + {row['eval_seconds']:.0f}s)", flush=True)


def _order(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Longest first (digits, then MSGAN and every-step exchanges), so the pool's tail is short."""
    def slow(job: dict[str, Any]) -> bool:
        return job["config"].startswith("msgan") or ":1:" in job["config"]

    return sorted(jobs, key=lambda j: (j["dataset"] != "digits", not slow(j)))


def dump_json(obj: Any) -> str:
    """Indented JSON with every list of plain numbers on one line (sample points, counts)."""
    import re

    text = json.dumps(_clean(obj), indent=1, allow_nan=False)
    return re.sub(r"\[[-0-9.eE+,\s\[\]]*\]", lambda m: re.sub(r"\s+", "", m.group(0)), text) + "\n"


def _clean(obj: Any) -> Any:
    """JSON-safe: NaN/inf become None (an undefined value, e.g. no exchange yet or no HQ sample)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, default=list(DATASETS))
    parser.add_argument("--iters", type=int, default=None, help="training iterations on every dataset (overrides the next three)")
    parser.add_argument("--ring-iters", type=int, default=DEFAULT_ITERS["ring"])
    parser.add_argument("--grid-iters", type=int, default=DEFAULT_ITERS["grid"])
    parser.add_argument("--digit-iters", type=int, default=DEFAULT_ITERS["digits"])
    parser.add_argument("--lr", type=float, default=DEFAULT_LR["ring"], help="Adam learning rate on ring and grid")
    parser.add_argument("--digit-lr", type=float, default=DEFAULT_LR["digits"])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--samples", type=int, default=2500, help="generated points per 2D model (VEEGAN/PacGAN: 2500)")
    parser.add_argument("--digit-samples", type=int, default=10_000, help="generated images per digits model")
    parser.add_argument("--checkpoints", type=int, default=10, help="metric checkpoints during 2D training")
    parser.add_argument("--digit-checkpoints", type=int, default=8,
                        help="metric checkpoints during digits training (baseline only)")
    parser.add_argument("--configs", nargs="+", type=Config.parse, default=None,
                        help="phase-one configs (default: baseline, the blend sweep and MSGAN)")
    parser.add_argument("--digits-sweep", action="store_true",
                        help="also run the whole blend sweep on digits (default: only the chosen setting; ~+15 min)")
    parser.add_argument("--baseline-only", action="store_true",
                        help="train only the baseline (a longer plateau check); writes mode_collapse.baseline_plateau.json")
    parser.add_argument("--control-setting", default=None,
                        help="'every,eta' for blend-norm and the controls (default: chosen from the data)")
    parser.add_argument("--msgan-weight", type=float, default=MSGAN_WEIGHT)
    parser.add_argument("--classifier-epochs", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks")
    parser.add_argument("--from-json", type=Path, default=None,
                        help="no training: rewrite the .md and .png in --out from a json this script wrote")
    args = parser.parse_args(argv)
    if args.from_json is not None:
        result = json.loads(args.from_json.read_text())
        write_docs(result, args.out)
        return result
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # like the workers: the main process fits the classifier while they start
    try:
        return _main(args)
    finally:
        torch.set_num_threads(threads)


def _load() -> list[float] | None:
    """The 1-, 5- and 15-minute load averages (None where the OS has none): 2 workers alone give about 2."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def _main(args: argparse.Namespace) -> dict[str, Any]:
    start = time.perf_counter()
    load_before = _load()
    import torch

    from hjgan_plugin.metrics.digits import DigitClassifier

    first = [Config("baseline")] if args.baseline_only else (args.configs or phase_one(args.msgan_weight))
    iters = {"ring": args.ring_iters, "grid": args.grid_iters, "digits": args.digit_iters}
    if args.iters is not None:
        iters = dict.fromkeys(DATASETS, args.iters)
    sweep_sets = [d for d in args.datasets if d != "digits" or args.digits_sweep]
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        clf_path = None
        clf_accuracy = None
        if "digits" in args.datasets:
            with torch.random.fork_rng(devices=[]):
                clf = DigitClassifier(seed=0, epochs=args.classifier_epochs).fit()
            clf_accuracy = clf.accuracy("test")
            clf_path = os.path.join(tmp, "digit_classifier.pt")
            clf.save(clf_path)
        settings = {"iters": iters, "lr": {"ring": args.lr, "grid": args.lr, "digits": args.digit_lr},
                    "batch": args.batch, "width": args.width, "samples": args.samples,
                    "digit_samples": args.digit_samples, "checkpoints": args.checkpoints,
                    "digit_checkpoints": args.digit_checkpoints, "classifier": clf_path}

        def jobs_for(configs: list[Config], datasets: list[str]) -> list[dict[str, Any]]:
            return _order([{"dataset": d, "config": c.key, "seed": s, "settings": settings, "plot_seed": args.seeds[0]}
                           for c in configs for d in datasets for s in args.seeds])

        pool = None
        if args.workers > 1:
            pool = stack.enter_context(multiprocessing.get_context("spawn").Pool(args.workers))
        rows: list[dict[str, Any]] = []
        candidates = [c for c in first if c.kind == "blend"]
        others = [c for c in first if c.kind != "blend"]
        # phase one: baseline, the blend sweep and MSGAN (the sweep only where it runs: sweep_sets)
        jobs = jobs_for(first, sweep_sets) + jobs_for(others, [d for d in args.datasets if d not in sweep_sets])
        n_second = (len(CONTROL_VARIANTS) * len(args.datasets) + len(args.datasets) - len(sweep_sets)) * len(args.seeds)
        n_total = len(jobs) + n_second
        _run(_order(jobs), pool, rows, n_total if not args.baseline_only else len(jobs))
        if args.baseline_only:
            return baseline_plateau_check(rows, args, settings, time.perf_counter() - start)
        mean_rank: dict[str, float] = {}
        if candidates:
            best, mean_rank = choose_setting(rows, candidates, others, sweep_sets)
        if args.control_setting:
            every, eta = args.control_setting.split(",")
            chosen = Config("blend", int(every), float(eta))
        elif candidates:
            chosen = best
        else:
            raise SystemExit("no blend config to choose the control setting from: pass --control-setting every,eta")
        print(f"blend-norm and the controls at {chosen.label}", flush=True)
        # phase two: at the chosen setting, blend-norm and the controls everywhere, and blend where it did not run
        second = [c for c in controls((chosen.every, chosen.eta)) if c.key not in {f.key for f in first}]
        jobs = jobs_for(second, args.datasets)
        missing = [d for d in args.datasets if not any(r["dataset"] == d and r["config"] == chosen.key for r in rows)]
        jobs += jobs_for([chosen], missing)
        _run(_order(jobs), pool, rows, len(rows) + len(jobs))
        refs = reference_rows(args.seeds, args.samples, args.digit_samples, clf_path, args.datasets)
    wall = time.perf_counter() - start
    configs = first + second
    if chosen.key not in {c.key for c in configs}:
        configs.append(chosen)
    scatter = scatter_keys(configs, chosen)
    result = {"settings": {**{k: v for k, v in settings.items() if k != "classifier"}, "seeds": args.seeds,
                           "datasets": args.datasets, "sweep_datasets": sweep_sets, "workers": args.workers,
                           "msgan_weight": args.msgan_weight, "classifier_epochs": args.classifier_epochs,
                           "classifier_test_accuracy": clf_accuracy, "load_before": load_before,
                           "load_at_end": _load(), "adam": "fused" if _fused_adam() else "for-loop"},
              "configs": [c.key for c in configs],
              "chosen_setting": {"every": chosen.every, "eta": chosen.eta, "from_data": not args.control_setting},
              "mean_rank": mean_rank, "plateau": plateau_summary(rows, args.datasets), "wall_seconds": wall,
              # sample points only for the scatter plots' runs (first seed)
              "runs": [{k: v for k, v in r.items() if k != "points" or r["config"] in scatter} for r in rows],
              "reference": refs}
    result = _clean(result)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "mode_collapse.json").write_text(dump_json(result))
    write_docs(result, args.out)
    return result


def baseline_plateau_check(rows: list[dict[str, Any]], args: argparse.Namespace, settings: dict[str, Any],
                           wall: float) -> dict[str, Any]:
    """``--baseline-only``: the baseline's metrics at checkpoints and where it plateaus (printed, and written to
    ``mode_collapse.baseline_plateau.json``)."""
    plateaus = plateau_summary(rows, args.datasets)
    lines = [f"Baseline only, seeds {args.seeds}, iterations " + ", ".join(f"{d} {settings['iters'][d]}" for d in
             args.datasets) + f"; wall time {wall:.0f} s with {args.workers} workers.", ""]
    for d in args.datasets:
        its, curves = baseline_curves(rows, d)
        lines += [f"{d}: plateau by iteration {plateaus.get(d, {}).get('iteration')}", "",
                  "| iteration | " + " | ".join(curves) + " |", "|---|" + "---|" * len(curves)]
        lines += [f"| {it} | " + " | ".join(curves[k][i] for k in curves) + " |" for i, it in enumerate(its)]
        lines.append("")
    print("\n".join(lines))
    result = _clean({"settings": {**{k: v for k, v in settings.items() if k != "classifier"}, "seeds": args.seeds,
                                  "datasets": args.datasets, "workers": args.workers,
                                  "adam": "fused" if _fused_adam() else "for-loop"},
                     "plateau": plateaus, "wall_seconds": wall,
                     "runs": [{k: v for k, v in r.items() if k != "points"} for r in rows]})
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "mode_collapse.baseline_plateau.json").write_text(dump_json(result))
    return result


def write_docs(result: dict[str, Any], out: Path) -> None:
    """Table (printed and ``mode_collapse.md``) and figure (``mode_collapse.png``) from the result json."""
    st = result["settings"]
    configs = [Config.parse(k) for k in result["configs"]]
    chosen = Config("blend", result["chosen_setting"]["every"], result["chosen_setting"]["eta"])
    rows, refs = result["runs"], result["reference"]
    text = render(rows, refs, configs, st["datasets"], chosen, result["mean_rank"],
                  result["chosen_setting"]["from_data"], st, st["seeds"], result["wall_seconds"], st["workers"],
                  result["plateau"], st["sweep_datasets"], longer_baseline(out, st))
    if st["classifier_test_accuracy"] is not None:
        text += (f"\nDigit classifier: `DigitClassifier(seed=0, epochs={st['classifier_epochs']})`, held-out "
                 f"accuracy {st['classifier_test_accuracy']:.3f}.\n")
    print(text)
    md = out / "mode_collapse.md"
    kept = ""
    marker = "<!-- hand-written below: kept when the script rewrites this file -->"
    if md.exists() and marker in md.read_text():
        kept = md.read_text().split(marker, 1)[1]
        print(f"kept the hand-written part of {md}: check it against the new numbers", file=sys.stderr)
    md.write_text(text + "\n" + (marker + kept if kept else ""))
    plot(rows, refs, configs, st["datasets"], chosen, out / "mode_collapse.png")


if __name__ == "__main__":
    main()
