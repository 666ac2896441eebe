"""DCI: Disentanglement, Completeness and Informativeness of latents against ground-truth factors.

Eastwood & Williams, "A Framework for the Quantitative Evaluation of Disentangled Representations",
ICLR 2018. For each factor ``z_j`` a regressor predicts it from all latents ``c``; the regressor's
importance of latent ``c_i`` for ``z_j`` fills an importance matrix ``R`` (``D`` latents × ``K``
factors), from which (paper §3, with ``H_K`` the entropy with logarithms in base ``K``)::

    P_ij  = R_ij / Σ_k R_ik                  latent i's importance distribution over factors
    D_i   = 1 − H_K(P_i·) = 1 + Σ_k P_ik log_K P_ik              disentanglement of latent i
    ρ_i   = Σ_j R_ij / Σ_ij R_ij                                  relative importance of latent i
    D     = Σ_i ρ_i D_i                                           overall disentanglement
    P̃_ij  = R_ij / Σ_d R_dj                  factor j's importance distribution over latents
    C_j   = 1 − H_D(P̃_·j) = 1 + Σ_d P̃_dj log_D P̃_dj             completeness of factor j
    C     = (1/K) Σ_j C_j                                         overall completeness (paper: mean)
    I_j   = prediction quality of factor j on held-out data       informativeness

Regressors (``regressor=``):

* ``"gbt"`` (default): scikit-learn ``GradientBoostingRegressor`` per factor, ``R_·j`` its impurity
  feature importances (each column sums to 1). This is the regressor of ``disentanglement_lib``
  (Locatello et al. 2019), the field's reference implementation, which uses the classifier variant on
  dSprites' discrete factors; ours are continuous, hence the regressor. It captures non-linear,
  non-monotonic relations, which our generators' latents have to the factors read from images.
* ``"lasso"``: the paper's own linear choice, ``R_ij = |W_ij|`` of a Lasso fit on standardised
  latents and factors (deterministic, much faster, but blind to non-linear relations).

Informativeness is reported as the mean **test R²** over factors (1 = perfect, ≈ 0 or below = no
information; higher is better), with the per-factor normalised RMSE ``√MSE / std(z_j)`` (the paper's
error, lower is better, ``= √(1 − R²)``) in ``"errors"``. Samples are split once into train and test
(``train_fraction``), seeded.
"""
from __future__ import annotations

import numpy as np

from .disentanglement import _as_2d_numpy

MIN_TRAIN = 20
"""Fewest training samples :func:`dci` accepts."""

MIN_TEST = 10
"""Fewest test samples :func:`dci` accepts."""


def _entropy_base(p: np.ndarray, base: int, axis: int) -> np.ndarray:
    """``H_base(p) = −Σ p log_base p`` along ``axis`` with ``0 log 0 = 0``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(p) / np.log(base), 0.0)
    return -terms.sum(axis=axis)


def disentanglement_from_importance(R: np.ndarray) -> tuple[float, np.ndarray]:
    """Overall ``D = Σ_i ρ_i (1 − H_K(P_i·))`` and per-latent ``D_i`` from ``R`` (latents × factors)."""
    R = np.abs(np.asarray(R, dtype=np.float64))
    row = R.sum(1)
    if row.sum() <= 0:
        return 0.0, np.zeros(R.shape[0])
    safe = np.where(row > 0, row, 1.0)[:, None]
    per_latent = 1.0 - _entropy_base(R / safe, R.shape[1], axis=1)
    per_latent = np.where(row > 0, per_latent, 0.0)  # an unused latent has ρ_i = 0 anyway
    rho = row / row.sum()
    return float((rho * per_latent).sum()), per_latent


def completeness_from_importance(R: np.ndarray) -> tuple[float, np.ndarray]:
    """Overall ``C = mean_j (1 − H_D(P̃_·j))`` and per-factor ``C_j`` from ``R`` (latents × factors).

    A factor no latent is important for (zero column) gets ``C_j = 0``.
    """
    R = np.abs(np.asarray(R, dtype=np.float64))
    col = R.sum(0)
    safe = np.where(col > 0, col, 1.0)[None, :]
    per_factor = 1.0 - _entropy_base(R / safe, R.shape[0], axis=0)
    per_factor = np.where(col > 0, per_factor, 0.0)
    return float(per_factor.mean()), per_factor


def _check_finite(a, name: str) -> None:
    """Raise with the number of samples (rows) that contain NaN or inf."""
    arr = np.asarray(a.detach().cpu().numpy() if hasattr(a, "detach") else a, dtype=np.float64)
    if arr.ndim == 0 or arr.size == 0:
        return
    bad = ~np.isfinite(arr.reshape(arr.shape[0], -1)).all(1)
    if bad.any():
        raise ValueError(f"{name}: {int(bad.sum())} of {arr.shape[0]} samples contain NaN or inf")


def _standardise(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mu = train.mean(0)
    sd = train.std(0)
    sd = np.where(sd > 0, sd, 1.0)
    return (train - mu) / sd, (test - mu) / sd


def importance_matrix(c_train: np.ndarray, z_train: np.ndarray, c_test: np.ndarray, z_test: np.ndarray,
                      regressor: str = "gbt", seed: int = 0, alpha: float = 0.01,
                      n_estimators: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Fit one regressor per factor; return ``R`` ``(D, K)`` and per-factor test R² ``(K,)``.

    Latents and factors are standardised with the training split's mean and std (needed for Lasso's
    ``|W|`` to compare latents; harmless for trees).
    """
    c_tr, c_te = _standardise(c_train, c_test)
    z_tr, z_te = _standardise(z_train, z_test)
    n_latents, n_factors = c_tr.shape[1], z_tr.shape[1]
    R = np.zeros((n_latents, n_factors))
    r2 = np.zeros(n_factors)
    for j in range(n_factors):
        if regressor == "gbt":
            from sklearn.ensemble import GradientBoostingRegressor
            model = GradientBoostingRegressor(n_estimators=n_estimators, random_state=seed)
            model.fit(c_tr, z_tr[:, j])
            R[:, j] = model.feature_importances_
        elif regressor == "lasso":
            from sklearn.linear_model import Lasso
            model = Lasso(alpha=alpha)
            model.fit(c_tr, z_tr[:, j])
            R[:, j] = np.abs(model.coef_)
        else:
            raise ValueError(f"regressor must be 'gbt' or 'lasso', got {regressor!r}")
        pred = model.predict(c_te)
        ss_res = float(((z_te[:, j] - pred) ** 2).sum())
        ss_tot = float(((z_te[:, j] - z_te[:, j].mean()) ** 2).sum())
        r2[j] = 1.0 - ss_res / ss_tot if ss_tot > 0 else 0.0
    return R, r2


