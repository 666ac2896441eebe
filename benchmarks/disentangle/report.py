"""The disentanglement pages (``disentanglement.md``, ``lazy_cost.md``, ``lambda_sweep.md``)."""
from __future__ import annotations

import argparse
import math
import statistics
from typing import Any

from ..common.markdown import previous_line, row, table, write_page
from ..common.stats import mean_std
from .analysis import best_settings, pareto_front, seed_means
from .suites import CONFIGS, LAMBDA_H, LAMBDA_J, LAMBDA_SCALES, OUTPUT_NAME, TERMS, VALID_GATE, sweep_name


def _cell(values: list[float]) -> str:
    return mean_std(values, undefined="not run")  # VP is NaN where it was not measured (--vp-pairs 0)


def render_table(rows: list[dict[str, Any]], seeds: list[int], iters: int) -> str:
    lines = [f"Squares testbed (docs/design.md §8), {iters} iterations, seeds {seeds}; base λ_H={LAMBDA_H:g}, "
             f"λ_J={LAMBDA_J:g} (effective ×0.5); mean ± std over seeds", ""]
    summary = []
    for name in [n for n in CONFIGS if any(r["config"] == n for r in rows)]:
        runs = [r for r in rows if r["config"] == name]
        degenerate = sum(r["valid"] < 0.3 for r in runs)
        ms = statistics.mean(r["ms_per_iteration"] for r in runs)
        summary.append([name, f"{ms:.1f}", _cell([r["mig"] for r in runs]), _cell([r["vp"] for r in runs]),
                        _cell([r["valid"] for r in runs]), f"{degenerate}/{len(runs)}"])
    lines += table(["config", "ms / iteration", "MIG", "VP", "valid fraction", "degenerate seeds (valid < 0.3)"],
                   summary)
    per_run = [[r["config"], r["seed"], f"{r['ms_per_iteration']:.1f}", f"{r['mig']:.3f}",
                "–" if math.isnan(r["vp"]) else f"{r['vp']:.3f}", f"{r['valid']:.3f}"]
               for r in sorted(rows, key=lambda r: (list(CONFIGS).index(r["config"]), r["seed"]))]
    lines += ["", "Per run:", ""] + table(["config", "seed", "ms / iteration", "MIG", "VP", "valid"], per_run)
    lines += ["", "ms / iteration: wall time of a whole training iteration (D step, G step, penalty) in a worker "
              "with one torch thread, two workers side by side; mean over seeds."]
    return "\n".join(lines)


def render_lambda(rows: list[dict[str, Any]]) -> str:
    """The λ-sweep summary: MIG and valid fraction per (config, scale), each config's best non-degenerate
    scale, and Welch's test of the joint's best against each term's best (per-seed MIG)."""
    from hjgan_plugin.metrics import compare_scores

    lines = ["", "## λ sweep: MIG / valid fraction (mean ± std over seeds; degenerate seeds in brackets)", ""]
    lines += table(["config", *(f"λ ×{s:g}" for s in LAMBDA_SCALES)])
    for term in TERMS:
        cells = []
        for s in LAMBDA_SCALES:
            name = sweep_name(term, s)
            if not any(r["config"] == name for r in rows):
                cells.append("not run")
                continue
            m = seed_means(rows, name)
            cells.append(f"{m['mig']:.2f} ± {m['mig_std']:.2f} / {m['valid']:.2f} ± {m['valid_std']:.2f} "
                         f"({m['degenerate']}/{m['n']})")
        lines.append(row([term, *cells]))
    if any(r["config"] == "baseline" for r in rows):
        m = seed_means(rows, "baseline")
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
              + ", ".join(f"**{n}** ({seed_means(rows, n)['mig']:.2f} / {seed_means(rows, n)['valid']:.2f})"
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
    lines = ["Published reference, the paper's Table 4 (not our measurement):", ""]
    lines += table(["method", *(f"{d} PPL / FID / VP%" for d in PAPER_TABLE4["datasets"])],
                   [[name, *(f"{p:g} / {f:g} / {v:g}" for p, f, v in cells)] for name, cells in PAPER_TABLE4["rows"].items()])
    lines += ["", "Protocol differences: the paper trains ProGAN at 128x128 on Edges+Shoes and CLEVR (OroJaR's "
              "setup) and reports VP in %, PPL and FID; we train an MLP G (z in R^3) for 2000 iterations on "
              "16x16 squares, report VP as a fraction and MIG (ground-truth factors exist here), and have no "
              "FID/PPL (no Inception/VGG weights on this machine). Only orderings can be compared: in the paper "
              "the joint penalty has the best VP on 3 of 4 datasets (OroJaR on CLEVR-U) and the best FID on all "
              "4 among the three penalties."]
    return "\n".join(lines)


def render_against_baseline(rows: list[dict[str, Any]]) -> str:
    """Each config against the baseline: MIG and valid fraction gains with Welch's p over seeds, and whether
    the config keeps quality (its mean valid fraction at least 90% of the baseline's, no seed below the gate)."""
    from ..common.stats import compare, p_text

    base = [r for r in rows if r["config"] == "baseline"]
    lines = ["", "## Against the baseline (Welch's t over seeds)", ""]
    body = []
    for name in [n for n in CONFIGS if n != "baseline" and any(r["config"] == n for r in rows)]:
        runs = [r for r in rows if r["config"] == name]
        gain, p, _ = compare([r["mig"] for r in runs], [r["mig"] for r in base], higher_better=True)
        dvalid, p_valid, _ = compare([r["valid"] for r in runs], [r["valid"] for r in base], higher_better=True)
        kept = (statistics.mean(r["valid"] for r in runs) >= 0.9 * statistics.mean(r["valid"] for r in base)
                and min(r["valid"] for r in runs) >= VALID_GATE)
        body.append([name, f"{gain:+.3f} ({p_text(p)})", f"{dvalid:+.3f} ({p_text(p_valid)})",
                     "kept" if kept else "lost"])
    lines += table(["config", "ΔMIG (p)", "Δvalid (p)", "quality"], body)
    return "\n".join(lines)


def write_md(rows: list[dict[str, Any]], args: argparse.Namespace, seeds: list[int], wall: float | None) -> str:
    """Print and write the suite's table (``<stem>.md``); returns the stem. ``wall`` None: kept from the old .md."""
    stem = OUTPUT_NAME[args.suite]
    md = args.out / f"{stem}.md"
    text = render_table(rows, seeds, args.iters)
    if wall is not None:
        text += f"\n\nWall time {wall:.0f} s with {args.workers} workers."
    elif (kept := previous_line(md, "Wall time ")) is not None:
        text += "\n\n" + kept
    if args.suite == "lambda":
        text = render_lambda(rows).lstrip() + "\n\n" + text
    if args.suite == "terms":
        text += "\n\n" + published_reference()
    if args.suite == "layers":
        text = render_against_baseline(rows).lstrip() + "\n\n" + text
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    write_page(md, text)
    return stem
