"""Mode-collapse metrics: mode coverage / high-quality fraction / reverse KL on known mixtures, and NDB/JSD.

Mixture protocol (VEEGAN, Srivastava et al. NeurIPS 2017 §5; PacGAN, Lin et al. NeurIPS 2018 Table 1
and its released ``MetricLogger``):

* each sample is assigned to its nearest mixture mean (Euclidean, equal to the Mahalanobis distance for
  the equal isotropic components used here);
* it is *high quality* (HQ) if that distance is within ``threshold_std · std`` (3 std in both papers);
* a mode is *covered* if at least ``min_count`` HQ samples are assigned to it (the papers use
  ``min_count=1``, the "loose" count; ``min_count=20`` is our "strict" count);
* reverse KL is ``KL(p_gen ‖ uniform)`` over modes, with ``p_gen`` the HQ samples' mode histogram (as the
  PacGAN ``MetricLogger`` builds its coverage histogram from HQ samples only).

NDB/JSD (Richardson & Weiss, "On GANs and GMMs", NeurIPS 2018, §4 and the authors' ``ndb.py``): K-means
bins on training samples, a pooled two-proportion z-test per bin, NDB = number of bins whose proportions
differ at level ``alpha``; JSD between the two bin histograms in **nats** (natural log; ≤ ln 2).

Inputs may be torch tensors, numpy arrays or nested lists; everything is computed in float64 numpy.
Rows containing NaN or ±inf are excluded and counted (``n_nan``); a ``mixture`` that is not a
``Mixture`` raises ``TypeError``; every other bad input raises ``ValueError`` with the shape or count
that was expected.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..datasets.mixtures import Mixture

__all__ = [
    "NDB_MIN_SAMPLES_PER_BIN",
    "assign_modes",
    "jensen_shannon_divergence",
    "kmeans",
    "mode_coverage",
    "ndb_jsd",
    "reverse_kl_uniform",
    "two_proportion_z_test",
]

# ndb_jsd needs at least this many samples per bin in each set (train >= 10·k and generated >= 10·k)
# [ours: the z-test's normal approximation needs a handful of expected counts per bin; the authors'
# demo uses 100·k training and 10·k query samples].
NDB_MIN_SAMPLES_PER_BIN = 10


# --------------------------------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------------------------------
def _to_numpy(a: Any, name: str) -> np.ndarray:
    if hasattr(a, "detach"):
        a = a.detach().cpu().double().numpy()
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{name} must be a numeric array, got {type(a).__name__}: {e}") from e
    return arr


def _as_samples(a: Any, name: str, dim: int | None = None) -> np.ndarray:
    """A float64 ``(n, d)`` array; ``dim`` fixes d. Non-finite rows are kept (callers split them off)."""
    arr = _to_numpy(a, name)
    want = f"(n, {dim})" if dim is not None else "(n, d)"
    if arr.ndim != 2 or (dim is not None and arr.shape[1] != dim) or arr.shape[1] < 1:
        raise ValueError(f"{name} must have shape {want}, got {tuple(arr.shape)}")
    return arr


def _split_finite(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(finite rows, boolean mask of the finite rows)``: a row with any NaN/inf is dropped."""
    ok = np.isfinite(x).all(axis=1)
    return x[ok], ok


def _check_mixture(mixture: Any) -> Mixture:
    if not isinstance(mixture, Mixture):
        raise TypeError(f"mixture must be a hjgan_plugin.datasets.Mixture, got {type(mixture).__name__}")
    return mixture


