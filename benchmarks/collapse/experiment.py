"""The mode-collapse benchmark's runs: phase one (baseline, sweep, MSGAN), the choice of the exchange
setting, phase two (``blend-norm`` and the controls), the result JSON and the page written from it."""
from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from ..common.machine import load_average
from ..common.markdown import write_page
from ..common.pool import Mapper, worker_pool
from ..common.results import clean, dumps_compact
from .analysis import (BASELINE_PLATEAU_JSON, baseline_curves, choose_setting, curve_table, longer_baseline,
                       plateau_summary)
from .configs import CONTROL_VARIANTS, DATASETS, Config, controls, phase_one, scatter_keys
from .figure import plot
from .metrics import reference_rows
from .nets import fused_adam
from .report import Report, render
from .training import run_one


def progress(total: int, done: int = 0) -> Callable[[dict[str, Any]], None]:
    """A callback printing one progress line per finished row (``[n/total] dataset config seed metrics``),
    counting from ``done``."""
    count = [done]

    def report(row: dict[str, Any]) -> None:
        count[0] += 1
        if row["dataset"] == "digits":
            what = f"modes {row['modes']:4d}  KL {row['reverse_kl']:.2f}  confident {row['confident']:.2f}"
        else:
            kl = "undef" if row["reverse_kl"] is None else f"{row['reverse_kl']:.2f}"
            what = f"modes {row['modes_loose']:2d}/{row['modes_strict']:2d}  HQ {row['hq']:.2f}  KL {kl}"
        print(f"[{count[0]}/{total}] {row['dataset']:6s} {row['config']:22s} seed {row['seed']}  {what}  "
              f"({row['train_seconds']:.0f}s + {row['eval_seconds']:.0f}s)", flush=True)

    return report


def run_jobs_logged(jobs: list[dict[str, Any]], run_jobs: Mapper, rows: list[dict[str, Any]], total: int) -> None:
    """Run ``jobs`` with ``run_jobs``, appending each row to ``rows`` and printing a progress line."""
    report = progress(total, len(rows))
    for row in run_jobs(run_one, jobs):
        rows.append(row)
        report(row)


def longest_first(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Longest first (digits, then MSGAN and every-step exchanges), so the pool's tail is short."""
    def slow(job: dict[str, Any]) -> bool:
        return job["config"].startswith(("msgan", "topk", "unrolled")) or ":1:" in job["config"]

    return sorted(jobs, key=lambda j: (j["dataset"] != "digits", not slow(j)))



def _adam() -> str:
    return "fused" if fused_adam() else "for-loop"


def training_settings(args: argparse.Namespace, tmp: str) -> tuple[dict[str, Any], float | None]:
    """The runs' shared settings from the command line (iterations and learning rate per dataset, sizes,
    checkpoints) and, when digits run, the digit classifier fitted once (seed 0) and saved in ``tmp``;
    returns them and the classifier's held-out accuracy."""
    import torch

    from hjgan_plugin.metrics.digits import DigitClassifier

    iters = {"ring": args.ring_iters, "grid": args.grid_iters, "digits": args.digit_iters}
    if args.iters is not None:
        iters = dict.fromkeys(DATASETS, args.iters)
    clf_path, clf_accuracy = None, None
    if "digits" in args.datasets:
        with torch.random.fork_rng(devices=[]):
            clf = DigitClassifier(seed=0, epochs=args.classifier_epochs).fit()
        clf_accuracy = clf.accuracy("test")
        clf_path = os.path.join(tmp, "digit_classifier.pt")
        clf.save(clf_path)
    return {"iters": iters, "lr": {"ring": args.lr, "grid": args.lr, "digits": args.digit_lr},
            "batch": args.batch, "width": args.width, "samples": args.samples, "digit_samples": args.digit_samples,
            "checkpoints": args.checkpoints, "digit_checkpoints": args.digit_checkpoints,
            "classifier": clf_path}, clf_accuracy


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Train and measure everything ``args`` (the script's command line) asks for; write the JSON, the page
    and the figure in ``args.out`` (``--baseline-only``: the plateau check's JSON) and return the result."""
    start = time.perf_counter()
    load_before = load_average()
    first = [Config("baseline")] if args.baseline_only else (args.configs or phase_one(args.msgan_weight))
    sweep_sets = [d for d in args.datasets if d != "digits" or args.digits_sweep]
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        settings, clf_accuracy = training_settings(args, tmp)
        clf_path = settings["classifier"]

        def jobs_for(configs: list[Config], datasets: list[str]) -> list[dict[str, Any]]:
            return longest_first([{"dataset": d, "config": c.key, "seed": s, "settings": settings, "plot_seed": args.seeds[0]}
                           for c in configs for d in datasets for s in args.seeds])

        run_jobs = stack.enter_context(worker_pool(args.workers))
        rows: list[dict[str, Any]] = []
        candidates = [c for c in first if c.kind == "blend"]
        others = [c for c in first if c.kind != "blend"]
        # phase one: baseline, the blend sweep and MSGAN (the sweep only where it runs: sweep_sets)
        jobs = jobs_for(first, sweep_sets) + jobs_for(others, [d for d in args.datasets if d not in sweep_sets])
        n_second = (len(CONTROL_VARIANTS) * len(args.datasets) + len(args.datasets) - len(sweep_sets)) * len(args.seeds)
        n_total = len(jobs) + n_second
        run_jobs_logged(longest_first(jobs), run_jobs, rows, n_total if not args.baseline_only else len(jobs))
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
        run_jobs_logged(longest_first(jobs), run_jobs, rows, len(rows) + len(jobs))
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
                           "load_at_end": load_average(), "adam": _adam()},
              "configs": [c.key for c in configs],
              "chosen_setting": {"every": chosen.every, "eta": chosen.eta, "from_data": not args.control_setting},
              "mean_rank": mean_rank, "plateau": plateau_summary(rows, args.datasets), "wall_seconds": wall,
              # sample points only for the scatter plots' runs (first seed)
              "runs": [{k: v for k, v in r.items() if k != "points" or r["config"] in scatter} for r in rows],
              "reference": refs}
    result = clean(result)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "mode_collapse.json").write_text(dumps_compact(result))
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
        lines += [f"{d}: plateau by iteration {plateaus.get(d, {}).get('iteration')}", ""]
        lines += curve_table(its, curves) + [""]
    print("\n".join(lines))
    result = clean({"settings": {**{k: v for k, v in settings.items() if k != "classifier"}, "seeds": args.seeds,
                                 "datasets": args.datasets, "workers": args.workers, "adam": _adam()},
                    "plateau": plateaus, "wall_seconds": wall,
                    "runs": [{k: v for k, v in r.items() if k != "points"} for r in rows]})
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / BASELINE_PLATEAU_JSON).write_text(dumps_compact(result))
    return result


def write_docs(result: dict[str, Any], out: Path) -> None:
    """Table (printed and ``mode_collapse.md``) and figure (``mode_collapse.png``) from the result json; a
    hand-written part at the end of the old page is kept."""
    st = result["settings"]
    report = Report.from_result(result, longer_baseline(out, st))
    text = render(report)
    if st["classifier_test_accuracy"] is not None:
        text += (f"\nDigit classifier: `DigitClassifier(seed=0, epochs={st['classifier_epochs']})`, held-out "
                 f"accuracy {st['classifier_test_accuracy']:.3f}.\n")
    print(text)
    write_page(out / "mode_collapse.md", text, keep_hand_written=True)
    plot(report, out / "mode_collapse.png")
