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
    python benchmarks/disentanglement.py --suite lambda --vp-pairs 0 # each config at λ x0.25/0.5/1/2, ~19 min
    python benchmarks/disentanglement.py --suite lambda --from-json docs/benchmarks/lambda_sweep.json  # redraw
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
# the λ sweep: every penalty config at these multiples of its base λ (in "terms"), so that "joint vs each
# term" is compared at each config's best weight, not at one shared weight
LAMBDA_SCALES = (0.25, 0.5, 1.0, 2.0)
TERMS = ("hessian", "jacobian", "joint")


def scaled(term: str, scale: float) -> dict[str, Any]:
    """``SUITES["terms"][term]`` with every base λ multiplied by ``scale``."""
    cfg = dict(SUITES["terms"][term])
    for key in ("lambda_h", "lambda_j"):
        if key in cfg:
            cfg[key] *= scale
    return cfg


def sweep_name(term: str, scale: float) -> str:
    return f"{term} x{scale:g}"


SUITES["lambda"] = {"baseline": None,
                    **{sweep_name(t, s): scaled(t, s) for t in TERMS for s in LAMBDA_SCALES}}
OUTPUT_NAME = {"terms": "disentanglement", "lazy": "lazy_cost", "lambda": "lambda_sweep"}
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


# ------------------------------------------------------------------------------------------ λ sweep
VALID_GATE = 0.3  # SPEC §8: a MIG gain with valid fraction < 0.3 is degenerate


def _seed_means(rows: list[dict[str, Any]], name: str) -> dict[str, float]:
    runs = [r for r in rows if r["config"] == name]
    return {"mig": statistics.mean(r["mig"] for r in runs), "valid": statistics.mean(r["valid"] for r in runs),
            "mig_std": statistics.stdev(r["mig"] for r in runs) if len(runs) > 1 else 0.0,
            "valid_std": statistics.stdev(r["valid"] for r in runs) if len(runs) > 1 else 0.0,
            "degenerate": sum(r["valid"] < VALID_GATE for r in runs), "n": len(runs)}



def best_settings(rows: list[dict[str, Any]]) -> dict[str, tuple[str, dict[str, float]] | None]:
    """Per penalty config, its most reliable λ scale: the fewest seeds below the quality gate, then the
    highest seed-mean MIG (``None`` for a config with no run)."""
    out: dict[str, tuple[str, dict[str, float]] | None] = {}
    for term in TERMS:
        runs = [(name, _seed_means(rows, name)) for name in (sweep_name(term, s) for s in LAMBDA_SCALES)
                if any(r["config"] == name for r in rows)]
        out[term] = min(runs, key=lambda nm: (nm[1]["degenerate"], -nm[1]["mig"])) if runs else None
    return out


def pareto_front(rows: list[dict[str, Any]]) -> list[str]:
    """Configs no other config beats on both seed-mean MIG and seed-mean valid fraction (ties kept),
    by falling MIG."""
    means = {name: _seed_means(rows, name) for name in dict.fromkeys(r["config"] for r in rows)}

    def beats(a: dict[str, float], b: dict[str, float]) -> bool:
        return a["mig"] >= b["mig"] and a["valid"] >= b["valid"] and (a["mig"] > b["mig"] or a["valid"] > b["valid"])

    front = [n for n, m in means.items() if not any(beats(o, m) for k, o in means.items() if k != n)]
    return sorted(front, key=lambda n: -means[n]["mig"])


