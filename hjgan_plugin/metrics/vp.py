"""Variation Predictability (VP) of a generator.

Zhu, Xu & Tao, "Learning Disentangled Representations with Latent Variation Predictability", ECCV 2020,
§4 (the VP metric). If a generator is disentangled, the variation caused by changing one latent
dimension should be easy to recognise: generate pairs ``(G(z), G(z'))`` whose latents differ in a
single dimension ``d``, train a classifier to predict ``d`` from the pair, and report its test accuracy.

Protocol used here, and where each choice comes from:

* Pairs [authors' pair generator, ``run_pair_generator_vc.py`` in ``zhuxinqimac/stylegan2vp``]:
  ``z`` is drawn from the prior, ``d`` uniformly from ``{0, …, latent_dim−1}``, and ``z' = z`` except
  ``z'_d``, which is resampled independently from the same prior. The authors' prior is U(−2, 2);
  ours defaults to N(0, I) because that is the prior the plugin's generators are trained with (docs/design.md
  §8), and ``prior="uniform"`` gives U(−2, 2). ``delta=`` replaces the resampling by a fixed shift
  ``z'_d = z_d + delta`` [ours, for probing local behaviour].
* Classifier input: the difference image ``G(z') − G(z)`` (the authors' ``--input-mode diff``),
  divided by the training split's RMS so that the metric does not depend on the output scale [ours].
* Split and score [paper §5.1, the VP-metric repository's ``--test-ratio 0.9``]: the
  classifier is trained on ``train_fraction`` (10 %) of the pairs and tested on the rest; the score of
  one run is the **best** test accuracy over training epochs; the reported VP is the mean over
  ``runs`` runs, each with a fresh random split and a fresh classifier.
* Classifier [ours]: the authors use a 4-conv ResNet-style stem with global average pooling
  (``VarPred``), sized for 64×64+ RGB. On small images where latents move objects, a global average
  pool throws away *where* the change is, so ours keeps a coarse 4×4 spatial map before the linear
  head: conv(16)–conv(32, stride 2)–conv(32, stride 2)–avgpool 4×4–FC 128–FC ``latent_dim``, Adam
  lr 1e-3, batch 32. Flat outputs ``(n, p)`` get an MLP ``p → 128 → 128 → latent_dim``.

Chance level is ``1/latent_dim`` (a generator that ignores ``z`` gives all-zero differences).
"""
from __future__ import annotations

import math
import warnings
from typing import Callable, Sequence, Union

import torch
from torch import nn

from .digits import NonFiniteSamplesWarning
from .progress import ProgressBar

Prior = Union[str, Callable[[int, int, torch.Generator], torch.Tensor]]

MIN_TRAIN_PER_CLASS = 5
"""Minimum average number of training pairs per latent dimension (class) that :func:`vp_score` accepts."""

MIN_TEST_PER_CLASS = 5
"""Minimum average number of test pairs per latent dimension that :func:`vp_score` accepts."""


def _sample_prior(prior: Prior, n: int, dim: int, generator: torch.Generator) -> torch.Tensor:
    """``(n, dim)`` float32 draws: ``"normal"`` N(0, 1), ``"uniform"`` U(−2, 2) (the authors'), or a callable."""
    if callable(prior):
        out = torch.as_tensor(prior(n, dim, generator), dtype=torch.float32)
        if out.shape != (n, dim):
            raise ValueError(f"prior callable must return shape {(n, dim)}, got {tuple(out.shape)}")
        return out
    if prior == "normal":
        return torch.randn(n, dim, generator=generator)
    if prior == "uniform":
        return torch.rand(n, dim, generator=generator) * 4.0 - 2.0
    raise ValueError(f"prior must be 'normal', 'uniform' or a callable, got {prior!r}")


