"""Mode-collapse remedies: the plain GAN vs top-k generator updates, spectral normalization of D, the unrolled
GAN and MSGAN at calibrated weights, on the mode-collapse benchmark's datasets and protocol, in a suite of their own.

The same runs as ``benchmarks/mode_collapse.py`` (``benchmarks.collapse.training.run_one``: the 2D ring and
grid and Stacked Digits, each at its baseline's plateau, the same nets, seeds and metrics), with configs:

- ``baseline``: the plain GAN (nothing attached);
- ``sn``: ``attach(..., spectral_norm=True)``: every linear layer of D spectrally normalized (Miyato et al. 2018);
- ``topk:<ν>``: ``attach(..., adapter="non-saturating", topk_nu=ν)``: only the k fakes D scores highest update G,
  k decaying ×0.99 a hundred times over the run to ν·batch (Sinha et al. 2020);
- ``unrolled:<K>:<η>``: ``attach(..., adapter="non-saturating", unrolled_steps=K, unrolled_lr=η)``: G's loss
  against D unrolled K gradient steps of size η ahead, backpropagated through (Metz et al. 2017);
- ``msgan:<λ>``: the example plugin's mode-seeking term (Mao et al. 2019) at λ below the 1.0 that hurt grid and
  digits in the exchange benchmark.

The default configs' settings come from a ring-only pilot (``--datasets ring --configs baseline sn topk:0.5
topk:0.75 unrolled:5:0.01 msgan:0.1 msgan:0.01``, kept as ``mode_collapse_remedies_ring_pilot.md``): unrolled
steps of η = 0.01 collapsed the ring (η = 0.001 did not, on a 3-seed probe), MSGAN 0.01 did what 0.1 did. The
page also gives D's real–fake gap (mean sigmoid(D(real)) − sigmoid(D(fake)) over the last 10% of iterations):
near 0, D no longer tells the two apart.

Every remedy is compared with the baseline on the same seeds (Welch's two-sided test) on every metric of
each dataset, and its cost is its training time per iteration over the baseline's.

    python benchmarks/mode_collapse_remedies.py               # 5 seeds, writes mode_collapse_remedies.{md,json,png}
    python benchmarks/mode_collapse_remedies.py --cache runs.jsonl   # resumable; digits takes most of the time
    python benchmarks/mode_collapse_remedies.py --from-json docs/benchmarks/mode_collapse_remedies.json
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if not __package__:  # run as a file: make the `benchmarks` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.collapse.configs import DATASETS, DEFAULT_ITERS, DEFAULT_LR, METRICS, Config  # noqa: E402
from benchmarks.collapse.experiment import longest_first, progress, training_settings  # noqa: E402
from benchmarks.collapse.training import run_one  # noqa: E402
from benchmarks.common.cache import run_cached  # noqa: E402
from benchmarks.common.machine import load_average, load_span  # noqa: E402
from benchmarks.common.markdown import table, write_page  # noqa: E402
from benchmarks.common.plots import PALETTE, pyplot, save  # noqa: E402
from benchmarks.common.pool import worker_pool  # noqa: E402
from benchmarks.common.results import add_output_arguments, clean, command_line, read_json, write_result  # noqa: E402
from benchmarks.common.stats import compare, mean, mean_std, p_text  # noqa: E402

NAME = "mode_collapse_remedies"
CONFIGS = ("baseline", "sn", "topk:0.5", "topk:0.75", "unrolled:5:0.001", "msgan:0.1")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, default=list(DATASETS))
    parser.add_argument("--configs", nargs="+", type=Config.parse, default=[Config.parse(c) for c in CONFIGS])
    parser.add_argument("--iters", type=int, default=None, help="iterations on every dataset (overrides the next three)")
    parser.add_argument("--ring-iters", type=int, default=DEFAULT_ITERS["ring"])
    parser.add_argument("--grid-iters", type=int, default=DEFAULT_ITERS["grid"])
    parser.add_argument("--digit-iters", type=int, default=DEFAULT_ITERS["digits"])
    parser.add_argument("--lr", type=float, default=DEFAULT_LR["ring"])
    parser.add_argument("--digit-lr", type=float, default=DEFAULT_LR["digits"])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--samples", type=int, default=2500)
    parser.add_argument("--digit-samples", type=int, default=10_000)
    parser.add_argument("--checkpoints", type=int, default=10)
    parser.add_argument("--digit-checkpoints", type=int, default=8)
    parser.add_argument("--classifier-epochs", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cache", type=Path, default=None,
                        help="JSON-lines file of finished runs: a rerun (or a run of more datasets) trains only what is missing")
    add_output_arguments(parser, from_json="rewrite the page and figure from this JSON instead of running")
    return parser.parse_args(argv)


def cache_key(job: dict[str, Any]) -> list[Any]:
    """What makes a run's result: dataset, config, seed and the settings that dataset trains with."""
    d, s = job["dataset"], job["settings"]
    return [d, job["config"], job["seed"], s["iters"][d], s["lr"][d], s["batch"], s["width"],
            s["digit_samples"] if d == "digits" else s["samples"]]


def comparisons(result: dict[str, Any]) -> dict[tuple[str, str, str], tuple[float, float, str]]:
    """``(dataset, config, metric) -> (difference, p, word)`` of every remedy vs the baseline."""
    rows, out = result["runs"], {}
    for dataset in result["settings"]["datasets"]:
        for config in result["configs"][1:]:
            for key, _, higher in METRICS[dataset]:
                vals = [r[key] for r in rows if r["dataset"] == dataset and r["config"] == config]
                base = [r[key] for r in rows if r["dataset"] == dataset and r["config"] == "baseline"]
                out[dataset, config, key] = compare([float("nan") if v is None else v for v in vals],
                                                    [float("nan") if v is None else v for v in base], higher)
    return out