def render_lambda(rows: list[dict[str, Any]]) -> str:
    """The λ-sweep summary: MIG and valid fraction per (config, scale), each config's best non-degenerate
    scale, and Welch's test of the joint's best against each term's best (per-seed MIG)."""
    from hjgan_plugin.metrics import compare_scores

    lines = ["", "## λ sweep: MIG / valid fraction (mean ± std over seeds; degenerate seeds in brackets)", "",
             "| config | " + " | ".join(f"λ ×{s:g}" for s in LAMBDA_SCALES) + " |",
             "|---|" + "---|" * len(LAMBDA_SCALES)]
    for term in TERMS:
        cells = []
        for s in LAMBDA_SCALES:
            name = sweep_name(term, s)
            if not any(r["config"] == name for r in rows):
                cells.append("not run")
                continue
            m = _seed_means(rows, name)
            cells.append(f"{m['mig']:.2f} ± {m['mig_std']:.2f} / {m['valid']:.2f} ± {m['valid_std']:.2f} "
                         f"({m['degenerate']}/{m['n']})")
        lines.append(f"| {term} | " + " | ".join(cells) + " |")
    if any(r["config"] == "baseline" for r in rows):
        m = _seed_means(rows, "baseline")
        lines.append(f"| baseline (no penalty) | {m['mig']:.2f} ± {m['mig_std']:.2f} / {m['valid']:.2f} ± "
                     f"{m['valid_std']:.2f} ({m['degenerate']}/{m['n']}) |" + " |" * (len(LAMBDA_SCALES) - 1))
    best = best_settings(rows)
    lines += ["", f"Most reliable scale per config: the fewest seeds below the quality gate (valid < {VALID_GATE}), "
              "then the highest mean MIG:", ""]
    for term, pick in best.items():
        if pick is not None:
            name, m = pick
            lines.append(f"- **{term}**: {name}, MIG {m['mig']:.2f} ± {m['mig_std']:.2f}, valid {m['valid']:.2f}, "
                         f"{m['degenerate']}/{m['n']} degenerate.")
    front = pareto_front(rows)
    lines += ["", "Pareto front over (mean MIG, mean valid fraction), the settings no other setting beats on both: "
              + ", ".join(f"**{n}** ({_seed_means(rows, n)['mig']:.2f} / {_seed_means(rows, n)['valid']:.2f})"
                          for n in front) + "."]
    if best.get("joint") is not None:
        joint_name = best["joint"][0]
        lines += ["", "The joint's pick vs each term's pick (Welch's t-test on per-seed MIG; all picked on the same "
                  "seeds):", ""]
        for term in ("hessian", "jacobian"):
            if best.get(term) is None:
                continue
            a = [r["mig"] for r in rows if r["config"] == joint_name]
            b = [r["mig"] for r in rows if r["config"] == best[term][0]]
            if min(len(a), len(b)) < 2:
                lines.append(f"- vs {term}: one seed, no test.")
                continue
            res = compare_scores(a, b, test="welch")
            lines.append(f"- {joint_name} vs {best[term][0]}: MIG difference {statistics.mean(a) - statistics.mean(b):+.2f}, "
                         f"p = {res['p_value']:.2f}.")
    return "\n".join(lines)


def plot_lambda(rows: list[dict[str, Any]], path: Path) -> None:
    """MIG against valid fraction per config as λ grows, and the traversal of each config's most reliable
    scale (:func:`best_settings`; first seed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {"hessian": "#55a868", "jacobian": "#c44e52", "joint": "#4c72b0"}
    best = best_settings(rows)
    first_seed = min(r["seed"] for r in rows)
    shown = ["baseline"] + [best[t][0] for t in TERMS if best.get(t) is not None]
    fig = plt.figure(figsize=(12, 9))
    grid = fig.add_gridspec(2, len(shown), height_ratios=[1, 2.2])
    for i, name in enumerate(shown):
        run = next((r for r in rows if r["config"] == name and r["seed"] == first_seed), None)
        if run is None:
            continue
        ax = fig.add_subplot(grid[0, i])
        ax.imshow(np.asarray(run["traversal"]), cmap="gray", vmin=0, vmax=1)
        ax.set_title(f"{name} (seed {first_seed})\nMIG {run['mig']:.2f}, valid {run['valid']:.2f}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel("z1, z2, z3 swept −2…2" if i == 0 else "", fontsize=8)
    ax = fig.add_subplot(grid[1, :])
    for term in TERMS:
        pts = [(s, _seed_means(rows, sweep_name(term, s))) for s in LAMBDA_SCALES
               if any(r["config"] == sweep_name(term, s) for r in rows)]
        if not pts:
            continue
        ax.errorbar([m["valid"] for _, m in pts], [m["mig"] for _, m in pts], xerr=[m["valid_std"] for _, m in pts],
                    yerr=[m["mig_std"] for _, m in pts], color=colors[term], marker="o", capsize=3, label=term)
        for s, m in pts:
            ax.annotate(f"×{s:g}", (m["valid"], m["mig"]), textcoords="offset points", xytext=(4, 4), fontsize=8,
                        color=colors[term])
    if any(r["config"] == "baseline" for r in rows):
        m = _seed_means(rows, "baseline")
        ax.errorbar([m["valid"]], [m["mig"]], xerr=[m["valid_std"]], yerr=[m["mig_std"]], color="#777777",
                    marker="s", capsize=3, label="baseline")
    ax.axvline(VALID_GATE, color="k", ls=":", lw=1)
    ax.set_xlabel(f"valid fraction (quality gate; dotted: {VALID_GATE})")
    ax.set_ylabel("MIG")
    ax.legend(fontsize=8)
    ax.set_title("λ sweep: mean ± std over seeds, labels = multiple of base λ", fontsize=10)
    fig.suptitle("Each penalty config across λ: disentanglement vs quality; traversals: each config's most "
                 "reliable λ (fewest degenerate seeds, then MIG)",
                 fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n in CONFIGS if any(r["config"] == n for r in rows)]
    palette = ["#777777", "#4c72b0", "#55a868", "#c44e52", "#8172b2", "#ccb974", "#64b5cd"]
    colors = dict(zip(names, palette, strict=False))  # a subset may be shorter
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
                        help="terms: each term vs joint (item 2); lazy: interval/sub-batch cost (item 3); "
                             "lambda: each penalty config at 4 multiples of its base λ")
    parser.add_argument("--configs", nargs="+", choices=list(CONFIGS), default=None,
                        help="a subset of the suite's configs")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks")
    parser.add_argument("--from-json", type=Path, default=None,
                        help="rewrite the suite's .md in --out from a json this script wrote, and its .png by "
                             "retraining only the runs whose traversals the figure shows (first seed; the runs "
                             "are deterministic, checked against the json)")
    args = parser.parse_args(argv)
    if args.from_json is not None:
        redraw(json.loads(args.from_json.read_text()), args)
        return
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
    stem = _write_md(rows, args, args.seeds, wall=time.perf_counter() - start)
    slim = [{k: v for k, v in r.items() if k != "traversal"} for r in rows]
    (args.out / f"{stem}.json").write_text(json.dumps(slim, indent=2) + "\n")
    (plot_lambda if args.suite == "lambda" else plot)(rows, args.out / f"{stem}.png")


def shown_in_figure(suite: str, rows: list[dict[str, Any]]) -> list[str]:
    """The configs whose first-seed traversal the suite's figure shows."""
    if suite == "lambda":
        return ["baseline"] + [pick[0] for pick in best_settings(rows).values() if pick is not None]
    return [n for n in CONFIGS if any(r["config"] == n for r in rows)]


