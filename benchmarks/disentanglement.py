"""Disentanglement benchmark: baseline vs Hessian term alone vs Jacobian term alone vs the joint penalty
of Eq. 15, on the squares testbed of docs/design.md §8.

Every run trains the testbed GAN the demo trains (``hjgan_plugin.testbed.training.train``: 16×16 squares
rendered on the fly, MLP G from z ∈ R³, non-saturating loss + R1, 2000 iterations) and measures:

- MIG (20 bins, 10,000 samples, factors read back by image moments);
- VP (Zhu et al. 2020: 10,000 pairs, classifier on 10%, best test accuracy, mean of 3 runs);
- the quality gate of docs/design.md §8 (valid fraction; a gain with valid < 0.3 is degenerate).

Each term alone runs at the same effective weight it has inside the joint penalty (α = β = 0.5 from
the default game times the base λ), so "joint" is exactly "hessian + jacobian". Base λ are the demo's
(docs/demo_sweep.md). Runs go to ``--workers`` processes with one torch thread each. The parts live in
``benchmarks/disentangle/`` (suites and runs, analysis, report, figures).

    python benchmarks/disentanglement.py                   # 4 configs × 3 seeds, ~12 min on 2 cores
    python benchmarks/disentanglement.py --suite lazy --vp-pairs 0   # interval 1/2/4/8, sub-batch: cost and MIG
    python benchmarks/disentanglement.py --suite lambda --vp-pairs 0 # each config at λ x0.25/0.5/1/2, ~19 min
    python benchmarks/disentanglement.py --suite layers --vp-pairs 0 # the penalty on hidden layers, ~12 min
    python benchmarks/disentanglement.py --suite lambda --from-json docs/benchmarks/lambda_sweep.json  # redraw
    python benchmarks/disentanglement.py --seeds 0 --iters 200 --vp-pairs 2000 --out /tmp/x   # smoke run
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

if not __package__:  # run as a file (python benchmarks/disentanglement.py): make the `benchmarks` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common.pool import worker_pool  # noqa: E402
from benchmarks.common.results import add_output_arguments, read_json, write_json  # noqa: E402
from benchmarks.disentangle.analysis import best_settings, pareto_front, shown_in_figure  # noqa: E402,F401
from benchmarks.disentangle.figures import plot, plot_lambda  # noqa: E402
from benchmarks.disentangle.report import write_md  # noqa: E402
from benchmarks.disentangle.suites import (CONFIGS, LAMBDA_H, LAMBDA_J, LAMBDA_SCALES, SUITES,  # noqa: E402,F401
                                           VALID_GATE, run_one, scaled)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--iters", type=int, default=2000)
    parser.add_argument("--vp-pairs", type=int, default=10_000)
    parser.add_argument("--suite", choices=list(SUITES), default="terms",
                        help="terms: each term vs joint; lazy: interval/sub-batch cost; "
                             "lambda: each penalty config at 4 multiples of its base λ")
    parser.add_argument("--configs", nargs="+", choices=list(CONFIGS), default=None,
                        help="a subset of the suite's configs")
    parser.add_argument("--workers", type=int, default=2)
    add_output_arguments(parser, from_json="rewrite the suite's .md in --out from a json this script wrote, and its "
                         ".png by retraining only the runs whose traversals the figure shows (first seed; the runs "
                         "are deterministic, checked against the json)")
    args = parser.parse_args(argv)
    if args.from_json is not None:
        redraw(read_json(args.from_json), args)
        return
    names = args.configs or list(SUITES[args.suite])
    jobs = [(name, seed, args.iters, args.vp_pairs) for seed in args.seeds for name in names]
    start = time.perf_counter()
    rows = []
    with worker_pool(args.workers) as run_jobs:
        for i, result in enumerate(run_jobs(run_one, jobs), 1):
            rows.append(result)
            print(f"[{i}/{len(jobs)}] {result['config']:9s} seed {result['seed']}  MIG {result['mig']:.3f}  "
                  f"VP {result['vp']:.3f}  valid {result['valid']:.3f}  ({result['train_seconds']:.0f}s + "
                  f"{result['vp_seconds']:.0f}s VP)", flush=True)
    stem = write_md(rows, args, args.seeds, wall=time.perf_counter() - start)
    write_json(args.out / f"{stem}.json", [{k: v for k, v in r.items() if k != "traversal"} for r in rows])
    (plot_lambda if args.suite == "lambda" else plot)(rows, args.out / f"{stem}.png")


def redraw(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    """``--from-json``: the .md from ``rows``; the .png after retraining the figure's runs (first seed)."""
    seeds = sorted({r["seed"] for r in rows})
    stem = write_md(rows, args, seeds, wall=None)
    names = [n for n in shown_in_figure(args.suite, rows) if any(r["config"] == n for r in rows)]
    jobs = [(name, seeds[0], args.iters, 0) for name in names]
    with worker_pool(args.workers) as run_jobs:
        for new in run_jobs(run_one, jobs, ordered=True):
            old = next(r for r in rows if r["config"] == new["config"] and r["seed"] == new["seed"])
            if abs(new["mig"] - old["mig"]) > 1e-9 or abs(new["valid"] - old["valid"]) > 1e-9:
                raise SystemExit(f"{new['config']} seed {new['seed']} did not reproduce the json (MIG {new['mig']:.4f} "
                                 f"vs {old['mig']:.4f}, valid {new['valid']:.4f} vs {old['valid']:.4f}): check --iters "
                                 "and the code version; the figure was not redrawn")
            old["traversal"] = new["traversal"]
    (plot_lambda if args.suite == "lambda" else plot)(rows, args.out / f"{stem}.png")


if __name__ == "__main__":
    main()
