"""Disentanglement benchmark (issue 5, item 2): baseline vs Hessian term alone vs Jacobian term alone vs
the joint penalty of Eq. 15, on the SPEC §8 squares testbed.

Every run trains the demo's testbed GAN (``hjgan_plugin.demo.train``: 16×16 squares rendered on the
fly, MLP G from z ∈ R³, non-saturating loss + R1, 2000 iterations) and measures:

- MIG (20 bins, 10,000 samples, factors read back by image moments);
- VP (Zhu et al. 2020: 10,000 pairs, classifier on 10%, best test accuracy, mean of 3 runs);
- the quality gate of SPEC §8 (valid fraction; a gain with valid < 0.3 is degenerate).

Each term alone runs at the same effective weight it has inside the joint penalty (α = β = 0.5 from
the default game times the base λ), so "joint" is exactly "hessian + jacobian". Base λ are the demo's
(docs/demo_sweep.md). Runs go to ``--workers`` processes with one torch thread each.

    python benchmarks/disentanglement.py                   # 4 configs × 3 seeds, ~12 min on 2 cores
    python benchmarks/disentanglement.py --suite lazy --vp-pairs 0   # interval 1/2/4/8, sub-batch: cost and MIG
    python benchmarks/disentanglement.py --seeds 0 --iters 200 --vp-pairs 2000 --out /tmp/x   # smoke run
"""
from __future__ import annotations

import argparse
import contextlib
import json
import math
import multiprocessing
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LAMBDA_H, LAMBDA_J = 4.5e-5, 1.5e-5  # the demo's base scales (docs/demo_sweep.md)
JOINT = {"penalty": "joint", "lambda_h": LAMBDA_H, "lambda_j": LAMBDA_J}
SUITES: dict[str, dict[str, dict[str, Any] | None]] = {
    # issue 5 item 2: each term alone (at its weight inside the joint) vs the joint penalty
    "terms": {
        "baseline": None,
        "hessian": {"penalty": "hessian", "lambda_h": LAMBDA_H},
        "jacobian": {"penalty": "jacobian", "lambda_j": LAMBDA_J},
        "joint": JOINT,
    },
    # issue 5 item 3: amortized cost of lazy regularization (gain N) and of a sub-batch
    "lazy": {
        "baseline": None,
        "joint": JOINT,
        "interval 2": {**JOINT, "interval": 2},
        "interval 4": {**JOINT, "interval": 4},
        "interval 8": {**JOINT, "interval": 8},
        "subbatch 0.5": {**JOINT, "subbatch": 0.5},
    },
}
OUTPUT_NAME = {"terms": "disentanglement", "lazy": "lazy_cost"}
CONFIGS: dict[str, dict[str, Any] | None] = {name: cfg for suite in SUITES.values() for name, cfg in suite.items()}


def run_one(job: tuple[str, int, int, int]) -> dict[str, Any]:
    """Train one config with one seed and measure it (runs in a worker process)."""
    name, seed, iters, vp_pairs = job
    import torch

    torch.set_num_threads(1)
    from hjgan_plugin import demo
    from hjgan_plugin.metrics import vp_score

    result = demo.train(CONFIGS[name], iters=iters, seed=seed, log=lambda _line: None, name=name)
    G = result["G"].eval()
    metrics = demo.evaluate(G)
    start = time.perf_counter()
    vp, vp_runs = (vp_score(G, G.latent_dim, n_pairs=vp_pairs, runs=3, seed=seed, return_runs=True)
                   if vp_pairs else (math.nan, []))
    return {"config": name, "seed": seed, "mig": float(metrics["mig"]), "valid": float(metrics["valid"]),
            "vp": float(vp), "vp_runs": [float(v) for v in vp_runs], "train_seconds": result["seconds"],
            "ms_per_iteration": 1e3 * result["seconds"] / iters,
            "vp_seconds": time.perf_counter() - start, "traversal": demo.traversal(G).tolist()}


def mean_std(values: list[float]) -> str:
    if any(math.isnan(v) for v in values):
        return "not run"
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}"


