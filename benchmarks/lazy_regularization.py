"""Lazy and sub-batch penalties against the every-step joint penalty, on a protocol that can tell them apart.

The squares testbed GAN (``hjgan_plugin.testbed.training``) trains once per setting and seed; MIG and the
valid fraction are averaged over the last five checkpoints (the stability study's lowest-spread reading,
``benchmarks/stability.py``). Settings (``benchmarks/lazy/configs.py``): the plain GAN, the every-step
penalty, and by default intervals 2/4/8/16 with the lazy step weighted 1, √N and N times the every-step λ
(the three ``--hj-lazy-gain`` modes, i.e. gain N with λ re-tuned to λ/N, λ/√N, λ), sub-batch 0.5/0.25,
and k = 4 directions on a 0.5 sub-batch (the every-step k = 2's perturbed samples at half the batch).

Stage 1 screens every setting on ``--screen-seeds`` seeds; plain and every step run all ``--seeds``.
Stage 2 runs the ``--confirm`` cheap settings (≤ a quarter of the every-step perturbed samples) closest to
the every-step result on all seeds. Then one process times every setting round-robin (cost × plain,
nothing else of the benchmark running). ``--cache`` keeps finished runs in a JSON-lines file so an
interrupted benchmark resumes.

    python benchmarks/lazy_regularization.py [--seeds 12] [--screen-seeds 3] [--confirm 2] [--workers 2]
    python benchmarks/lazy_regularization.py --from-json docs/benchmarks/lazy_regularization.json   # redraw
    python benchmarks/lazy_regularization.py --retime docs/benchmarks/lazy_regularization.json      # timing only

About 70 minutes on 2 cores (~95 s per run, two at a time); writes ``lazy_regularization.{md,json,png}``.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

if not __package__:  # run as a file: make the `benchmarks` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common.markdown import write_page  # noqa: E402
from benchmarks.common.cache import run_cached  # noqa: E402
from benchmarks.common.pool import worker_pool  # noqa: E402
from benchmarks.common.results import add_output_arguments, command_line, read_json, write_result  # noqa: E402
from benchmarks.lazy import timing  # noqa: E402
from benchmarks.lazy.analysis import pick  # noqa: E402
from benchmarks.lazy.configs import DEFAULT_SETTINGS, EVERY_STEP, PLAIN, settings  # noqa: E402
from benchmarks.lazy.report import plot, render  # noqa: E402
from benchmarks.lazy.runs import checkpoint_its, run_one  # noqa: E402
from hjgan_plugin.testbed.training import LR_G  # noqa: E402

NAME = "lazy_regularization"


def run_jobs(jobs: list[dict[str, Any]], workers: int, cache: Path | None) -> list[dict[str, Any]]:
    """Run ``jobs`` (those already in ``cache`` are read back), appending each finished row to ``cache``."""
    def report(row: dict[str, Any]) -> None:
        print(f"  {row['config']:<28} seed {row['seed']:2d}  MIG {row['mig']:.3f}  valid {row['valid']:.3f}  "
              f"{row['train_seconds']:.0f}s", flush=True)

    with worker_pool(workers) as run:
        return run_cached(run_one, jobs, run, lambda j: [j["config"], j["seed"], j["iters"], j["lr_g"]], cache, report)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=12, help="seeds of plain, every step and the confirmed settings")
    parser.add_argument("--screen-seeds", type=int, default=3, help="seeds of every other setting")
    parser.add_argument("--confirm", type=int, default=2, help="cheap settings run on all seeds")
    parser.add_argument("--iters", type=int, default=2000)
    parser.add_argument("--lr-g", type=float, default=LR_G, help="G's Adam learning rate")
    parser.add_argument("--settings", nargs="+", default=DEFAULT_SETTINGS,
                        help="the settings to screen, from benchmarks/lazy/configs.py (plain and every step always run)")
    parser.add_argument("--timing-iterations", type=int, default=40)
    parser.add_argument("--timing-rounds", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cache", type=Path, default=None, help="JSON-lines file of finished runs (resume)")
    parser.add_argument("--retime", type=Path, default=None,
                        help="only run the timing pass again, for the settings of this JSON (e.g. on a quiet machine)")
    add_output_arguments(parser, from_json="redraw the page and figure from this JSON instead of running")
    args = parser.parse_args(argv)
    if args.from_json is not None:
        result = read_json(args.from_json)
    elif args.retime is not None:
        result = read_json(args.retime)
        result["timing"] = timing.measure(result["settings"], iterations=args.timing_iterations,
                                          rounds=args.timing_rounds, lr_g=result["protocol"]["lr_g"])
        result["retimed"] = command_line("benchmarks/lazy_regularization.py", argv)
        write_result(args.out, NAME, result)
    else:
        start = time.perf_counter()
        every = settings()
        unknown = set(args.settings) - set(every)
        if unknown:
            parser.error(f"unknown settings {sorted(unknown)}; known: {list(every)}")
        chosen = {n: c for n, c in every.items() if n in (PLAIN, EVERY_STEP, *args.settings)}
        seeds, screen = list(range(args.seeds)), list(range(args.screen_seeds))
        job = lambda name, seed: {"config": name, "plugin": chosen[name], "seed": seed,  # noqa: E731
                                  "iters": args.iters, "lr_g": args.lr_g}
        jobs = [job(n, s) for n in chosen for s in (seeds if n in (PLAIN, EVERY_STEP) else screen)]
        rows = run_jobs(jobs, args.workers, args.cache)
        confirmed = pick(rows, chosen, args.confirm)
        print(f"confirming {confirmed} on {len(seeds)} seeds", flush=True)
        rows += run_jobs([job(n, s) for n in confirmed for s in seeds if s not in screen], args.workers, args.cache)
        print("timing every setting (one process, round-robin)", flush=True)
        measured = timing.measure(chosen, iterations=args.timing_iterations, rounds=args.timing_rounds, lr_g=args.lr_g)
        result = {"protocol": {"iters": args.iters, "lr_g": args.lr_g, "seeds": seeds, "screen_seeds": screen,
                               "checkpoint_its": checkpoint_its(args.iters)},
                  "settings": chosen, "confirmed": confirmed, "timing": measured,
                  "rows": rows,
                  "command": command_line("benchmarks/lazy_regularization.py", argv),
                  "machine": f"{os.cpu_count()} CPUs, {args.workers} workers × 1 thread for the runs, "
                             f"{time.perf_counter() - start:.0f} s in all"}
        write_result(args.out, NAME, result)
    write_page(args.out / f"{NAME}.md", render(result))
    plot(result, args.out / f"{NAME}.png")
    print(f"wrote {args.out / NAME}.md")


if __name__ == "__main__":
    main()
