"""The project's main demo: the squares testbed of docs/design.md §8, trained without and with the plugin,
on several seeds, so that what it shows does not rest on one seed or one CPU.

    python -m hjgan_plugin.demo [--out DIR] [--iters N] [--seeds S ...] [--workers W]

For each seed it trains the testbed GAN (:mod:`hjgan_plugin.testbed`; the loop is
:func:`hjgan_plugin.testbed.training.train`) twice from that seed on squares it renders itself: a baseline,
and the same trainer with ``hjgan_plugin.attach(...)`` adding the joint Hessian/Jacobian penalty to the
generator loss. It then writes one picture, ``DIR/demo.png``: latent-traversal grids of the *median* seed
(the seed whose MIG gain is the median of all seeds'), MIG and valid fraction of every seed with their
medians, and the penalty terms over the median seed's training; and it prints a table, per seed and the
medians. GAN runs differ across CPUs by float rounding, and one seed's picture can show either a clean
gain or a degenerate G; the median of three shows what is typical. The default (3 seeds, 2000 iterations,
two runs at a time) took about 4 minutes on 2 CPU cores.

The plugin's λ defaults come from the small sweep in ``docs/demo_sweep.md``; they are base scales and
the Eagle-Dove game's α = β = 0.5 halves them (docs/design.md §2). MIG is measured between z and the
factors read back from the generated images by image moments; a MIG gain means something only with
the valid fraction (the quality gate of docs/design.md §8) beside it.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Sequence

import torch

from .testbed import Discriminator, Generator  # noqa: F401  (the demo's models, as before)
from .testbed.training import (DEFAULT_LAMBDA_H, DEFAULT_LAMBDA_J, evaluate, measure_penalties,  # noqa: F401
                               train, traversal)


RUNS = ("baseline", "plugin")


def median_seed(results: Sequence[dict[str, Any]]) -> int:
    """The seed whose MIG gain (plugin − baseline) is the median over the seeds (the lower median for an even
    count)."""
    gains = {r["seed"]: r["plugin"]["mig"] - r["baseline"]["mig"] for r in results}
    ranked = sorted(gains, key=lambda s: (gains[s], s))
    return ranked[(len(ranked) - 1) // 2]


def make_figure(results: Sequence[dict[str, Any]], path: str) -> None:
    """One PNG: the median seed's traversal grids, every seed's MIG / valid fraction and the median seed's
    penalty curves. ``results``: one dict per seed, ``{"seed", "baseline": run, "plugin": run}``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = median_seed(results)
    mid = next(r for r in results if r["seed"] == shown)
    seeds = [r["seed"] for r in results]
    fig = plt.figure(figsize=(10.4, 7.6))
    gs = fig.add_gridspec(2, 4, height_ratios=[1.0, 1.25])
    for i, name in enumerate(RUNS):
        r = mid[name]
        ax = fig.add_subplot(gs[0, 2 * i:2 * i + 2])
        ax.imshow(r["grid"], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(f"{name}: {r['label']}\nseed {shown} (median gain of seeds {seeds}): "
                     f"MIG {r['mig']:.2f}, valid {r['valid']:.2f}", fontsize=9)
        ax.set_xticks([8 + 17 * j for j in (0, 2, 4, 6, 8)], ["-2", "-1", "0", "+1", "+2"])
        ax.set_yticks([8 + 17 * d for d in range(r["latent_dim"])], [f"z{d + 1}" for d in range(r["latent_dim"])])
        ax.set_xlabel("one latent swept, the others at 0")
    colors = {"baseline": "tab:gray", "plugin": "tab:blue"}
    ax = fig.add_subplot(gs[1, :2])
    for i, name in enumerate(RUNS):
        for m, metric in enumerate(("mig", "valid")):
            got = [r[name][metric] for r in results]
            x = m + (i - 0.5) * 0.38
            ax.bar(x, statistics.median(got), 0.36, color=colors[name], alpha=0.55,
                   label=f"{name} (median)" if m == 0 else None)
            ax.plot([x] * len(got), got, "o", color=colors[name], ms=5, mec="k", mew=0.5,
                    label=f"{name} (each seed)" if m == 0 else None)
    ax.axhline(0.3, color="k", lw=0.8, ls=":", label="valid ≥ 0.3 gate")
    ax.set_xticks([0, 1], ["MIG", "valid fraction"])
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7)
    ax.set_title(f"disentanglement and quality gate, seeds {seeds}", fontsize=10)
    ax = fig.add_subplot(gs[1, 2:])
    for name in RUNS:
        h = mid[name]["history"]
        ax.plot(h["it"], h["hessian"], color=colors[name], ls="-", label=f"{name} L_H")
        ax.plot(h["it"], h["jacobian"], color=colors[name], ls="--", label=f"{name} L_J")
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_title(f"unweighted penalties on a fixed z batch, seed {shown}", fontsize=10)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def format_table(results: Sequence[dict[str, Any]]) -> str:
    """The printed summary: one row per seed and run, then each run's medians."""
    lines = [f"{'run':<10} {'seed':>4} {'MIG':>6} {'valid':>6} {'seconds':>8}  setting"]
    for r in results:
        for name in RUNS:
            x = r[name]
            lines.append(f"{name:<10} {r['seed']:>4} {x['mig']:6.3f} {x['valid']:6.3f} {x['seconds']:8.1f}  {x['label']}")
    for name in RUNS:
        mig = [r[name]["mig"] for r in results]
        valid = [r[name]["valid"] for r in results]
        lines.append(f"{name:<10} {'med':>4} {statistics.median(mig):6.3f} {statistics.median(valid):6.3f} "
                     f"{'':>8}  median of {len(results)} seeds (MIG {min(mig):.2f}–{max(mig):.2f}, "
                     f"valid {min(valid):.2f}–{max(valid):.2f})")
    shown = median_seed(results)
    lines.append(f"the picture shows seed {shown}: its MIG gain is the median of the seeds'")
    return "\n".join(lines)


