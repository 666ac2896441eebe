"""The mode-collapse page (``mode_collapse.md``), generated from the result JSON."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..common.markdown import row, table
from ..common.stats import compare, mean, mean_std
from .analysis import baseline_curves, curve_table, plateau_line
from .configs import BETAS, CONFIDENT, CONTROL_VARIANTS, METRICS, PLATEAU_TOL, STRICT, Config
from .metrics import values
from .pacgan import render_pacgan


@dataclass(frozen=True)
class Report:
    """What the page shows: the parts of a result JSON (:func:`benchmarks.collapse.experiment.run`) and the
    longer ``--baseline-only`` check it cites, if one ran with the same settings."""

    rows: list[dict[str, Any]]  # the training runs
    refs: list[dict[str, Any]]  # reference rows: real data, uniform spray
    configs: list[Config]
    chosen: Config  # the blend setting of blend-norm and the controls
    chosen_from_data: bool
    mean_rank: dict[str, float]
    settings: dict[str, Any]  # the JSON's settings (iters, lr, ..., seeds, datasets, sweep_datasets, workers)
    plateaus: dict[str, dict[str, Any]]
    wall: float
    longer: dict[str, Any] | None = None

    @classmethod
    def from_result(cls, result: dict[str, Any], longer: dict[str, Any] | None = None) -> Report:
        chosen = result["chosen_setting"]
        return cls(rows=result["runs"], refs=result["reference"], configs=[Config.parse(k) for k in result["configs"]],
                   chosen=Config("blend", chosen["every"], chosen["eta"]), chosen_from_data=chosen["from_data"],
                   mean_rank=result["mean_rank"], settings=result["settings"], plateaus=result["plateau"],
                   wall=result["wall_seconds"], longer=longer)

    @property
    def datasets(self) -> list[str]:
        return self.settings["datasets"]

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.configs]

    @property
    def labels(self) -> dict[str, str]:
        return {c.key: c.label for c in self.configs}


def _load_text(settings: dict[str, Any]) -> str:
    before, end = settings.get("load_before"), settings.get("load_at_end")
    if not before or not end:
        return ""
    return (f"; load average before the run {before[0]:g} (1 min), at its end {end[1]:g} (5 min; the workers "
            "alone make about 2: more means other jobs shared the cores)")


def _header(r: Report) -> list[str]:
    s, wall = r.settings, r.wall
    return ["# Mode-collapse benchmark (`benchmarks/mode_collapse.py`)", "",
            f"Seeds {s['seeds']}; mean ± std over seeds. Iterations (one D step and one G step each, both on the same batch of fakes): "
            + ", ".join(f"{d} {s['iters'][d]}" for d in r.datasets)
            + "; Adam learning rate (G and D, betas " + str(BETAS) + "): "
            + ", ".join(f"{d} {s['lr'][d]:g}" for d in r.datasets)
            + f". MLPs of width {s['width']} (two hidden layers), batch {s['batch']}, non-saturating "
            f"loss. {s['samples']} generated points per 2D model, {s['digit_samples']} images per "
            f"digits model; Adam {s.get('adam', 'for-loop')}. Wall time **{wall:.0f} s** ({wall / 60:.1f} min) "
            f"with {s['workers']} workers (one torch thread each){_load_text(s)}.", ""]


def _cells(r: Report, dataset: str, key: str, metrics: list[tuple[str, str]], refs: tuple[str, ...]) -> list[str]:
    """One table row's cells: the config, each ``(metric, fmt)``, D gap and ms / it (dashes for references)."""
    src = r.refs if key in refs else r.rows
    gap = mean_std(values(src, dataset, key, "d_gap")) if src is r.rows else "–"
    ms = f"{mean(values(src, dataset, key, 'ms_per_iteration')):.2f}" if src is r.rows else "–"
    return [r.labels.get(key, key), *(mean_std(values(src, dataset, key, m), fmt) for m, fmt in metrics), gap, ms]


