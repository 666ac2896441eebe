"""The PyTorch-GAN benchmarks' pages and figures: ``pytorch_gan_table1.{md,png}`` and
``pytorch_gan_remedies.{md,png}``."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from ..common.machine import loads_text
from ..common.markdown import table, write_page
from ..common.plots import PALETTE, pyplot, save
from ..common.stats import compare, mean, mean_std, p_text, values
from .models import SUITES, TABLE1, Suite, label

#: The paper's Table 1 (IS on MNIST, Inception-v3, 25 000 iterations, 10 000 samples): model ->
#: (original mean, std, with the exchange mean, std). Both of its p-values are < 0.001 on every row; they
#: compare each method's IS with the IS of the real training images, not the two methods.
PAPER_TABLE1: dict[str, tuple[float, float, float, float]] = {
    "began": (1.366, 0.179, 1.388, 0.242), "bgan": (1.250, 0.175, 1.372, 0.187),
    "ebgan": (1.356, 0.194, 1.371, 0.241), "infogan": (2.054, 0.171, 2.070, 0.207),
    "cgan": (2.022, 0.196, 2.302, 0.291), "aae": (2.289, 0.298, 1.995, 0.251),
    "acgan": (1.956, 0.146, 2.041, 0.271), "lsgan": (1.404, 0.183, 1.363, 0.139),
    "sgan": (1.418, 0.159, 1.459, 0.192),
}
#: Mean IS-fashion below this: the runs sit at the floor (every sample one class, a collapsed G); a
#: difference between two such settings is reported as "both collapsed", not as better or worse [ours].
FLOOR = 1.1
#: A model whose plain mean FD-fashion is over this many times the lowest among the benchmark's models has
#: a weak baseline: its plain G has not learned the data yet, and a win over it is reported as one [ours].
WEAK = 2.0
FIGURE_SAMPLES = 32  # samples per panel of the figure (4 x 8)
METRICS = (("is_fashion", "IS-fashion", True), ("fd_fashion", "FD-fashion", False))


def verdicts(result: dict[str, Any]) -> dict[tuple[str, str, str], tuple[float, float, str]]:
    """(model, setting, metric) -> (difference of means vs plain, Welch p, better/worse/~, or "both
    collapsed" when both settings sit at the IS-fashion floor) for each setting other than plain."""
    rows, out = result["rows"], {}
    for model in result["settings"]["models"]:
        for setting in result["settings"]["settings"]:
            if setting == "plain":
                continue
            collapsed = all(mean(values(rows, model, s, "is_fashion")) < FLOOR for s in (setting, "plain"))
            for key, _, higher in METRICS:
                diff, p, word = compare(values(rows, model, setting, key), values(rows, model, "plain", key), higher)
                out[model, setting, key] = (diff, p, "both collapsed" if collapsed and word != "n/a" else word)
    return out


def plain_fd(result: dict[str, Any]) -> dict[str, float]:
    """Model -> plain's mean FD-fashion over seeds."""
    return {m: mean(values(result["rows"], m, "plain", "fd_fashion")) for m in result["settings"]["models"]}


def weak_baselines(fd: dict[str, float]) -> tuple[str | None, dict[str, float]]:
    """From :func:`plain_fd`: the model with the lowest plain FD-fashion, and model -> plain FD-fashion for
    those over :data:`WEAK` times it."""
    best = min((m for m in fd if not math.isnan(fd[m])), key=fd.get, default=None)
    return best, {m: v for m, v in fd.items() if best is not None and v > WEAK * fd[best]}


def summary(result: dict[str, Any]) -> list[str]:
    """One line per setting and metric: on how many models it was better, worse or indistinguishable
    (p < 0.05), a win against a weak baseline marked as one; then the weak baselines."""
    found, fd = verdicts(result), plain_fd(result)
    best, weak = weak_baselines(fd)
    lines = []
    for setting in result["settings"]["settings"][1:]:
        for key, name, _ in METRICS:
            models = result["settings"]["models"]
            tested = [m for m in models if found[m, setting, key][2] != "n/a"]
            better = [m + (" against a weak baseline" if m in weak else "") for m in tested
                      if found[m, setting, key][2] == "better"]
            worse = [m for m in tested if found[m, setting, key][2] == "worse"]
            untested = [m for m in models if m not in tested]
            floor = [m for m in tested if found[m, setting, key][2] == "both collapsed"]
            lines.append(f"- **{label(setting)}**, {name}: better than plain on {len(better)} of {len(tested)} models"
                         f"{' (' + ', '.join(better) + ')' if better else ''}, worse on {len(worse)}"
                         f"{' (' + ', '.join(worse) + ')' if worse else ''}, "
                         + (f"both collapsed (IS-fashion < {FLOOR}) on {len(floor)} ({', '.join(floor)}), " if floor else "")
                         + "no difference at p < 0.05 on the rest"
                         + (f"; not run on {', '.join(untested)} (refused or failed)." if untested else "."))
    if weak:
        lines.append(f"- Weak baselines (plain FD-fashion over {WEAK:g}× the lowest, {best}'s {fd[best]:.0f}): "
                     + ", ".join(f"{m} {v:.0f}" for m, v in weak.items())
                     + ". A setting that beats one of these beats a generator that has not learned the data yet.")
    return lines


def _refusals(rows: list[dict[str, Any]]) -> dict[str, str]:
    return {r["model"]: r["refused"] for r in rows if r.get("refused")}


def suite_of(result: dict[str, Any]) -> Suite:
    return SUITES[result["settings"].get("suite", TABLE1.name)]


def _paper_section(st: dict[str, Any], n_seeds: int) -> list[str]:
    paper = [[m, f"{a:.3f} ± {b:.3f}", f"{c:.3f} ± {d:.3f}", "<0.001", "<0.001"]
             for m, (a, b, c, d) in PAPER_TABLE1.items() if m in st["models"]]
    return [
        "## The paper's Table 1, beside",
        "",
        "Inception Score on MNIST, as published (\"ours\" is the weight exchange):",
        "",
        *table(["model", "IS original", "IS ours", "p (original vs real data)", "p (ours vs real data)"], paper),
        "",
        "Differences of protocol, all of them large:",
        "",
        "- **Data**: Fashion-MNIST here (the Debian package; MNIST itself is not on our machines), MNIST there.",
        f"- **Length**: {st['iterations']} iterations here, 25 000 there; our runs are far from converged and "
        "compare the settings early in training.",
        f"- **Size**: `--img_size {st['img_size']}` here to fit the CPU budget; the scripts' default (28 or 32) there.",
        "- **Metric**: a Fashion-MNIST classifier here, Inception-v3 (an ImageNet network) there: the paper's IS of "
        "1.2–2.3 on ten-class digits means Inception sees little class structure in them.",
        f"- **Statistics**: our std and p-values are over {n_seeds} independent training runs; the paper's std is "
        "presumably over IS splits of one run, and its p-values test each method against the real data, so they "
        "say nothing about the exchange against the original.",
        "",
    ]


REMEDIES_NOTE = (
    "The remedies and their settings are the ones the mode-collapse remedies suite found best on ring, grid and "
    "stacked digits ([mode_collapse_remedies.md](mode_collapse_remedies.md)), with the unrolled step size η (calibrated "
    "there on the ring only) also a decade either side, through the scripts' own flags; "
    "top-k's k decays ×0.99 every `iterations / 100` G steps. The four scripts are those on which both run (their "
    "patches pass the real batch; their adapters carry the per-sample G loss and the script's D loss).")


def render(result: dict[str, Any], command: str) -> str:
    suite = suite_of(result)
    st, rows = result["settings"], result["rows"]
    found = verdicts(result)
    settings = st["settings"]
    cost = {s: [] for s in settings}
    body = []
    for model in st["models"]:
        cells = [model]
        refused = {s for s in settings if any(r.get("refused") for r in rows if r["model"] == model and r["setting"] == s)}
        for key, _, _ in METRICS:
            for s in settings:
                cells.append("refused¹" if s in refused else mean_std(values(rows, model, s, key)))
                if s != "plain":
                    word = found[model, s, key][2]
                    cells.append(p_text(found[model, s, key][1]) + (f" ({word})" if word not in ("~", "n/a") else ""))
        plain = np.mean(values(rows, model, "plain", "seconds_per_iteration"))
        for s in settings[1:]:
            ratio = np.mean(values(rows, model, s, "seconds_per_iteration")) / plain
            if s not in refused:
                cost[s].append(ratio)
            cells.append("–" if s in refused else f"{ratio:.2f}×")
        body.append(cells)
    header = ["model"]
    for _, name, _ in METRICS:
        for s in settings:
            header.append(f"{name} {s}")
            if s != "plain":
                header.append(f"p ({s} vs plain)")
    header += [f"cost {s}" for s in settings[1:]]
    real, clf, machine = result["real"], result["classifier"], result["machine"]
    n_seeds = len(st["seeds"])
    lines = [
        f"# {suite.title}",
        "",
        f"Generated by `benchmarks/{suite.name}.py`; do not edit by hand. Command:",
        "",
        f"    {command}",
        "",
        f"Each cell is the mean ± std over {n_seeds} seeds ({', '.join(map(str, st['seeds']))}) of one run of the real "
        f"upstream script ({st['upstream']}, patched by `hjgan patch pytorch-gan`): {st['iterations']} iterations at "
        f"batch {st['batch_size']} on the first {st['iterations'] * st['batch_size']} Fashion-MNIST training images, "
        f"`--img_size {st['img_size']}`, scored on {st['samples']} samples. The settings' flags: "
        + "; ".join(f"{s}: `{' '.join(st['flags'][s]) or '(none)'}`" for s in settings) + ".",
        "",
        None if suite.paper else REMEDIES_NOTE,
        None if suite.paper else "",
        "**IS-fashion** and **FD-fashion** are the Inception Score's and the Fréchet distance's formulas on the "
        f"project's own Fashion-MNIST classifier (`hjgan_plugin.metrics.fashion`, trained on the 60 000 training "
        f"images at {clf.get('size', 28)}×{clf.get('size', 28)}, held-out accuracy {clf['test_accuracy']:.4f}), not IS or FID: IS-fashion runs from 1 to 10, "
        f"FD-fashion has its own scale. Real held-out images at the same size score IS-fashion "
        f"{real['is_fashion']:.2f} and FD-fashion {real['fd_fashion']:.2f} (against other held-out images). "
        "p: Welch's two-sided t-test over seeds against plain; \"better\"/\"worse\" where p < 0.05, \"both collapsed\" "
        f"where both settings' mean IS-fashion is below {FLOOR} (every sample one class: a difference between two "
        "collapsed generators means nothing). Cost: the training loop's seconds per iteration (first optimizer step to "
        "last) relative to plain, "
        + ("with rows from a cache: a setting's runs and plain's may have been timed in different invocations; "
           if st.get("cache") else "in the same benchmark run; ")
        + "two runs share the machine at any time, so the ratios move by about ±10% with what the other run is doing.",
        "",
        *table(header, body),
        "",
        *[f"¹ {m}: {msg}" for m, msg in _refusals(rows).items()],
        "",
        "## What it says",
        "",
        *summary(result),
        "- Cost, relative to a plain iteration: " + "; ".join(
            f"{label(s)} {min(cost[s]):.2f}×–{max(cost[s]):.2f}×" for s in settings[1:] if cost[s]) + ".",
        "",
        *(_paper_section(st, n_seeds) if suite.paper else []),
        f"Machine: {machine['cpus']} CPUs, {st['workers']} runs at a time with {st['threads_per_worker']} thread each; "
        f"load average after the runs {loads_text(machine['load_after'])}; "
        f"the whole benchmark took {machine['seconds'] / 60:.1f} min"
        + (f" (runs read back from a cache not counted; the runs' own wall times add up to "
           f"{sum(r['train_seconds'] for r in rows if not r.get('refused')) / 60:.1f} min)." if st.get("cache") else "."),
        "",
        f"![IS-fashion and FD-fashion per model and setting, and samples]({suite.name}.png)",
    ]
    return "\n".join(line for line in lines if line is not None)


def plot(result: dict[str, Any], path: Path) -> None:
    """Bars (mean ± std over seeds) of IS-fashion and FD-fashion per model and setting, then a row of the
    first seed's samples for each setting of three models."""
    plt = pyplot()
    st, rows = result["settings"], result["rows"]
    models, settings = st["models"], st["settings"]
    shown = ([m for m in ("aae", "acgan", "bgan") if m in models] if suite_of(result).paper else []) or models[:4]
    fig = plt.figure(figsize=(14, 6 + 2.6 * len(shown)))
    grid = fig.add_gridspec(2 + len(shown), len(settings), height_ratios=[3, 3] + [2.4] * len(shown))
    width = 0.8 / len(settings)
    for i, (key, name, higher) in enumerate(METRICS):
        ax = fig.add_subplot(grid[i, :])
        for j, s in enumerate(settings):
            vals = [[v for v in values(rows, m, s, key) if not math.isnan(v)] for m in models]
            ax.bar(np.arange(len(models)) + (j - (len(settings) - 1) / 2) * width,
                   [np.mean(v) if v else np.nan for v in vals], width,
                   yerr=[np.std(v, ddof=1) if len(v) > 1 else 0 for v in vals], capsize=2,
                   color=PALETTE[j], label=label(s))
        ax.axhline(result["real"][key], color="k", ls="--", lw=1, label="real held-out images")
        ax.set_xticks(range(len(models)))
        ax.set_xticklabels(models)
        ax.set_ylabel(f"{name} ({'higher' if higher else 'lower'} is better)")
        if i == 0:
            ax.legend(fontsize=8, ncol=4)
    seed = st["seeds"][0]
    for r, model in enumerate(shown):
        for j, s in enumerate(settings):
            run = next((x for x in rows if x["model"] == model and x["setting"] == s and x["seed"] == seed), None)
            ax = fig.add_subplot(grid[2 + r, j])
            ax.set_xticks([])
            ax.set_yticks([])
            if run is None or "grid" not in run:
                ax.set_title(f"{model}, {label(s)}: refused" if run else "", fontsize=9)
                continue
            images = np.asarray(run["grid"])[:FIGURE_SAMPLES]
            size = images.shape[-1]
            tiles = images.reshape(4, 8, size, size).transpose(0, 2, 1, 3).reshape(4 * size, 8 * size)
            ax.imshow(tiles, cmap="gray", vmin=0, vmax=1)
            ax.set_title(f"{model}, {label(s)} (seed {seed})", fontsize=9)
    save(fig, path, dpi=80)


def write(result: dict[str, Any], out: Path, command: str) -> None:
    name = suite_of(result).name
    write_page(out / f"{name}.md", render(result, command))
    plot(result, out / f"{name}.png")