def run_one(name: str, plugin: dict[str, Any] | None, label: str, seed: int, iters: int, eval_samples: int,
            log_every: int, threads: int) -> dict[str, Any]:
    """One training run and its scores, picklable (what a worker process returns): no networks."""
    torch.set_num_threads(threads)
    r = train(plugin, iters=iters, seed=seed, log_every=log_every, name=f"{name} seed {seed}",
              log=lambda s: print(s, flush=True))
    return {**evaluate(r["G"], n=eval_samples), "label": label, "seconds": r["seconds"], "history": r["history"],
            "grid": traversal(r["G"]), "latent_dim": r["G"].latent_dim}


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m hjgan_plugin.demo", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="demo_out", help="output folder for demo.png (default: demo_out)")
    p.add_argument("--iters", type=int, default=2000, help="training iterations per run (default: 2000)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2],
                   help="seeds, each trained without and with the plugin (default: 0 1 2)")
    p.add_argument("--seed", type=int, dest="seeds", action="store", metavar="S",
                   help="one seed only (its own picture, no median)")
    p.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1),
                   help="runs at a time, each in its own process with --threads threads (default: %(default)s)")
    p.add_argument("--hj-lambda-h", dest="lambda_h", type=float, default=DEFAULT_LAMBDA_H,
                   help=f"plugin run's base Hessian scale (default: {DEFAULT_LAMBDA_H:g})")
    p.add_argument("--hj-lambda-j", dest="lambda_j", type=float, default=DEFAULT_LAMBDA_J,
                   help=f"plugin run's base Jacobian scale (default: {DEFAULT_LAMBDA_J:g})")
    p.add_argument("--eval-samples", type=int, default=10_000, help="samples for MIG / valid (default: 10000)")
    p.add_argument("--log-every", type=int, default=500, help="progress line every N iterations")
    p.add_argument("--threads", type=int, default=1,
                   help="torch CPU threads per run (default: 1; results depend on it through float rounding, "
                        "and 1 reproduces docs/demo_sweep.md)")
    args = p.parse_args(argv)
    seeds = [args.seeds] if isinstance(args.seeds, int) else list(dict.fromkeys(args.seeds))
    if args.iters < 1 or args.workers < 1 or args.threads < 1 or args.eval_samples < 100:
        p.error("--iters, --workers and --threads must be >= 1, --eval-samples >= 100")
    os.makedirs(args.out, exist_ok=True)

    plugin = {"penalty": "joint", "lambda_h": args.lambda_h, "lambda_j": args.lambda_j}
    runs = {"baseline": (None, "no penalty"),
            "plugin": (plugin, f"joint, λ_H={args.lambda_h:g}, λ_J={args.lambda_j:g} (α=β=0.5)")}
    print(f"== {len(seeds)} seed(s) {seeds} × (baseline, plugin), {args.iters} iterations each, "
          f"{args.workers} at a time", flush=True)
    t0 = time.perf_counter()
    jobs = [(name, *runs[name], seed, args.iters, args.eval_samples, args.log_every, args.threads)
            for seed in seeds for name in RUNS]
    if args.workers == 1:
        done = [run_one(*job) for job in jobs]
    else:
        with ProcessPoolExecutor(args.workers) as pool:
            done = list(pool.map(run_one, *zip(*jobs)))
    results = [{"seed": seed, **{name: done[2 * i + j] for j, name in enumerate(RUNS)}} for i, seed in enumerate(seeds)]
    path = os.path.join(args.out, "demo.png")
    make_figure(results, path)
    print(format_table(results))
    print(f"wrote {path}  (total {time.perf_counter() - t0:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
