"""Measuring generated samples on each dataset of the mode-collapse benchmark, and reading the metrics back."""
from __future__ import annotations

import math
import warnings
from typing import Any

from .configs import CONFIDENT, STRICT

_CLASSIFIER: dict[str, Any] = {}  # per process: the digit classifier, loaded once from its file


def mixture(dataset: str):
    """The 2D mixture of ``dataset`` (``"ring"`` or ``"grid"``)."""
    from hjgan_plugin.datasets import grid_mixture, ring_mixture

    return ring_mixture() if dataset == "ring" else grid_mixture()


def classifier(path: str):
    """The digit classifier saved at ``path`` (loaded once per process)."""
    from hjgan_plugin.metrics.digits import DigitClassifier

    if _CLASSIFIER.get("path") != path:
        _CLASSIFIER["classifier"] = DigitClassifier.load(path)
        _CLASSIFIER["path"] = path
    return _CLASSIFIER["classifier"]


def measure_2d(samples, dataset: str) -> dict[str, Any]:
    """Loose (>= 1 HQ point) and strict (>= ``STRICT``) mode counts, HQ fraction and reverse KL."""
    from hjgan_plugin.metrics import mode_coverage

    mix = mixture(dataset)
    loose = mode_coverage(samples, mix, min_count=1)
    strict = mode_coverage(samples, mix, min_count=STRICT)
    kl = loose["reverse_kl"]
    return {"modes_loose": loose["modes"], "modes_strict": strict["modes"], "hq": loose["hq_fraction"],
            "reverse_kl": kl if math.isfinite(kl) else None, "n_hq": loose["n_hq"], "n": loose["n"],
            "n_nan": loose["n_nan"], "counts": loose["counts"].tolist()}


def measure_digits(images, clf, quiet: bool = False) -> dict[str, Any]:
    """Stacked-Digits modes covered, reverse KL and the confident fraction (``CONFIDENT``)."""
    from hjgan_plugin.metrics.digits import FewSamplesWarning, stacked_mode_stats

    with warnings.catch_warnings():
        if quiet:  # the caller chose a small sample on purpose (checkpoints, smoke runs)
            warnings.simplefilter("ignore", FewSamplesWarning)
        stats = stacked_mode_stats(images, clf, confidence=CONFIDENT)
    return {k: stats[k] for k in ("modes", "reverse_kl", "n", "n_nan", "confident", "modes_expected_uniform")}


def reference_rows(seeds: list[int], samples: int, digit_samples: int, classifier_path: str | None,
                   datasets: list[str]) -> list[dict[str, Any]]:
    """Real samples of each dataset and uniformly sprayed points (ring/grid), measured like a generator."""
    import torch

    from hjgan_plugin.datasets import uniform_spray
    from hjgan_plugin.datasets.digits import stacked_digits

    rows = []
    for dataset in datasets:
        for seed in seeds:
            gen = torch.Generator().manual_seed(20_000 + seed)
            if dataset == "digits":
                images, _, _ = stacked_digits(digit_samples, gen, split="test")
                m = measure_digits(images, classifier(classifier_path), quiet=True)
                rows.append({"dataset": dataset, "config": "real data", "seed": seed, **m})
                continue
            mix = mixture(dataset)
            rows.append({"dataset": dataset, "config": "real data", "seed": seed,
                         **measure_2d(mix.sample(samples, gen)[0], dataset)})
            rows.append({"dataset": dataset, "config": "uniform spray", "seed": seed,
                         **measure_2d(uniform_spray(samples, mix, gen), dataset)})
    return rows


def values(rows: list[dict[str, Any]], dataset: str, config: str, metric: str) -> list[float]:
    """``metric`` of every run of ``config`` on ``dataset`` (NaN where undefined), in row order."""
    out = []
    for r in rows:
        if r["dataset"] == dataset and r["config"] == config:
            v = r.get(metric)
            out.append(math.nan if v is None else float(v))
    return out
