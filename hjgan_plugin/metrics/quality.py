"""FID, KID and IS on the FID Inception-v3 (:mod:`.inception`), with the user's weights file.

Statistics (each defined on features, so they can be checked without the network):

* **FID** (Heusel et al. 2017): Fréchet distance between Gaussians fitted to the pool3 (2048-d)
  features of real and generated images, :func:`.digits.frechet_distance` (pytorch-fid's numerics).
* **KID** (Bińkowski et al., "Demystifying MMD GANs", ICLR 2018): the unbiased MMD² estimate with the
  cubic polynomial kernel ``k(x, y) = (γ x·y + c0)^3``, ``γ = 1/d``, ``c0 = 1``, averaged over
  ``subsets`` random subsets of ``subset_size`` samples drawn without replacement from each set;
  mean and std over subsets. Defaults and subset draws (``np.random.RandomState(seed)``, seed 2020)
  follow torch-fidelity: 100 subsets of 1000.
* **IS** (Salimans et al. 2016): ``exp(E_x KL(p(y|x) ‖ p(y)))`` on the 1008-way softmax of the
  *unbiased* logits (pool3 · Wᵀ, as the original TF code), computed on each of ``splits`` (10) chunks
  of the shuffled samples (seed 2020, as torch-fidelity); mean and std over the splits, and the
  per-split scores (the paper's Table 1 tests them for significance: :mod:`.significance`).

Inputs: images ``(n, 3, H, W)`` or grayscale ``(n, 1, H, W)``, any size (resized to 299 like TF 1.x),
uint8 or floats in ``value_range`` (default ``(0, 1)``). Images with NaN/inf are dropped, counted
(``n_nan_*``) and warned about. Numbers computed this way are comparable with torch-fidelity's and
the original TF code's; pytorch-fid resizes with PyTorch's bilinear and differs slightly.
"""
from __future__ import annotations

import os
import warnings
from collections.abc import Sequence

import numpy as np
import torch

from .digits import FewSamplesWarning, NonFiniteSamplesWarning, frechet_distance
from .inception import (
    FIDInceptionV3,
    inception_features,
    load_inception,
    to_inception_input,
)
from .progress import ProgressBar

__all__ = [
    "IS_SPLITS",
    "KID_SUBSETS",
    "KID_SUBSET_SIZE",
    "fid",
    "fid_from_features",
    "inception_score",
    "inception_score_from_logits",
    "kid",
    "kid_from_features",
    "polynomial_mmd2_unbiased",
    "quality_scores",
]

KID_SUBSETS = 100
KID_SUBSET_SIZE = 1000
IS_SPLITS = 10
SEED = 2020  # torch-fidelity's default rng_seed (KID subsets, IS shuffle)
# IS on fewer generated images than this gets a FewSamplesWarning [ours: 10 splits of 500; the paper
# (Table 1) and the original IS use 10k-50k].
IS_RECOMMENDED_SAMPLES = 5000


def _features(a: object, name: str) -> tuple[np.ndarray, int]:
    """``(n, d)`` float64 finite rows of ``a`` and the count of dropped NaN/inf rows (warned about)."""
    x = a.detach().cpu().double().numpy() if isinstance(a, torch.Tensor) else np.asarray(a, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] < 1:
        raise ValueError(f"{name} features must be (n, d), got shape {tuple(x.shape)}")
    ok = np.isfinite(x).all(axis=1)
    n_bad = int((~ok).sum())
    if n_bad:
        warnings.warn(f"{name}: {n_bad} of {len(x)} samples contain NaN/inf and were excluded",
                      NonFiniteSamplesWarning, stacklevel=3)
    return x[ok], n_bad


def _same_dim(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"real and fake features must have the same dimension, got {a.shape[1]} and {b.shape[1]}")


