"""Disentanglement metrics on (latents, factors) samples.

MIG, the Mutual Information Gap (Chen et al., "Isolating Sources of Disentanglement in VAEs",
NeurIPS 2018), computed as in ``disentanglement_lib``: every latent and factor column is discretised
into equal-width histogram bins, mutual information is estimated from the joint counts (in nats), and
for each factor the gap between the two latents with the largest mutual information is divided by the
factor's entropy; MIG is the mean over factors. Here the factors are continuous, so they are
discretised with the same bin count as the latents [ours].
"""
from __future__ import annotations

import numpy as np


def _as_2d_numpy(a, name: str) -> np.ndarray:
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise ValueError(f"{name} must be (n_samples, n_columns), got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or inf")
    return a


def discretize(values, bins: int = 20) -> np.ndarray:
    """Equal-width histogram discretisation of each column of ``(n, m)`` values into ``bins`` codes.

    The edges span each column's min..max (``np.histogram``); the maximum falls in the last bin and a
    constant column gets a single code. Returns int codes ``(n, m)`` in ``[0, bins)``.
    """
    v = _as_2d_numpy(values, "values")
    if bins < 1:
        raise ValueError(f"bins must be >= 1, got {bins}")
    out = np.empty(v.shape, dtype=np.int64)
    for j in range(v.shape[1]):
        edges = np.histogram(v[:, j], bins=bins)[1]
        out[:, j] = np.clip(np.digitize(v[:, j], edges[1:-1]), 0, bins - 1)
    return out


def discrete_entropy(codes) -> np.ndarray:
    """Entropy (nats) of each column of ``(n, m)`` integer codes; shape ``(m,)``."""
    c = np.asarray(codes)
    if c.ndim == 1:
        c = c[:, None]
    ent = np.empty(c.shape[1])
    for j in range(c.shape[1]):
        p = np.unique(c[:, j], return_counts=True)[1] / c.shape[0]
        ent[j] = -(p * np.log(p)).sum()
    return ent


def discrete_mutual_info(codes_a, codes_b) -> np.ndarray:
    """Plug-in mutual information (nats) between every column of ``codes_a`` ``(n, p)`` and of
    ``codes_b`` ``(n, q)``; shape ``(p, q)``."""
    a = np.asarray(codes_a)
    b = np.asarray(codes_b)
    a = a[:, None] if a.ndim == 1 else a
    b = b[:, None] if b.ndim == 1 else b
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"sample counts differ: {a.shape[0]} vs {b.shape[0]}")
    n = a.shape[0]
    mi = np.empty((a.shape[1], b.shape[1]))
    for i in range(a.shape[1]):
        ua, ia = np.unique(a[:, i], return_inverse=True)
        for j in range(b.shape[1]):
            ub, ib = np.unique(b[:, j], return_inverse=True)
            joint = np.zeros((len(ua), len(ub)))
            np.add.at(joint, (ia.ravel(), ib.ravel()), 1.0)
            pxy = joint / n
            px = pxy.sum(1, keepdims=True)
            py = pxy.sum(0, keepdims=True)
            nz = pxy > 0
            mi[i, j] = float((pxy[nz] * np.log(pxy[nz] / (px @ py)[nz])).sum())
    return np.maximum(mi, 0.0)


def mig(latents, factors, bins: int = 20, return_per_factor: bool = False):
    """Mutual Information Gap of ``latents`` ``(n, d)`` against ground-truth ``factors`` ``(n, K)``.

    ``MIG = mean_k (I(z_(1); v_k) − I(z_(2); v_k)) / H(v_k)`` where ``z_(1)``, ``z_(2)`` are the
    latents with the largest and second-largest mutual information with factor ``v_k``. Both inputs
    are discretised with :func:`discretize` (``bins`` equal-width bins). With a single latent the gap
    is the top mutual information itself; a constant factor (zero entropy) is skipped. Returns a float
    in [0, 1], or ``(mig, per_factor_gaps)`` with ``return_per_factor=True``.
    """
    z = discretize(latents, bins)
    v = discretize(factors, bins)
    if z.shape[0] != v.shape[0]:
        raise ValueError(f"latents and factors need the same number of samples: {z.shape[0]} vs {v.shape[0]}")
    mi = discrete_mutual_info(z, v)  # (d, K)
    ent = discrete_entropy(v)  # (K,)
    top = np.sort(mi, axis=0)[::-1]
    second = top[1] if top.shape[0] > 1 else np.zeros(top.shape[1])
    keep = ent > 0
    if not keep.any():
        raise ValueError("every factor is constant: MIG is undefined")
    per_factor = np.full(ent.shape, np.nan)
    per_factor[keep] = (top[0][keep] - second[keep]) / ent[keep]
    value = float(np.nanmean(per_factor))
    return (value, per_factor) if return_per_factor else value