def render_table(rows: list[dict[str, Any]], seeds: list[int], iters: int) -> str:
    lines = [f"Squares testbed (SPEC §8), {iters} iterations, seeds {seeds}; base λ_H={LAMBDA_H:g}, "
             f"λ_J={LAMBDA_J:g} (effective ×0.5); mean ± std over seeds", "",
             "| config | ms / iteration | MIG | VP | valid fraction | degenerate seeds (valid < 0.3) |",
             "|---|---|---|---|---|---|"]
    for name in [n for n in CONFIGS if any(r["config"] == n for r in rows)]:
        runs = [r for r in rows if r["config"] == name]
        degenerate = sum(r["valid"] < 0.3 for r in runs)
        ms = statistics.mean(r["ms_per_iteration"] for r in runs)
        lines.append(f"| {name} | {ms:.1f} | {mean_std([r['mig'] for r in runs])} | "
                     f"{mean_std([r['vp'] for r in runs])} | {mean_std([r['valid'] for r in runs])} | "
                     f"{degenerate}/{len(runs)} |")
    lines += ["", "Per run:", "", "| config | seed | ms / iteration | MIG | VP | valid |", "|---|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: (list(CONFIGS).index(r["config"]), r["seed"])):
        vp = "–" if math.isnan(r["vp"]) else f"{r['vp']:.3f}"
        lines.append(f"| {r['config']} | {r['seed']} | {r['ms_per_iteration']:.1f} | {r['mig']:.3f} | {vp} | "
                     f"{r['valid']:.3f} |")
    lines += ["", "ms / iteration: wall time of a whole training iteration (D step, G step, penalty) in a worker "
              "with one torch thread, two workers side by side; mean over seeds."]
    return "\n".join(lines)


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n in CONFIGS if any(r["config"] == n for r in rows)]
    palette = ["#777777", "#4c72b0", "#55a868", "#c44e52", "#8172b2", "#ccb974", "#64b5cd"]
    colors = dict(zip(names, palette))
    first_seed = min(r["seed"] for r in rows)
    fig = plt.figure(figsize=(12, 6.5))
    grid = fig.add_gridspec(2, max(len(names), 2), height_ratios=[1, 1.15])
    for i, name in enumerate(names):
        ax = fig.add_subplot(grid[0, i])
        run = next(r for r in rows if r["config"] == name and r["seed"] == first_seed)
        ax.imshow(np.asarray(run["traversal"]), cmap="gray", vmin=0, vmax=1)
        ax.set_title(f"{name} (seed {first_seed})\nMIG {run['mig']:.2f}, valid {run['valid']:.2f}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel("z1, z2, z3 swept −2…2" if i == 0 else "")
    panels = [("mig", "MIG"), ("vp", "VP")]
    if all(math.isnan(r["vp"]) for r in rows):
        panels = [("mig", "MIG"), ("ms_per_iteration", "ms / iteration")]
    for j, (metric, label) in enumerate(panels):
        half = max(len(names), 2) // 2
        ax = fig.add_subplot(grid[1, j * half:(j + 1) * half])
        for name in names:
            runs = [r for r in rows if r["config"] == name]
            ax.scatter([r["valid"] for r in runs], [r[metric] for r in runs], color=colors[name], label=name, s=40)
        ax.axvline(0.3, color="k", ls=":", lw=1)
        ax.set_xlabel("valid fraction (quality gate; dotted: 0.3)")
        ax.set_ylabel(label)
        ax.legend(fontsize=8)
    fig.suptitle("Disentanglement vs quality, one point per seed", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


# The paper's Table 4 (Appl. Sci. 2022, 12, 5382), as published: PPL (lower better), FID (lower better),
# VP in % (higher better). "Ours" is the paper's joint penalty; ProGAN is the unregularized baseline.
PAPER_TABLE4 = {
    "datasets": ["Edges+Shoes", "CLEVR-Simple", "CLEVR-Complex", "CLEVR-U"],
    "rows": {
        "ProGAN (baseline)": [(3154.1, 10.8, 15.5), (64.5, 3.8, 27.2), (84.4, 5.5, 25.5), (697.7, 3.4, 40.2)],
        "Hessian Penalty": [(554.1, 17.3, 28.6), (39.7, 6.1, 71.3), (74.7, 7.1, 42.9), (61.6, 26.8, 79.2)],
        "OroJaR": [(236.7, 16.1, 32.3), (6.7, 4.9, 76.9), (10.4, 10.7, 48.8), (40.9, 4.6, 90.7)],
        "paper's joint (Eq. 15)": [(336.79, 12.5, 33.7), (27.6, 3.3, 79.1), (36.3, 4.3, 49.3), (44.1, 3.3, 88.3)],
    },
}


def published_reference() -> str:
    """The paper's Table 4 beside ours, with the protocol differences (markdown)."""
    head = "| method | " + " | ".join(f"{d} PPL / FID / VP%" for d in PAPER_TABLE4["datasets"]) + " |"
    lines = ["Published reference, the paper's Table 4 (not our measurement):", "", head,
             "|---|" + "---|" * len(PAPER_TABLE4["datasets"])]
    for name, cells in PAPER_TABLE4["rows"].items():
        lines.append(f"| {name} | " + " | ".join(f"{p:g} / {f:g} / {v:g}" for p, f, v in cells) + " |")
    lines += ["", "Protocol differences: the paper trains ProGAN at 128x128 on Edges+Shoes and CLEVR (OroJaR's "
              "setup) and reports VP in %, PPL and FID; we train an MLP G (z in R^3) for 2000 iterations on "
              "16x16 squares, report VP as a fraction and MIG (ground-truth factors exist here), and have no "
              "FID/PPL (no Inception/VGG weights on this machine). Only orderings can be compared: in the paper "
              "the joint penalty has the best VP on 3 of 4 datasets (OroJaR on CLEVR-U) and the best FID on all "
              "4 among the three penalties."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--iters", type=int, default=2000)
    parser.add_argument("--vp-pairs", type=int, default=10_000)
    parser.add_argument("--suite", choices=list(SUITES), default="terms",
                        help="terms: each term vs joint (item 2); lazy: interval/sub-batch cost (item 3)")
    parser.add_argument("--configs", nargs="+", choices=list(CONFIGS), default=None,
                        help="a subset of the suite's configs")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks")
    args = parser.parse_args(argv)
    names = args.configs or list(SUITES[args.suite])
    jobs = [(name, seed, args.iters, args.vp_pairs) for seed in args.seeds for name in names]
    start = time.perf_counter()
    rows = []
    with contextlib.ExitStack() as stack:
        if args.workers > 1:
            pool = stack.enter_context(multiprocessing.get_context("spawn").Pool(args.workers))
            results = pool.imap_unordered(run_one, jobs)
        else:  # in this process (also what a test can import and run)
            results = map(run_one, jobs)
        for i, row in enumerate(results, 1):
            rows.append(row)
            print(f"[{i}/{len(jobs)}] {row['config']:9s} seed {row['seed']}  MIG {row['mig']:.3f}  "
                  f"VP {row['vp']:.3f}  valid {row['valid']:.3f}  ({row['train_seconds']:.0f}s + "
                  f"{row['vp_seconds']:.0f}s VP)", flush=True)
    table = render_table(rows, args.seeds, args.iters)
    table += f"\n\nWall time {time.perf_counter() - start:.0f} s with {args.workers} workers."
    if args.suite == "terms":
        table += "\n\n" + published_reference()
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = OUTPUT_NAME[args.suite]
    (args.out / f"{stem}.md").write_text(table + "\n")
    slim = [{k: v for k, v in r.items() if k != "traversal"} for r in rows]
    (args.out / f"{stem}.json").write_text(json.dumps(slim, indent=2) + "\n")
    plot(rows, args.out / f"{stem}.png")


if __name__ == "__main__":
    main()