# -- FID --------------------------------------------------------------------------------------------
def fid_from_features(real: object, fake: object, min_samples: int | None = None) -> float:
    """FID between feature sets ``(n, d)``: ``‖μ_r − μ_f‖² + Tr(Σ_r + Σ_f − 2 (Σ_r Σ_f)^½)`` (Heusel et al.
    2017, Eq. 6), with unbiased covariances.

    Each set needs ``min_samples`` finite rows, by default ``d + 1`` (2049 for pool3) so that the
    covariance has full rank; below that the estimate is dominated by the ``sqrtm`` fallback. FID is
    biased upwards for small n: compare values only at equal n (published FIDs use 50k; 10k is common).
    """
    r, _ = _features(real, "real")
    f, _ = _features(fake, "fake")
    _same_dim(r, f)
    need = r.shape[1] + 1 if min_samples is None else max(int(min_samples), 2)
    for name, x in (("real", r), ("fake", f)):
        if len(x) < need:
            raise ValueError(f"FID: {name} has {len(x)} finite samples; a full-rank {r.shape[1]}-d covariance "
                             f"needs at least {need} (use >= 10000; published FIDs use 50000)")
    return frechet_distance(r.mean(0), np.cov(r, rowvar=False), f.mean(0), np.cov(f, rowvar=False))


# -- KID --------------------------------------------------------------------------------------------
def polynomial_mmd2_unbiased(x: np.ndarray, y: np.ndarray, degree: int = 3, gamma: float | None = None,
                             coef0: float = 1.0) -> float:
    """Unbiased MMD² of two equal-size samples ``(m, d)`` with ``k(a, b) = (γ a·b + c0)^degree``:

        MMD²_u = Σ_{i≠j} k(x_i, x_j) / (m(m−1)) + Σ_{i≠j} k(y_i, y_j) / (m(m−1)) − 2 Σ_{i,j} k(x_i, y_j) / m²

    (Gretton et al. 2012, Eq. 3 with the cross term over all pairs, as in Bińkowski et al. 2018 and
    torch-fidelity's ``mmd2``). ``gamma`` defaults to ``1/d``.
    """
    m = x.shape[0]
    gamma = 1.0 / x.shape[1] if gamma is None else gamma
    k_xx = (x @ x.T * gamma + coef0) ** degree
    k_yy = (y @ y.T * gamma + coef0) ** degree
    k_xy = (x @ y.T * gamma + coef0) ** degree
    within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return float(within - 2.0 * k_xy.sum() / (m * m))


def kid_from_features(real: object, fake: object, subsets: int = KID_SUBSETS, subset_size: int = KID_SUBSET_SIZE,
                      degree: int = 3, gamma: float | None = None, coef0: float = 1.0, seed: int = SEED,
                      progress: bool = False) -> dict[str, float | list[float]]:
    """KID: mean and std of :func:`polynomial_mmd2_unbiased` over ``subsets`` random subsets.

    Subset ``i`` takes ``subset_size`` rows of each set without replacement, drawn with
    ``np.random.RandomState(seed)`` in torch-fidelity's order (real, then fake). Returns ``kid_mean``,
    ``kid_std`` (population std over subsets) and ``kid_subsets`` (each subset's MMD²). Small negative
    values are valid (the estimator is unbiased). Raises ``ValueError`` when ``subset_size`` exceeds a
    set's finite samples.
    """
    r, _ = _features(real, "real")
    f, _ = _features(fake, "fake")
    _same_dim(r, f)
    if subsets < 1:
        raise ValueError(f"KID needs subsets >= 1, got {subsets}")
    if subset_size < 2:
        raise ValueError(f"KID subset_size must be >= 2 (the unbiased estimate divides by m(m-1)), got {subset_size}")
    if subset_size > min(len(r), len(f)):
        raise ValueError(f"KID subset size {subset_size} is larger than the samples (real {len(r)}, fake {len(f)}): "
                         f"use subset_size <= {min(len(r), len(f))} (--kid-subset-size) or give at least "
                         f"{subset_size} samples per set")
    rng = np.random.RandomState(seed)
    values = []
    with ProgressBar(subsets, "KID subsets", enabled=progress) as bar:
        for _ in range(subsets):
            a = r[rng.choice(len(r), subset_size, replace=False)]
            b = f[rng.choice(len(f), subset_size, replace=False)]
            values.append(polynomial_mmd2_unbiased(a, b, degree=degree, gamma=gamma, coef0=coef0))
            bar.update()
    return {"kid_mean": float(np.mean(values)), "kid_std": float(np.std(values)), "kid_subsets": values}