def dci(latents, factors, train_fraction: float = 0.8, regressor: str = "gbt", seed: int = 0,
        alpha: float = 0.01, n_estimators: int = 100) -> dict:
    """DCI scores of ``latents`` ``(n, D)`` against ground-truth ``factors`` ``(n, K)``.

    Returns a dict: ``disentanglement`` and ``completeness`` in [0, 1], ``informativeness`` (mean
    test R² over factors), ``errors`` (per-factor test NRMSE), ``r2`` (per-factor test R²),
    ``per_latent_disentanglement``, ``per_factor_completeness`` and ``importance`` (``R``, D × K).
    See the module docstring for the formulas and the regressors.

    Refuses mismatched sample counts, NaN/inf values (counted), fewer than 2 latents or 2 factors
    (the entropies use log base K and base D), constant factors, and fewer than :data:`MIN_TRAIN`
    train or :data:`MIN_TEST` test samples.
    """
    _check_finite(latents, "latents")
    _check_finite(factors, "factors")
    c = _as_2d_numpy(latents, "latents")
    z = _as_2d_numpy(factors, "factors")
    if c.shape[0] != z.shape[0]:
        raise ValueError(f"latents and factors need the same number of samples: {c.shape[0]} vs {z.shape[0]}")
    if c.shape[1] < 2 or z.shape[1] < 2:
        raise ValueError(f"DCI needs at least 2 latents and 2 factors (entropies in base K and D), "
                         f"got {c.shape[1]} latents and {z.shape[1]} factors")
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(f"train_fraction must be in (0, 1), got {train_fraction}")
    n = c.shape[0]
    n_train = int(train_fraction * n)  # floor
    if n_train < MIN_TRAIN or n - n_train < MIN_TEST:
        need = next(m for m in range(1, 10**9)
                    if int(train_fraction * m) >= MIN_TRAIN and m - int(train_fraction * m) >= MIN_TEST)
        raise ValueError(f"too few samples for DCI: {n} give {n_train} train / {n - n_train} test, need at "
                         f"least {MIN_TRAIN} / {MIN_TEST}: use n >= {need} at train_fraction={train_fraction}")
    constant = np.flatnonzero(z.std(0) == 0)
    if constant.size:
        raise ValueError(f"factor column(s) {constant.tolist()} are constant: nothing to predict")
    perm = np.random.default_rng(seed).permutation(n)
    tr, te = perm[:n_train], perm[n_train:]
    R, r2 = importance_matrix(c[tr], z[tr], c[te], z[te], regressor=regressor, seed=seed, alpha=alpha,
                              n_estimators=n_estimators)
    d_all, d_per = disentanglement_from_importance(R)
    c_all, c_per = completeness_from_importance(R)
    return {
        "disentanglement": d_all,
        "completeness": c_all,
        "informativeness": float(r2.mean()),
        "r2": r2,
        "errors": np.sqrt(np.clip(1.0 - r2, 0.0, None)),
        "per_latent_disentanglement": d_per,
        "per_factor_completeness": c_per,
        "importance": R,
    }
