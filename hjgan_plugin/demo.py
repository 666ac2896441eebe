"""The project's main demo: the squares testbed of docs/design.md §8, trained without and with the plugin.

    python -m hjgan_plugin.demo [--out DIR] [--iters N] [--seed S]

Trains the testbed GAN (:mod:`hjgan_plugin.testbed`; the loop is :func:`hjgan_plugin.testbed.training.train`)
twice from the same seed on squares it renders itself: a baseline, and the same trainer with
``hjgan_plugin.attach(...)`` adding the joint Hessian/Jacobian penalty to the generator loss. It then
writes one picture, ``DIR/demo.png`` (for each run a latent-traversal grid, plus MIG / valid-fraction
bars and the penalty terms over training), and prints a table of MIG, valid fraction and seconds per
run. Both runs together took about 2 minutes on 2 CPU cores at the default 2000 iterations (one torch
thread, ``--threads``).

The plugin's λ defaults come from the small sweep in ``docs/demo_sweep.md``; they are base scales and
the Eagle-Dove game's α = β = 0.5 halves them (docs/design.md §2). MIG is measured between z and the
factors read back from the generated images by image moments; a MIG gain means something only with
the valid fraction (the quality gate of docs/design.md §8) beside it.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any, Sequence

import numpy as np
import torch

from .testbed import Discriminator, Generator  # noqa: F401  (the demo's models, as before)
from .testbed.training import (DEFAULT_LAMBDA_H, DEFAULT_LAMBDA_J, evaluate, measure_penalties,  # noqa: F401
                               train, traversal)


def make_figure(results: Sequence[dict[str, Any]], path: str) -> None:
    """One PNG: a traversal grid per run, MIG / valid-fraction bars and the penalty curves."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(results)
    fig = plt.figure(figsize=(5.2 * n, 7.4))
    gs = fig.add_gridspec(2, 2 * n, height_ratios=[1.0, 1.25])
    for i, r in enumerate(results):
        ax = fig.add_subplot(gs[0, 2 * i:2 * i + 2])
        ax.imshow(traversal(r["G"]), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(f"{r['name']}: {r['label']}\nMIG {r['mig']:.2f}, valid {r['valid']:.2f}", fontsize=10)
        ax.set_xticks([8 + 17 * j for j in (0, 2, 4, 6, 8)], ["-2", "-1", "0", "+1", "+2"])
        ax.set_yticks([8 + 17 * d for d in range(r["G"].latent_dim)],
                      [f"z{d + 1}" for d in range(r["G"].latent_dim)])
        ax.set_xlabel("one latent swept, the others at 0")
    colors = ["tab:gray", "tab:blue", "tab:orange", "tab:green"]
    ax = fig.add_subplot(gs[1, :n])
    width = 0.8 / n
    for i, r in enumerate(results):
        ax.bar(np.arange(2) + (i - (n - 1) / 2) * width, [r["mig"], r["valid"]], width,
               label=r["name"], color=colors[i % len(colors)])
    ax.axhline(0.3, color="k", lw=0.8, ls=":", label="valid ≥ 0.3 gate")
    ax.set_xticks([0, 1], ["MIG", "valid fraction"])
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    ax.set_title("disentanglement and quality gate", fontsize=10)
    ax = fig.add_subplot(gs[1, n:])
    for i, r in enumerate(results):
        h = r["history"]
        c = colors[i % len(colors)]
        ax.plot(h["it"], h["hessian"], color=c, ls="-", label=f"{r['name']} L_H")
        ax.plot(h["it"], h["jacobian"], color=c, ls="--", label=f"{r['name']} L_J")
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_title("unweighted penalties on a fixed z batch", fontsize=10)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def format_table(results: Sequence[dict[str, Any]]) -> str:
    """The printed summary: one row per run."""
    lines = [f"{'run':<10} {'MIG':>6} {'valid':>6} {'seconds':>8}  setting"]
    for r in results:
        lines.append(f"{r['name']:<10} {r['mig']:6.3f} {r['valid']:6.3f} {r['seconds']:8.1f}  {r['label']}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m hjgan_plugin.demo", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="demo_out", help="output folder for demo.png (default: demo_out)")
    p.add_argument("--iters", type=int, default=2000, help="training iterations per run (default: 2000)")
    p.add_argument("--seed", type=int, default=0, help="seed shared by both runs (default: 0)")
    p.add_argument("--hj-lambda-h", dest="lambda_h", type=float, default=DEFAULT_LAMBDA_H,
                   help=f"plugin run's base Hessian scale (default: {DEFAULT_LAMBDA_H:g})")
    p.add_argument("--hj-lambda-j", dest="lambda_j", type=float, default=DEFAULT_LAMBDA_J,
                   help=f"plugin run's base Jacobian scale (default: {DEFAULT_LAMBDA_J:g})")
    p.add_argument("--eval-samples", type=int, default=10_000, help="samples for MIG / valid (default: 10000)")
    p.add_argument("--log-every", type=int, default=250, help="progress line every N iterations")
    p.add_argument("--threads", type=int, default=1,
                   help="torch CPU threads (default: 1; results depend on it through float rounding, "
                        "and 1 reproduces docs/demo_sweep.md)")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)

    plugin = {"penalty": "joint", "lambda_h": args.lambda_h, "lambda_j": args.lambda_j}
    runs = [("baseline", None, "no penalty"),
            ("plugin", plugin, f"joint, λ_H={args.lambda_h:g}, λ_J={args.lambda_j:g} (α=β=0.5)")]
    results = []
    t0 = time.perf_counter()
    for name, cfg, label in runs:
        print(f"== {name}: {label}, {args.iters} iterations, seed {args.seed}", flush=True)
        r = train(cfg, iters=args.iters, seed=args.seed, log_every=args.log_every, name=name,
                  log=lambda s: print(s, flush=True))
        r.update(evaluate(r["G"], n=args.eval_samples), label=label)
        results.append(r)
    path = os.path.join(args.out, "demo.png")
    make_figure(results, path)
    print(format_table(results))
    print(f"wrote {path}  (total {time.perf_counter() - t0:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