# -- IS ---------------------------------------------------------------------------------------------
def inception_score_from_logits(logits: object, splits: int = IS_SPLITS, shuffle: bool = True,
                                seed: int = SEED) -> dict[str, float | list[float]]:
    """Inception Score of class logits ``(n, C)``: per split ``exp(mean_x Σ_y p(y|x) (log p(y|x) − log p(y)))``
    with ``p(y)`` the split's mean prediction (Salimans et al. 2016, Sec. 4).

    Samples are shuffled with ``np.random.RandomState(seed).permutation`` (torch-fidelity's order)
    unless ``shuffle=False``, then cut into ``splits`` chunks ``[i n/splits, (i+1) n/splits)``. Returns
    ``is_mean``, ``is_std`` (population std over splits) and ``is_splits``. Uniform predictions give
    1; confident predictions spread evenly over K classes give K.
    """
    x, _ = _features(logits, "logits")
    if splits < 1:
        raise ValueError(f"IS needs splits >= 1, got {splits}")
    n = len(x)
    if n < splits:
        raise ValueError(f"IS with {splits} splits needs at least {splits} finite samples (one per split), got {n}; "
                         f"use >= {IS_RECOMMENDED_SAMPLES}")
    if shuffle:
        x = x[np.random.RandomState(seed).permutation(n)]
    logp = torch.from_numpy(x).log_softmax(dim=1)
    scores = []
    for i in range(splits):
        chunk = logp[i * n // splits:(i + 1) * n // splits]
        log_py = chunk.exp().mean(0).log()
        kl = (chunk.exp() * (chunk - log_py)).sum(1).mean()
        scores.append(float(kl.exp()))
    return {"is_mean": float(np.mean(scores)), "is_std": float(np.std(scores)), "is_splits": scores}


# -- images -> scores ---------------------------------------------------------------------------------
def _model(inception: FIDInceptionV3 | None, weights: str | os.PathLike | None) -> FIDInceptionV3:
    return inception if inception is not None else load_inception(weights)


def quality_scores(fake: torch.Tensor, real: torch.Tensor | None = None, *,
                   metrics: Sequence[str] = ("fid", "kid", "is"),
                   inception: FIDInceptionV3 | None = None, weights: str | os.PathLike | None = None,
                   value_range: tuple[float, float] = (0.0, 1.0), real_value_range: tuple[float, float] | None = None,
                   fid_feature: str = "2048", fid_min_samples: int | None = None,
                   kid_subsets: int = KID_SUBSETS, kid_subset_size: int = KID_SUBSET_SIZE,
                   is_splits: int = IS_SPLITS, seed: int = SEED, batch_size: int = 50,
                   progress: bool = False) -> dict[str, object]:
    """FID/KID (``fake`` against ``real``) and IS (``fake``) of image tensors, one Inception pass per set.

    ``inception``: a loaded :class:`FIDInceptionV3`; otherwise ``weights`` (or ``$HJGAN_INCEPTION_WEIGHTS``)
    is loaded with :func:`.inception.load_inception` (a missing file raises ``FileNotFoundError``
    naming ``pt_inception-2015-12-05-6726825d.pth`` and where it comes from). ``fid_feature`` picks the
    FID layer (``"2048"`` standard; ``"64"``/``"192"``/``"768"`` are pytorch-fid's smaller ``--dims``,
    reported as ``fid_<dims>``). Returns a dict with ``n_fake``, ``n_nan_fake`` (and ``n_real``,
    ``n_nan_real``), then ``fid``, ``kid_mean``/``kid_std``/``kid_subsets``, ``is_mean``/``is_std``/
    ``is_splits`` for the metrics asked for. ``progress`` draws bars on stderr.
    """
    metrics = tuple(metrics)
    unknown = set(metrics) - {"fid", "kid", "is"}
    if unknown or not metrics:
        raise ValueError(f"metrics must be a non-empty subset of ('fid', 'kid', 'is'), got {metrics}")
    if {"fid", "kid"} & set(metrics) and real is None:
        raise ValueError("FID and KID compare against real images: pass real=")
    fake_x, n_nan_fake = to_inception_input(fake, value_range, "fake images")
    real_x = n_nan_real = None
    if real is not None and {"fid", "kid"} & set(metrics):
        real_x, n_nan_real = to_inception_input(real, real_value_range or value_range, "real images")
    for name, count, total in (("fake", n_nan_fake, len(fake_x) + n_nan_fake),
                               ("real", n_nan_real, None if real_x is None else len(real_x) + (n_nan_real or 0))):
        if count:
            warnings.warn(f"{name} images: {count} of {total} contain NaN/inf and were excluded",
                          NonFiniteSamplesWarning, stacklevel=2)
    feats_fake = [f for f, m in ((fid_feature, "fid"), ("2048", "kid"), ("logits_unbiased", "is")) if m in metrics]
    feats_real = [f for f, m in ((fid_feature, "fid"), ("2048", "kid")) if m in metrics]
    feats_fake, feats_real = list(dict.fromkeys(feats_fake)), list(dict.fromkeys(feats_real))
    _check_sizes(metrics, len(fake_x), None if real_x is None else len(real_x), fid_feature, fid_min_samples,
                 kid_subset_size, is_splits)
    model = _model(inception, weights)
    if "is" in metrics and len(fake_x) < IS_RECOMMENDED_SAMPLES:
        warnings.warn(f"IS on {len(fake_x)} images: use >= {IS_RECOMMENDED_SAMPLES} (published IS uses 50000)",
                      FewSamplesWarning, stacklevel=2)
    out: dict[str, object] = {"n_fake": len(fake_x), "n_nan_fake": n_nan_fake}
    f_fake = inception_features(model, fake_x, feats_fake, batch_size, progress, "Inception features (fake)")
    f_real = {}
    if real_x is not None:
        out.update(n_real=len(real_x), n_nan_real=n_nan_real)
        f_real = inception_features(model, real_x, feats_real, batch_size, progress, "Inception features (real)")
    if "fid" in metrics:
        key = "fid" if fid_feature == "2048" else f"fid_{fid_feature}"
        out[key] = fid_from_features(f_real[fid_feature], f_fake[fid_feature], min_samples=fid_min_samples)
    if "kid" in metrics:
        out.update(kid_from_features(f_real["2048"], f_fake["2048"], kid_subsets, kid_subset_size, seed=seed,
                                     progress=progress))
    if "is" in metrics:
        out.update(inception_score_from_logits(f_fake["logits_unbiased"], is_splits, seed=seed))
    return out


def _check_sizes(metrics: Sequence[str], n_fake: int, n_real: int | None, fid_feature: str,
                 fid_min_samples: int | None, kid_subset_size: int, is_splits: int) -> None:
    """Refuse too few images before the (slow) Inception passes, saying how many are needed."""
    if fid_feature not in ("64", "192", "768", "2048"):
        raise ValueError(f"fid_feature must be '64', '192', '768' or '2048', got {fid_feature!r}")
    if "fid" in metrics:
        need = int(fid_feature) + 1 if fid_min_samples is None else max(int(fid_min_samples), 2)
        for name, n in (("real", n_real), ("fake", n_fake)):
            if n is not None and n < need:
                raise ValueError(f"FID: {name} has {n} finite images; a full-rank {fid_feature}-d covariance "
                                 f"needs at least {need} (use >= 10000; published FIDs use 50000)")
    if "kid" in metrics and n_real is not None and kid_subset_size > min(n_real, n_fake):
        raise ValueError(f"KID subset size {kid_subset_size} is larger than the images (real {n_real}, fake "
                         f"{n_fake}): use subset_size <= {min(n_real, n_fake)} (--kid-subset-size) or give at "
                         f"least {kid_subset_size} images per set")
    if "is" in metrics and n_fake < is_splits:
        raise ValueError(f"IS with {is_splits} splits needs at least {is_splits} finite images, got {n_fake}; "
                         f"use >= {IS_RECOMMENDED_SAMPLES}")


def fid(real: torch.Tensor, fake: torch.Tensor, **kwargs: object) -> float:
    """FID of image tensors (see :func:`quality_scores` for the keyword arguments)."""
    out = quality_scores(fake, real, metrics=("fid",), **kwargs)
    return float(next(v for k, v in out.items() if k.startswith("fid")))


def kid(real: torch.Tensor, fake: torch.Tensor, **kwargs: object) -> dict[str, object]:
    """KID ``{kid_mean, kid_std, kid_subsets}`` of image tensors (keywords of :func:`quality_scores`)."""
    out = quality_scores(fake, real, metrics=("kid",), **kwargs)
    return {k: out[k] for k in ("kid_mean", "kid_std", "kid_subsets")}


def inception_score(fake: torch.Tensor, **kwargs: object) -> dict[str, object]:
    """IS ``{is_mean, is_std, is_splits}`` of image tensors (keywords of :func:`quality_scores`)."""
    out = quality_scores(fake, None, metrics=("is",), **kwargs)
    return {k: out[k] for k in ("is_mean", "is_std", "is_splits")}