def _check_positive(value: Any, name: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return v


def _check_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def _sq_dists(x: np.ndarray, c: np.ndarray, chunk: int = 65536) -> tuple[np.ndarray, np.ndarray]:
    """Nearest centre and squared Euclidean distance to it for every row of ``x`` (chunked)."""
    idx = np.empty(x.shape[0], dtype=np.int64)
    d2 = np.empty(x.shape[0], dtype=np.float64)
    cc = (c * c).sum(1)
    for s in range(0, x.shape[0], chunk):
        xs = x[s : s + chunk]
        d = (xs * xs).sum(1)[:, None] - 2.0 * xs @ c.T + cc[None, :]
        j = d.argmin(1)
        idx[s : s + chunk] = j
        # exact distance to the chosen centre (the expanded form loses precision near 0)
        diff = xs - c[j]
        d2[s : s + chunk] = (diff * diff).sum(1)
    return idx, d2


# --------------------------------------------------------------------------------------------------
# mixtures: VEEGAN §5 / PacGAN Table 1
# --------------------------------------------------------------------------------------------------
def assign_modes(samples: Any, mixture: Mixture, threshold_std: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Nearest mode and high-quality mask of each sample (VEEGAN §5, PacGAN ``MetricLogger``).

    ``samples``: ``(n, mixture.dim)`` (``(n, 2)`` for ring/grid). ``threshold_std``: HQ radius in units
    of ``mixture.std`` (default ``mixture.threshold_std`` = 3). A sample is HQ iff
    ``‖x − μ_nearest‖ ≤ threshold_std · std``.

    Returns ``(mode_index (n,) int64, hq (n,) bool)``. Rows with NaN/inf get index ``-1`` and
    ``hq=False``.
    """
    mixture = _check_mixture(mixture)
    t = mixture.threshold_std if threshold_std is None else _check_positive(threshold_std, "threshold_std")
    x = _as_samples(samples, "samples", dim=mixture.dim)
    centers = mixture.centers.double().numpy()
    finite, ok = _split_finite(x)
    idx = np.full(x.shape[0], -1, dtype=np.int64)
    hq = np.zeros(x.shape[0], dtype=bool)
    if finite.shape[0]:
        j, d2 = _sq_dists(finite, centers)
        idx[ok] = j
        hq[ok] = d2 <= (t * mixture.std) ** 2
    return idx, hq


def reverse_kl_uniform(counts: Any) -> float:
    """``KL(p ‖ uniform) = Σ_i p_i log(K p_i) = log K − H(p)`` in nats, ``p = counts / Σ counts`` over
    ``K = len(counts)`` modes (PacGAN Table 1 "reverse KL"). Empty modes contribute 0 (0·log 0 = 0), so the
    value lies in ``[0, log K]`` (``log K`` when one mode holds everything). Zero total count: ``inf``
    (the divergence is undefined; ``inf`` sorts a generator with no HQ sample below every collapsed one).
    """
    c = _to_numpy(counts, "counts")
    if c.ndim != 1 or c.shape[0] < 1:
        raise ValueError(f"counts must be a 1-D array with >= 1 mode, got shape {tuple(c.shape)}")
    if not np.all(np.isfinite(c)) or np.any(c < 0):
        raise ValueError("counts must be finite and >= 0")
    total = c.sum()
    if total == 0:
        return math.inf
    p = c[c > 0] / total
    return float(max(0.0, np.sum(p * np.log(p * c.shape[0]))))


def mode_coverage(
    samples: Any, mixture: Mixture, min_count: int = 1, threshold_std: float | None = None
) -> dict[str, Any]:
    """Mode coverage, HQ fraction and reverse KL of generated ``samples`` on ``mixture``.

    Returns a dict:

    * ``modes``: number of modes with ``>= min_count`` HQ samples (``min_count=1``: the papers' loose
      count; ``min_count=20``: our strict count);
    * ``hq_fraction``: HQ samples / ``n`` (finite samples only; a caller who wants NaN rows to count as
      failures can use ``n_hq / (n + n_nan)``);
    * ``reverse_kl``: ``reverse_kl_uniform(counts)`` -- KL(HQ mode histogram ‖ uniform) in nats; modes with
      no HQ sample contribute 0 (so a generator covering 1 of K modes scores exactly ``log K``); ``inf``
      when there is no HQ sample at all;
    * ``counts``: HQ samples per mode, ``(K,)`` int64 numpy array; ``n_hq``: their sum;
    * ``n``: finite samples used; ``n_nan``: rows with NaN/inf, excluded from everything above;
    * ``n_modes``: K; ``min_count``.

    Raises ``ValueError`` for a shape other than ``(n, mixture.dim)``, no finite sample at all
    (needs >= 1), ``min_count < 1`` or an invalid ``threshold_std``.
    """
    mixture = _check_mixture(mixture)
    min_count = _check_int(min_count, "min_count", 1)
    x = _as_samples(samples, "samples", dim=mixture.dim)
    idx, hq = assign_modes(x, mixture, threshold_std)
    n_nan = int((idx < 0).sum())
    n = x.shape[0] - n_nan
    if n < 1:
        raise ValueError(
            f"mode_coverage needs >= 1 finite sample, got {x.shape[0]} rows of which {n_nan} contain NaN/inf"
        )
    counts = np.bincount(idx[hq], minlength=mixture.n_modes).astype(np.int64)
    n_hq = int(counts.sum())
    return {
        "modes": int((counts >= min_count).sum()),
        "hq_fraction": n_hq / n,
        "reverse_kl": reverse_kl_uniform(counts),
        "counts": counts,
        "n_hq": n_hq,
        "n": n,
        "n_nan": n_nan,
        "n_modes": mixture.n_modes,
        "min_count": min_count,
    }


# --------------------------------------------------------------------------------------------------
# NDB / JSD: Richardson & Weiss 2018
# --------------------------------------------------------------------------------------------------
def kmeans(
    x: Any, k: int, seed: int = 0, max_iter: int = 100, tol: float = 1e-8
) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic Lloyd K-means with k-means++ seeding (Arthur & Vassilvitskii 2007), numpy only.

    ``x``: finite ``(n, d)``, ``n >= k``. The same ``seed`` gives the same result. An empty cluster is
    re-seeded at the point farthest from its assigned centre. Stops after ``max_iter`` iterations (100,
    as the NDB authors' scikit-learn call) or when no centre moves more than ``tol`` (relative to the
    data's scale). Returns ``(centers (k, d), labels (n,))`` with labels = nearest final centre.
    """
    x = _as_samples(x, "x")
    if not np.all(np.isfinite(x)):
        raise ValueError("kmeans input contains NaN or inf")
    k = _check_int(k, "k", 1)
    max_iter = _check_int(max_iter, "max_iter", 1)
    n = x.shape[0]
    if n < k:
        raise ValueError(f"kmeans needs >= k = {k} samples, got {n}")
    rng = np.random.default_rng(seed)
    # k-means++ seeding
    centers = np.empty((k, x.shape[1]))
    centers[0] = x[rng.integers(n)]
    d2 = ((x - centers[0]) ** 2).sum(1)
    for i in range(1, k):
        tot = d2.sum()
        j = int(rng.choice(n, p=d2 / tot)) if tot > 0 else int(rng.integers(n))
        centers[i] = x[j]
        d2 = np.minimum(d2, ((x - centers[i]) ** 2).sum(1))
    scale = float(np.abs(x - x.mean(0)).max()) or 1.0
    labels, dist2 = _sq_dists(x, centers)
    for _ in range(max_iter):
        new = np.zeros_like(centers)
        np.add.at(new, labels, x)
        sizes = np.bincount(labels, minlength=k)
        empty = np.flatnonzero(sizes == 0)
        nonempty = sizes > 0
        new[nonempty] /= sizes[nonempty, None]
        far = np.argsort(-dist2)
        for e, j in zip(empty, far):
            new[e] = x[j]
        shift = float(np.abs(new - centers).max())
        centers = new
        labels, dist2 = _sq_dists(x, centers)
        if shift <= tol * scale:
            break
    return centers, labels


def two_proportion_z_test(
    p1: Any, n1: int, p2: Any, n2: int, alpha: float = 0.05
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pooled two-proportion z-test per bin (Richardson & Weiss 2018 §4; the authors' ``ndb.py``).

    ``p̂ = (p1 n1 + p2 n2)/(n1 + n2)``, ``SE = sqrt(p̂(1−p̂)(1/n1 + 1/n2))``, ``z = (p1 − p2)/SE``,
    two-sided p-value ``erfc(|z|/√2)``. Returns ``(z, p_values, different = p_values < alpha)``. A bin
    with ``p̂ ∈ {0, 1}`` (SE = 0, both proportions equal) gets ``z = 0``, p-value 1, not different.
    """
    a1, a2 = _to_numpy(p1, "p1"), _to_numpy(p2, "p2")
    if a1.shape != a2.shape:
        raise ValueError(f"p1 and p2 must have the same shape, got {a1.shape} and {a2.shape}")
    n1 = _check_int(n1, "n1", 1)
    n2 = _check_int(n2, "n2", 1)
    alpha = _check_alpha(alpha)
    p = (a1 * n1 + a2 * n2) / (n1 + n2)
    se = np.sqrt(np.clip(p * (1.0 - p), 0.0, None) * (1.0 / n1 + 1.0 / n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, (a1 - a2) / np.where(se > 0, se, 1.0), 0.0)
    from scipy.special import erfc

    pv = erfc(np.abs(z) / math.sqrt(2.0))
    return z, pv, pv < alpha


def jensen_shannon_divergence(p: Any, q: Any) -> float:
    """``JSD(p, q) = ½ KL(p ‖ m) + ½ KL(q ‖ m)``, ``m = (p + q)/2``, in nats (natural log, in
    ``[0, ln 2]``) -- the "JS" of Richardson & Weiss 2018. ``p`` and ``q`` are histograms (counts or
    proportions; each is normalised to sum 1)."""
    a, b = _to_numpy(p, "p"), _to_numpy(q, "q")
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"p and q must be 1-D histograms of the same length, got {a.shape} and {b.shape}")
    for v, name in ((a, "p"), (b, "q")):
        if not np.all(np.isfinite(v)) or np.any(v < 0) or v.sum() <= 0:
            raise ValueError(f"{name} must be finite, >= 0 and have a positive sum")
    a, b = a / a.sum(), b / b.sum()
    m = 0.5 * (a + b)

    def kl(u: np.ndarray) -> float:
        pos = u > 0
        return float(np.sum(u[pos] * np.log(u[pos] / m[pos])))

    return max(0.0, 0.5 * kl(a) + 0.5 * kl(b))


def _check_alpha(alpha: Any) -> float:
    try:
        a = float(alpha)
    except (TypeError, ValueError):
        raise ValueError(f"alpha must be a number in (0, 1), got {alpha!r}") from None
    if not (0.0 < a < 1.0):
        raise ValueError(f"alpha must be a number in (0, 1), got {alpha!r}")
    return a


def ndb_jsd(
    train: Any, generated: Any, k: int = 100, alpha: float = 0.05, seed: int = 0
) -> dict[str, Any]:
    """NDB and JSD of ``generated`` against ``train`` (Richardson & Weiss, "On GANs and GMMs", 2018).

    1. ``kmeans(train_finite, k, seed)`` gives ``k`` bins (K = 100 in the paper);
    2. both sets are assigned to their nearest bin centre; proportions ``P_train``, ``P_gen``;
    3. ``two_proportion_z_test`` per bin at level ``alpha``; NDB = number of different bins;
    4. JSD(P_train, P_gen) in nats.

    Under the null (same distribution) NDB ≈ ``alpha·k`` (bins are slightly correlated).
    ``train`` ``(n_train, d)`` and ``generated`` ``(n_gen, d)`` must share ``d``; each needs
    ``>= NDB_MIN_SAMPLES_PER_BIN·k`` finite rows (10·k) [ours]. NaN/inf rows are excluded and reported.
    No whitening (the authors' default).

    Returns ``{"ndb", "ndb_over_k", "jsd", "k", "alpha", "different_bins" (k,) bool, "z" (k,),
    "p_values" (k,), "train_proportions", "generated_proportions", "centers" (k, d), "n_train", "n",
    "n_nan_train", "n_nan"}`` (``n``/``n_nan``: generated rows used/excluded).
    """
    k = _check_int(k, "k", 2)
    alpha = _check_alpha(alpha)
    tr = _as_samples(train, "train")
    ge = _as_samples(generated, "generated")
    if tr.shape[1] != ge.shape[1]:
        raise ValueError(
            f"train and generated must have the same feature dimension d, got {tr.shape[1]} and {ge.shape[1]}"
        )
    tr_f, tr_ok = _split_finite(tr)
    ge_f, ge_ok = _split_finite(ge)
    need = NDB_MIN_SAMPLES_PER_BIN * k
    for arr, raw, name in ((tr_f, tr, "train"), (ge_f, ge, "generated")):
        if arr.shape[0] < need:
            raise ValueError(
                f"ndb_jsd needs >= {NDB_MIN_SAMPLES_PER_BIN}*k = {need} finite {name} samples for k = {k} "
                f"bins, got {arr.shape[0]} (of {raw.shape[0]} rows); lower k or pass more samples"
            )
    centers, tr_lab = kmeans(tr_f, k, seed=seed)
    ge_lab, _ = _sq_dists(ge_f, centers)
    p_tr = np.bincount(tr_lab, minlength=k) / tr_f.shape[0]
    p_ge = np.bincount(ge_lab, minlength=k) / ge_f.shape[0]
    z, pv, diff = two_proportion_z_test(p_tr, tr_f.shape[0], p_ge, ge_f.shape[0], alpha)
    ndb = int(diff.sum())
    return {
        "ndb": ndb,
        "ndb_over_k": ndb / k,
        "jsd": jensen_shannon_divergence(p_tr, p_ge),
        "k": k,
        "alpha": alpha,
        "different_bins": diff,
        "z": z,
        "p_values": pv,
        "train_proportions": p_tr,
        "generated_proportions": p_ge,
        "centers": centers,
        "n_train": int(tr_f.shape[0]),
        "n": int(ge_f.shape[0]),
        "n_nan_train": int((~tr_ok).sum()),
        "n_nan": int((~ge_ok).sum()),
    }