def redraw(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    """``--from-json``: the .md from ``rows``; the .png after retraining the figure's runs (first seed)."""
    seeds = sorted({r["seed"] for r in rows})
    stem = _write_md(rows, args, seeds, wall=None)
    names = [n for n in shown_in_figure(args.suite, rows) if any(r["config"] == n for r in rows)]
    jobs = [(name, seeds[0], args.iters, 0) for name in names]
    with contextlib.ExitStack() as stack:
        results = map(run_one, jobs)
        if args.workers > 1:
            results = stack.enter_context(multiprocessing.get_context("spawn").Pool(args.workers)).imap(run_one, jobs)
        for new in results:
            old = next(r for r in rows if r["config"] == new["config"] and r["seed"] == new["seed"])
            if abs(new["mig"] - old["mig"]) > 1e-9 or abs(new["valid"] - old["valid"]) > 1e-9:
                raise SystemExit(f"{new['config']} seed {new['seed']} did not reproduce the json (MIG {new['mig']:.4f} "
                                 f"vs {old['mig']:.4f}, valid {new['valid']:.4f} vs {old['valid']:.4f}): check --iters "
                                 "and the code version; the figure was not redrawn")
            old["traversal"] = new["traversal"]
    (plot_lambda if args.suite == "lambda" else plot)(rows, args.out / f"{stem}.png")


def _write_md(rows: list[dict[str, Any]], args: argparse.Namespace, seeds: list[int], wall: float | None) -> str:
    """Print and write the suite's table (``<stem>.md``); returns the stem. ``wall`` None: kept from the old .md."""
    stem = OUTPUT_NAME[args.suite]
    md = args.out / f"{stem}.md"
    table = render_table(rows, seeds, args.iters)
    if wall is not None:
        table += f"\n\nWall time {wall:.0f} s with {args.workers} workers."
    elif md.exists() and "\nWall time " in md.read_text():
        table += "\n\nWall time " + md.read_text().split("\nWall time ", 1)[1].split("\n", 1)[0]
    if args.suite == "lambda":
        table = render_lambda(rows).lstrip() + "\n\n" + table
    if args.suite == "terms":
        table += "\n\n" + published_reference()
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    md.write_text(table + "\n")
    return stem


if __name__ == "__main__":
    main()