def _tables(r: Report) -> list[str]:
    lines: list[str] = []
    refs_2d = ("real data", "uniform spray")
    for dataset in [d for d in ("ring", "grid") if d in r.datasets]:
        k = {"ring": 8, "grid": 25}[dataset]
        lines += [f"## 2D {dataset} ({k} modes)", ""]
        lines += table(["config", f"modes (≥1 HQ point, max {k})", f"strict modes (≥{STRICT})", "HQ fraction",
                        "reverse KL", "D gap", "ms / it"],
                       [_cells(r, dataset, key, [("modes_loose", "{:.1f}"), ("modes_strict", "{:.1f}"),
                                                 ("hq", "{:.2f}"), ("reverse_kl", "{:.2f}")], refs_2d)
                        for key in r.keys + list(refs_2d)
                        if values(r.refs if key in refs_2d else r.rows, dataset, key, "hq")])
        lines.append("")
    if "ring" in r.datasets or "grid" in r.datasets:
        lines += render_pacgan(r.settings)
    if "digits" in r.datasets:
        lines += ["## Stacked Digits (1000 modes)", ""]
        lines += table(["config", "modes (max 1000)", "reverse KL",
                        f"confident fraction (all 3 digits p ≥ {CONFIDENT})", "D gap", "ms / it"],
                       [_cells(r, "digits", key, [("modes", "{:.0f}"), ("reverse_kl", "{:.2f}"),
                                                  ("confident", "{:.2f}")], ("real data",))
                        for key in r.keys + ["real data"]
                        if values(r.refs if key == "real data" else r.rows, "digits", key, "modes")])
        n = r.settings["digit_samples"]
        lines += ["", (f"A perfect uniform generator covers {1000 * (1 - (1 - 1 / 1000) ** n):.0f} modes on average "
                  f"with {n} samples; \"real data\" is {n} Stacked-Digits images from the held-out test split."), ""]
    lines += [("D gap: mean D(real) − D(fake) probability over the last 10% of iterations (0 = D at chance). "
              "ms / it: one training iteration in a worker with one torch thread, mean over seeds."), ""]
    return lines


def _selection(r: Report) -> list[str]:
    sweep_sets, chosen = r.settings["sweep_datasets"], r.chosen
    lines = ["## Which exchange setting", "",
             ("The controls and `blend-norm` ran at the blend setting with the best mean rank (lower is better) "
              f"over every (dataset, metric) pair of {' and '.join(sweep_sets)} among the baseline, the blend "
              "settings and MSGAN" if r.chosen_from_data else
              f"The controls ran at the setting given on the command line, {chosen.label}; mean ranks over "
              f"{' and '.join(sweep_sets)} for reference")
             + (". The sweep ran only on the 2D sets (digits runs the chosen setting, to keep the benchmark under "
                "30 minutes; `--digits-sweep` adds the rest):" if "digits" in r.datasets and "digits" not in sweep_sets
                else ":"), ""]
    lines += table(["config", "mean rank"], [[r.labels.get(key, key), f"{rank:.2f}"]
                                             for key, rank in sorted(r.mean_rank.items(), key=lambda kv: kv[1])])
    lines += ["", (f"Chosen: **{chosen.label}**. The choice and the comparison below use the same seeds, so the "
              f"chosen setting's advantage over the baseline is biased upwards (the best of {len(r.mean_rank) - 2}); "
              "the controls ran at that same setting and are not."), ""]
    return lines


def _pairs(r: Report) -> list[tuple[str, str]]:
    """The (first, second) configs the differences table compares."""
    chosen = r.chosen
    pairs = [(chosen.key, "baseline")]
    for v in CONTROL_VARIANTS:
        key = Config(v, chosen.every, chosen.eta).key
        if key in r.keys:
            pairs.append((chosen.key, key) if v != "blend-norm" else (key, "baseline"))
    pairs += [(c.key, "baseline") for c in r.configs if c.kind == "blend" and c.key != chosen.key]
    pairs += [(c.key, "baseline") for c in r.configs if c.kind == "msgan"]
    return pairs