def _cost(rows: list[dict[str, Any]], dataset: str, config: str) -> float:
    base = mean([r["ms_per_iteration"] for r in rows if r["dataset"] == dataset and r["config"] == "baseline"])
    return mean([r["ms_per_iteration"] for r in rows if r["dataset"] == dataset and r["config"] == config]) / base


def render(result: dict[str, Any]) -> str:
    rows, st = result["runs"], result["settings"]
    found = comparisons(result)
    lines = ["# Mode-collapse remedies vs the plain GAN", "",
             "Generated by `benchmarks/mode_collapse_remedies.py`; do not edit by hand. Command:", "",
             f"    {result['command']}", "",
             f"Seeds {', '.join(map(str, st['seeds']))}; iterations " + ", ".join(f"{d} {st['iters'][d]}" for d in
             st["datasets"]) + " (each dataset's baseline plateau, as in the mode-collapse benchmark). Cells: mean ± "
             "std over seeds; in brackets Welch's p against the baseline, with *better*/*worse* where p < 0.05. "
             "Cost: training time per iteration over the baseline's (runs two at a time; ±10% on an otherwise idle machine, "
             "more when other jobs ran beside them: see the load average below).", ""]
    verdicts = {c: [] for c in result["configs"][1:]}
    for dataset in st["datasets"]:
        metrics = METRICS[dataset]
        body = []
        for config in result["configs"]:
            cells = [Config.parse(config).label, "1.00×" if config == "baseline" else f"{_cost(rows, dataset, config):.2f}×"]
            for key, label, _ in metrics:
                vals = [r[key] for r in rows if r["dataset"] == dataset and r["config"] == config]
                cell = mean_std(vals, "{:.2f}" if key not in ("modes", "modes_strict") else "{:.1f}")
                if config != "baseline":
                    _, p, word = found[dataset, config, key]
                    cell += f" ({p_text(p)}{', ' + word if word in ('better', 'worse') else ''})"
                    if word in ("better", "worse"):
                        verdicts[config].append(f"{word} {label} on {dataset}")
                cells.append(cell)
            cells.append(mean_std([r["d_gap"] for r in rows if r["dataset"] == dataset and r["config"] == config],
                                  "{:.3f}"))
            body.append(cells)
        lines += [f"## {dataset}", "", *table(["config", "cost", *(label for _, label, _ in metrics), "D gap"], body),
                  ""]
    lines += ["## Which remedy helps where", ""]
    for config, said in verdicts.items():
        lines.append(f"- **{Config.parse(config).label}**: " + ("; ".join(said) if said else
                     "no difference from the plain GAN at p < 0.05 on any dataset or metric") + ".")
    lines += ["", f"Machine: {result['machine']}."]
    return "\n".join(lines)


def plot(result: dict[str, Any], path: Path) -> None:
    """Per dataset, its mode count and its second metric: mean ± std per config."""
    plt = pyplot()
    datasets = result["settings"]["datasets"]
    fig, axes = plt.subplots(2, len(datasets), figsize=(4.2 * len(datasets), 6.4), squeeze=False)
    configs = result["configs"]
    for j, dataset in enumerate(datasets):
        for i, (key, label, _) in enumerate(METRICS[dataset][:2]):
            ax = axes[i][j]
            for n, config in enumerate(configs):
                vals = [r[key] for r in result["runs"] if r["dataset"] == dataset and r["config"] == config
                        and r[key] is not None]
                if vals:
                    sd = statistics.stdev(vals) if len(vals) > 1 else 0.0
                    ax.bar(n, mean(vals), yerr=sd, color=PALETTE[n % len(PALETTE)], capsize=3)
            ax.set_xticks(range(len(configs)), [Config.parse(c).label for c in configs], rotation=35, ha="right",
                          fontsize=7)
            ax.set_title(f"{dataset}: {label}", fontsize=9)
    save(fig, path)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if args.from_json is not None:
        result = read_json(args.from_json)
    else:
        start, load_before = time.perf_counter(), load_average()
        keys = [c.key for c in args.configs]
        if keys[0] != "baseline":
            raise SystemExit("the first config must be 'baseline': every remedy is compared with it")
        with tempfile.TemporaryDirectory() as tmp, worker_pool(args.workers) as run_jobs:
            settings, accuracy = training_settings(args, tmp)
            jobs = longest_first([{"dataset": d, "config": k, "seed": s, "settings": settings, "plot_seed": -1}
                                  for k in keys for d in args.datasets for s in args.seeds])
            rows = run_cached(run_one, jobs, run_jobs, cache_key, args.cache, progress(len(jobs)))
        result = clean({"settings": {**{k: v for k, v in settings.items() if k != "classifier"}, "seeds": args.seeds,
                                     "datasets": args.datasets, "classifier_test_accuracy": accuracy},
                        "configs": keys, "runs": [{k: v for k, v in r.items() if k != "history"} for r in rows],
                        "command": command_line("benchmarks/mode_collapse_remedies.py", argv),
                        "machine": f"{args.workers} workers × 1 thread, {time.perf_counter() - start:.0f} s in all, "
                                   f"{load_span(load_before)}"})
        write_result(args.out, NAME, result)
    write_page(args.out / f"{NAME}.md", render(result))
    plot(result, args.out / f"{NAME}.png")
    print(f"wrote {args.out / NAME}.md")
    return result


if __name__ == "__main__":
    main()