def _device_of(G: Callable) -> torch.device:
    """The device of ``G``'s first parameter, or CPU for parameter-free callables."""
    if isinstance(G, nn.Module):
        for p in G.parameters():
            return p.device
        for b in G.buffers():
            return b.device
    return torch.device("cpu")


@torch.no_grad()
def _generate(G: Callable, z: torch.Tensor, batch_size: int) -> torch.Tensor:
    """``G(z)`` in batches, detached, as float32 on CPU."""
    device = _device_of(G)
    outs = [torch.as_tensor(G(chunk.to(device))).detach().float().cpu() for chunk in z.split(batch_size)]
    return torch.cat(outs)


def variation_pairs(
    G: Callable[[torch.Tensor], torch.Tensor],
    n_pairs: int,
    latent_dim: int,
    generator: torch.Generator | None = None,
    delta: float | None = None,
    prior: Prior = "normal",
    batch_size: int = 500,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Pairs of latents differing in one dimension; returns ``(G(z') − G(z), d)``.

    ``z ~ prior`` ``(n_pairs, latent_dim)``; ``d ~ U{0, …, latent_dim−1}``; ``z' = z`` except in
    dimension ``d``, where ``z'_d`` is a fresh draw from the prior (the authors' protocol) or, with
    ``delta`` given, ``z_d + delta``. ``G`` maps ``(n, latent_dim)`` to any ``(n, …)`` output and is
    called under ``no_grad`` in batches of ``batch_size`` on the device of its parameters.
    Returns the differences (float32, CPU, shape of ``G``'s output) and the labels ``d`` (int64).
    Raises ``ValueError`` when any pair has a NaN/inf output, with the count.
    """
    if latent_dim < 2:
        raise ValueError(f"VP needs latent_dim >= 2 (it classifies which dimension changed), got {latent_dim}")
    if n_pairs < 1:
        raise ValueError(f"n_pairs must be >= 1, got {n_pairs}")
    if generator is None:
        generator = torch.Generator().manual_seed(0)
    z = _sample_prior(prior, n_pairs, latent_dim, generator)
    d = torch.randint(latent_dim, (n_pairs,), generator=generator)
    z2 = z.clone()
    rows = torch.arange(n_pairs)
    if delta is None:
        z2[rows, d] = _sample_prior(prior, n_pairs, latent_dim, generator)[rows, d]
    else:
        z2[rows, d] = z[rows, d] + float(delta)
    diff = _generate(G, z2, batch_size) - _generate(G, z, batch_size)
    if diff.shape[0] != n_pairs:
        raise ValueError(f"G returned {diff.shape[0]} outputs for {n_pairs} latents")
    bad = (~torch.isfinite(diff.reshape(n_pairs, -1))).any(1)
    if bad.any():
        raise ValueError(f"{int(bad.sum())} of {n_pairs} pairs have NaN/inf generator outputs; "
                         f"VP is undefined for them (check G, or its input range for this prior)")
    return diff, d


def _make_classifier(sample_shape: Sequence[int], n_classes: int) -> nn.Module:
    """Small CNN for ``(C, H, W)`` inputs, MLP for anything else (flattened)."""
    if len(sample_shape) == 3:
        c = sample_shape[0]
        return nn.Sequential(
            nn.Conv2d(c, 16, 3, padding=1), nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(32, 32, 3, stride=2, padding=1), nn.ReLU(),
            nn.AdaptiveAvgPool2d(4), nn.Flatten(),
            nn.Linear(32 * 16, 128), nn.ReLU(), nn.Linear(128, n_classes))
    p = int(math.prod(sample_shape))
    return nn.Sequential(nn.Flatten(), nn.Linear(p, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(),
                         nn.Linear(128, n_classes))


@torch.no_grad()
def _accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 1024) -> float:
    model.eval()
    correct = sum(int((model(xb).argmax(1) == yb).sum()) for xb, yb in zip(x.split(batch_size), y.split(batch_size)))
    model.train()
    return correct / len(y)


def _one_run(x: torch.Tensor, y: torch.Tensor, n_classes: int, n_train: int, epochs: int, batch_size: int,
             lr: float, seed: int) -> float:
    """Train a fresh classifier on a random ``n_train`` split; best test accuracy over epochs."""
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(y), generator=g)
    tr, te = perm[:n_train], perm[n_train:]
    scale = x[tr].pow(2).mean().sqrt()
    scale = scale if scale > 0 else torch.tensor(1.0)  # all-zero differences: G ignores z
    x_tr, y_tr, x_te, y_te = x[tr] / scale, y[tr], x[te] / scale, y[te]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = _make_classifier(x.shape[1:], n_classes)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    best = 0.0
    for _ in range(epochs):
        order = torch.randperm(n_train, generator=g)
        for idx in order.split(batch_size):
            opt.zero_grad()
            loss_fn(model(x_tr[idx]), y_tr[idx]).backward()
            opt.step()
        best = max(best, _accuracy(model, x_te, y_te))
    return best


def _check_split(n_pairs: int, latent_dim: int, train_fraction: float) -> int:
    """``n_train`` for ``n_pairs`` pairs; ``ValueError`` naming the pairs needed when a split is too small."""
    n_train = int(train_fraction * n_pairs)  # floor
    n_test = n_pairs - n_train
    need_train = MIN_TRAIN_PER_CLASS * latent_dim
    need_test = MIN_TEST_PER_CLASS * latent_dim
    if n_train < need_train or n_test < need_test:
        need_pairs = next(m for m in range(1, 10**9) if int(train_fraction * m) >= need_train
                          and m - int(train_fraction * m) >= need_test)
        raise ValueError(
            f"too few pairs for VP: {n_pairs} pairs give {n_train} train / {n_test} test, but {latent_dim} "
            f"classes need at least {need_train} train and {need_test} test ({MIN_TRAIN_PER_CLASS} per class); "
            f"use n_pairs >= {need_pairs} at train_fraction={train_fraction}")
    return n_train


def _check_settings(latent_dim: int, train_fraction: float, runs: int, epochs: int) -> None:
    if latent_dim < 2:
        raise ValueError(f"VP needs latent_dim >= 2 (it classifies which dimension changed), got {latent_dim}")
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(f"train_fraction must be in (0, 1), got {train_fraction}")
    if runs < 1 or epochs < 1:
        raise ValueError(f"runs and epochs must be >= 1, got runs={runs}, epochs={epochs}")


def _runs(x: torch.Tensor, y: torch.Tensor, latent_dim: int, n_train: int, runs: int, seed: int, epochs: int,
          batch_size: int, lr: float, progress: bool) -> list[float]:
    """The ``runs`` classifier runs of the protocol; a progress bar (best accuracy so far) on request."""
    scores: list[float] = []
    with ProgressBar(runs, "VP runs", enabled=progress) as bar:
        for r in range(runs):
            scores.append(_one_run(x, y, latent_dim, n_train, epochs, batch_size, lr, seed=seed * 1000 + r + 1))
            bar.update(note=f"run {r + 1}: best test accuracy {scores[-1]:.4f}")
    return scores


def vp_from_differences(
    diff: torch.Tensor,
    dims: torch.Tensor,
    latent_dim: int | None = None,
    train_fraction: float = 0.1,
    runs: int = 3,
    seed: int = 0,
    epochs: int = 30,
    batch_size: int = 32,
    lr: float = 1e-3,
    progress: bool = False,
) -> dict[str, object]:
    """VP on saved pairs: differences ``G(z') − G(z)`` ``(n, …)`` and the changed dimension ``dims`` ``(n,)``.

    The classifier part of :func:`vp_score` (same split, classifier and seeds, so the same pairs give the
    same score). ``latent_dim`` defaults to ``max(dims) + 1``. Pairs whose difference holds NaN/inf are
    dropped, counted (``n_nan``) and warned about. Returns ``vp`` (mean over runs), ``vp_runs``,
    ``n_pairs`` (used), ``n_nan``, ``latent_dim`` and ``chance`` (``1/latent_dim``).
    """
    diff, dims = torch.as_tensor(diff).float(), torch.as_tensor(dims)
    if diff.ndim < 2 or dims.ndim != 1 or len(diff) != len(dims):
        raise ValueError(f"VP needs differences (n, ...) and dims (n,) with the same n, got {tuple(diff.shape)} "
                         f"and {tuple(dims.shape)}")
    if dims.is_floating_point() and (not torch.isfinite(dims).all() or not torch.equal(dims, dims.round())):
        raise ValueError("dims must hold integer latent indices (the dimension changed in each pair)")
    dims = dims.long()
    if len(dims) and int(dims.min()) < 0:
        raise ValueError(f"dims must be >= 0, got {int(dims.min())}")
    if latent_dim is None:
        latent_dim = int(dims.max()) + 1 if len(dims) else 0
    elif len(dims) and int(dims.max()) >= latent_dim:
        raise ValueError(f"dims go up to {int(dims.max())} but latent_dim is {latent_dim}")
    _check_settings(latent_dim, train_fraction, runs, epochs)
    ok = torch.isfinite(diff.reshape(len(diff), -1)).all(1)
    n_nan = int((~ok).sum())
    if n_nan:
        warnings.warn(f"VP: {n_nan} of {len(diff)} pairs contain NaN/inf and were excluded",
                      NonFiniteSamplesWarning, stacklevel=2)
    x, y = diff[ok], dims[ok]
    n_train = _check_split(len(y), latent_dim, train_fraction)
    scores = _runs(x, y, latent_dim, n_train, runs, seed, epochs, batch_size, lr, progress)
    return {"vp": float(sum(scores) / len(scores)), "vp_runs": scores, "n_pairs": len(y), "n_nan": n_nan,
            "latent_dim": latent_dim, "chance": 1.0 / latent_dim}


def vp_score(
    G: Callable[[torch.Tensor], torch.Tensor],
    latent_dim: int,
    n_pairs: int = 10000,
    train_fraction: float = 0.1,
    runs: int = 3,
    seed: int = 0,
    epochs: int = 30,
    batch_size: int = 32,
    lr: float = 1e-3,
    prior: Prior = "normal",
    delta: float | None = None,
    progress: bool = False,
    return_runs: bool = False,
) -> float | tuple[float, list[float]]:
    """Variation Predictability of ``G`` (Zhu et al., ECCV 2020), in [0, 1]; chance is ``1/latent_dim``.

    Generates ``n_pairs`` pairs with :func:`variation_pairs` (seeded by ``seed``), then for each of
    ``runs`` runs trains a fresh classifier (CNN for image outputs ``(n, C, H, W)``, MLP otherwise) on a
    random ``train_fraction`` of them for ``epochs`` epochs and records the best test accuracy over the
    epochs on the remaining pairs; returns the mean over runs, or ``(mean, per_run)`` with
    ``return_runs=True``. ``progress=True`` draws a bar on stderr (one step per run).

    Refuses ``latent_dim < 2``, a train split with fewer than :data:`MIN_TRAIN_PER_CLASS` pairs per
    latent dimension (or a test split with fewer than :data:`MIN_TEST_PER_CLASS`), and NaN/inf outputs.
    """
    _check_settings(latent_dim, train_fraction, runs, epochs)
    n_train = _check_split(n_pairs, latent_dim, train_fraction)
    x, y = variation_pairs(G, n_pairs, latent_dim, generator=torch.Generator().manual_seed(seed),
                           delta=delta, prior=prior)
    scores = _runs(x, y, latent_dim, n_train, runs, seed, epochs, batch_size, lr, progress)
    mean = float(sum(scores) / len(scores))
    return (mean, scores) if return_runs else mean