def _differences(r: Report) -> list[str]:
    """Welch's test per pair and metric, then a generated sentence per pair."""
    cols = [(d, m, lab, hi) for d in r.datasets for (m, lab, hi) in METRICS[d]]
    pairs, labels = _pairs(r), r.labels
    lines = ["## Differences (Welch's t-test over seeds)", "",
             ("Each cell: difference of means (first − second), its p-value, and **better**/**worse** for the first "
              "config when p < 0.05 (~ otherwise). With 5 seeds only large effects reach p < 0.05."), "",
             "| first vs second | " + " | ".join(f"{d} {lab}" for d, _, lab, _ in cols) + " |",
             "|---|" + "---|" * len(cols)]
    verdicts: dict[tuple[str, str], list[str]] = {}
    for a, b in pairs:
        cells = []
        for d, m, lab, hi in cols:
            diff, p, word = compare(values(r.rows, d, a, m), values(r.rows, d, b, m), hi)
            verdicts.setdefault((a, b), []).append(f"{d} {lab}: {word}")
            if math.isnan(diff):
                cells.append("–")
                continue
            fmt = "{:+.1f}" if m.startswith("modes") else "{:+.2f}"
            cells.append(f"{fmt.format(diff)} (p={p:.2f}){' **' + word + '**' if word != '~' else ''}")
        lines.append(row([f"{labels.get(a, a)} vs {labels.get(b, b)}", *cells]))
    lines += ["", "## Summary (generated from the table above)", ""]
    for a, b in pairs:
        words = verdicts[(a, b)]
        better = [w.rsplit(":", 1)[0] for w in words if w.endswith("better")]
        worse = [w.rsplit(":", 1)[0] for w in words if w.endswith("worse")]
        lines.append(f"- {labels.get(a, a)} vs {labels.get(b, b)}: better on {', '.join(better) or 'nothing'}; "
                     f"worse on {', '.join(worse) or 'nothing'}; no clear difference on the other "
                     f"{len(words) - len(better) - len(worse)} of {len(words)}.")
    return lines + [""]


def _exchange(r: Report) -> list[str]:
    ex_rows = [x for x in r.rows if "exchange_cosine" in x]
    if not ex_rows:
        return []
    lines = ["## What the exchange does to D", "",
             ("At the end of training: mean cosine between each paired D weight and adj(G's weight), "
              "‖θ_D‖/‖adj θ_G‖, and the share of D's parameters that are paired."), ""]
    cells = []
    for key in r.keys:
        for d in r.datasets:
            sel = [x for x in ex_rows if x["config"] == key and x["dataset"] == d]
            if sel:
                cells.append([r.labels[key], d, mean_std([x["exchange_cosine"] for x in sel]),
                              mean_std([x["exchange_d_norm_ratio"] for x in sel]),
                              f"{100 * sel[0]['exchange_fraction_paired']:.0f}% ({sel[0]['exchange_pairs']} pairs)"])
    return lines + table(["config", "dataset", "cosine", "D/G norm ratio", "D parameters paired"], cells) + [""]


def _longer_plateau_lines(r: Report, dataset: str) -> list[str]:
    longer = r.longer
    if longer is None or dataset not in longer.get("plateau", {}):
        return []
    n = longer["settings"]["iters"][dataset]
    if n <= r.settings["iters"][dataset]:
        return []
    p = longer["plateau"][dataset]
    its, curves = baseline_curves(longer["runs"], dataset)
    same_seeds = longer["settings"]["seeds"] == r.settings["seeds"]
    lines = [(f"Longer check (`--baseline-only --datasets {dataset} --{'digit' if dataset == 'digits' else dataset}"
              f"-iters {n}`, `mode_collapse.baseline_plateau.json`, the same settings"
              f"{' and seeds' if same_seeds else ''}, {longer['wall_seconds']:.0f} s): the baseline trained to "
              f"{n} iterations plateaus by iteration **{p['iteration']}** "
              f"({', '.join(f'{k} {v}' for k, v in p['per_metric'].items())})."), ""]
    return lines + curve_table(its, curves) + [""]


def _plateau(r: Report) -> list[str]:
    lines = ["## When the baseline stops improving", "",
             "Baseline metrics (mean ± std over seeds) at checkpoints during training. \"Plateau\" is the first "
             "checkpoint after which the seed mean never improves by more than a tolerance plus the later "
             "checkpoint's standard error over seeds (tolerances: "
             + ", ".join(f"{k} {v:g}" for k, v in PLATEAU_TOL.items()) + "); the plateau of a dataset is the "
             "latest over its three metrics. Checkpoints use the same samples as the final evaluation.", ""]
    for d in r.datasets:
        its, curves = baseline_curves(r.rows, d)
        if not its:
            continue
        lines += [plateau_line(d, r.plateaus.get(d, {}), (r.longer or {}).get("plateau", {}).get(d, {})), ""]
        lines += curve_table(its, curves) + [""]
        lines += _longer_plateau_lines(r, d)
    return lines


def render(report: Report) -> str:
    """The page's markdown: settings, one table per dataset (with the references), the choice of the
    exchange setting, Welch's tests, what the exchange does to D, and the baseline's plateau."""
    return "\n".join(_header(report) + _tables(report) + _selection(report) + _differences(report)
                     + _exchange(report) + _plateau(report))
