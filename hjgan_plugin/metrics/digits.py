"""Digit-classifier metrics on scikit-learn's 8x8 digits: Stacked-Digits mode counting and FD-digits.

* ``DigitClassifier`` -- a small CNN the project trains itself on the ``"train"`` split of
  ``hjgan_plugin.datasets.digits`` (nothing downloads).
* ``stacked_mode_stats`` -- modes covered and reverse KL on Stacked-Digits, the Stacked-MNIST protocol
  (Metz et al., ICLR 2017; Lin et al., "PacGAN", NeurIPS 2018, Table 1) on 8x8 digits [ours]: numbers
  are not comparable with published Stacked-MNIST numbers.
* ``frechet_distance`` -- the Frechet distance between two Gaussians (Dowson & Landau 1982; Heusel et
  al., "GANs Trained by a Two Time-Scale Update Rule", NeurIPS 2017), computed as pytorch-fid does.
* ``fd_digits`` -- that distance on ``DigitClassifier`` features. This is **FD-digits, not FID**: no
  Inception network is involved, and its values are on a different scale from any published FID.

Images are expected in ``[0, 1]`` like ``load_digits_tensor``; map a tanh generator's output with
``(x + 1) / 2`` first (a warning says so when values fall well outside ``[0, 1]``).
"""
from __future__ import annotations

import warnings

import numpy as np
import torch
from scipy import linalg
from torch import nn

from hjgan_plugin.datasets.digits import N_MODES, load_digits_split, mode_index

from .classifier import SmallClassifier
from .mode_collapse import reverse_kl_uniform

# Sample count PacGAN (Lin et al. 2018, Sec. 5) uses to count Stacked-MNIST modes.
RECOMMENDED_STACKED_SAMPLES = 26_000
# Below 10 samples per mode a perfect uniform generator still misses modes by chance and the
# plug-in KL is biased upwards by about (K - 1) / (2 n) nats [ours: the warning threshold].
MIN_STACKED_SAMPLES = 10 * N_MODES


class FewSamplesWarning(UserWarning):
    """A statistic was computed from fewer samples than it needs to be meaningful."""


class NonFiniteSamplesWarning(RuntimeWarning):
    """Some samples contained NaN/inf; they were counted and excluded."""


class DigitClassifier(SmallClassifier):
    """Small CNN for 8x8 digits; ``features`` (the 64-d penultimate layer) feed FD-digits.

    Architecture: conv3x3(1->32) ReLU, conv3x3(32->64) ReLU, maxpool 2, linear(1024->64) [features, taken
    before the ReLU so no unit is dead], ReLU, linear(64->10). Trained with Adam (lr 1e-3, batch 64,
    15 epochs) on the 1438-image ``"train"`` split; weights and batch order come from ``seed`` only.

    Measured (torch 2.13 CPU, 2 shared cores): held-out ``accuracy("test")`` on the 359 test digits is
    0.9861 for seed 0 (0.9916 seed 1, 0.9833 seed 2; train accuracy 1.0); ``fit()`` takes 2-3 s.
    """

    kind = "digit"
    image_shape = (1, 8, 8)
    feature_dim = 64

    def build(self) -> tuple[nn.Module, nn.Module]:
        body = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 4 * 4, self.feature_dim),
        )
        return body, nn.Sequential(nn.ReLU(), nn.Linear(self.feature_dim, 10))

    def split(self, name: str) -> tuple[torch.Tensor, torch.Tensor]:
        """``"train"``, ``"test"`` or ``"all"`` of scikit-learn's digits (:func:`load_digits_split`)."""
        return load_digits_split(name)


def _drop_nonfinite(images: torch.Tensor, name: str) -> tuple[torch.Tensor, int]:
    """Remove images holding any NaN/inf; return the rest and how many were removed (warned about)."""
    ok = torch.isfinite(images.reshape(len(images), -1)).all(dim=1)
    n_bad = int((~ok).sum())
    if n_bad:
        warnings.warn(f"{name}: {n_bad} of {len(images)} samples contain NaN/inf and were excluded",
                      NonFiniteSamplesWarning, stacklevel=3)
    return images[ok], n_bad


# -- Stacked-Digits mode counting -------------------------------------------------------------------
def expected_modes_uniform(n: int, k: int = N_MODES) -> float:
    """Modes a perfect uniform sampler covers on average with ``n`` samples: ``k (1 - (1 - 1/k)^n)``."""
    return k * (1.0 - (1.0 - 1.0 / k) ** n)


def stacked_mode_stats(images: torch.Tensor, classifier: DigitClassifier,
                       min_samples: int = MIN_STACKED_SAMPLES,
                       confidence: float | None = None) -> dict[str, float | int]:
    """Modes covered and reverse KL of generated Stacked-Digits images ``(n, 3, 8, 8)`` in ``[0, 1]``.

    Each channel is classified; the mode is ``100*d0 + 10*d1 + d2`` (1000 modes). Returns
    ``modes`` (distinct predicted modes), ``reverse_kl`` (KL(p_gen || uniform over 1000) of the predicted
    mode histogram, nats; 0 is perfect, ln 1000 = 6.908 is a single mode), ``n`` (samples used),
    ``n_nan`` (samples with NaN/inf, excluded) and ``modes_expected_uniform`` (what a perfect uniform
    generator would cover with the same ``n``). With ``confidence`` in (0, 1], also ``confident``: the
    fraction of the finite samples whose three digits all get a top softmax probability ``>= confidence``
    (a quality gate: a diffuse generator "covers" modes when its noise gets classified), from the same
    classifier pass.

    Sample size: with ``n`` samples at most ``n`` modes can be seen, and a perfect generator covers only
    ``1000 (1 - e^(-n/1000))`` on average (632 at n=1000, 993 at n=5000), so the count is meaningful
    from about 10,000 samples; PacGAN uses 26,000. Fewer than ``min_samples`` gives a
    ``FewSamplesWarning``.
    """
    images = torch.as_tensor(images)
    if images.ndim != 4 or tuple(images.shape[1:]) != (3, 8, 8):
        raise ValueError(
            f"stacked digit images must be (n, 3, 8, 8) (three 8x8 digits per image), "
            f"got shape {tuple(images.shape)}"
        )
    if confidence is not None and not 0.0 < confidence <= 1.0:
        raise ValueError(f"stacked_mode_stats: confidence must be in (0, 1] (a softmax probability), got {confidence}")
    clean, n_nan = _drop_nonfinite(images, "stacked_mode_stats")
    n = len(clean)
    if n == 0:
        raise ValueError(f"stacked_mode_stats: no finite samples (all {n_nan} contain NaN/inf)")
    if n < min_samples:
        warnings.warn(
            f"stacked_mode_stats on {n} samples: at most {min(n, N_MODES)} of {N_MODES} modes can be "
            f"seen, a perfect generator covers ~{expected_modes_uniform(n):.0f} on average; "
            f"use >= {min_samples} (PacGAN uses {RECOMMENDED_STACKED_SAMPLES})",
            FewSamplesWarning, stacklevel=2,
        )
    probs, digits = classifier.logits(clean.reshape(n * 3, 1, 8, 8)).softmax(dim=1).max(dim=1)
    counts = torch.bincount(mode_index(digits.reshape(n, 3).cpu()), minlength=N_MODES).numpy()
    out: dict[str, float | int] = {
        "modes": int((counts > 0).sum()),
        "reverse_kl": reverse_kl_uniform(counts),
        "n": n,
        "n_nan": n_nan,
        "modes_expected_uniform": expected_modes_uniform(n),
    }
    if confidence is not None:
        out["confident"] = float((probs.reshape(n, 3) >= confidence).all(dim=1).double().mean())
    return out


# -- Frechet distance --------------------------------------------------------------------------------
def frechet_distance(mu1, sigma1, mu2, sigma2, eps: float = 1e-6) -> float:
    """Frechet distance between N(mu1, sigma1) and N(mu2, sigma2):

        d^2 = ||mu1 - mu2||^2 + Tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2))

    (Dowson & Landau 1982; Heusel et al. 2017). Numerics follow pytorch-fid's
    ``calculate_frechet_distance`` (github.com/mseitzer/pytorch-fid, src/pytorch_fid/fid_score.py): if
    ``sqrtm`` is not finite, ``eps`` is added to both diagonals; a complex result whose diagonal has
    imaginary parts above 1e-3 is an error, smaller ones are numerical noise and dropped.
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1 = np.atleast_2d(np.asarray(sigma1, np.float64))
    sigma2 = np.atleast_2d(np.asarray(sigma2, np.float64))
    if mu1.shape != mu2.shape or mu1.ndim != 1:
        raise ValueError(f"mean vectors must be 1-d and of equal length, got {mu1.shape} and {mu2.shape}")
    d = mu1.shape[0]
    if sigma1.shape != (d, d) or sigma2.shape != (d, d):
        raise ValueError(
            f"covariances must be ({d}, {d}) to match the means, got {sigma1.shape} and {sigma2.shape}"
        )
    diff = mu1 - mu2
    with warnings.catch_warnings():  # a singular product is handled below, as in pytorch-fid (disp=False)
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        covmean = linalg.sqrtm(sigma1 @ sigma2)
    if not np.isfinite(covmean).all():
        offset = np.eye(d) * eps
        covmean = linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            imag = np.max(np.abs(covmean.imag))
            raise ValueError(f"sqrtm(sigma1 sigma2) has imaginary component {imag:.3g}")
        covmean = covmean.real
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean))


def gaussian_stats(features: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``(d,)`` and unbiased covariance ``(d, d)`` of features ``(n, d)`` (float64)."""
    f = features.detach().cpu().double().numpy()
    return f.mean(axis=0), np.cov(f, rowvar=False)


def _as_digit_batch(images: torch.Tensor, name: str) -> torch.Tensor:
    images = torch.as_tensor(images)
    if images.ndim == 3:
        images = images.unsqueeze(1)
    if images.ndim != 4 or tuple(images.shape[2:]) != (8, 8):
        raise ValueError(f"{name} must be (n, C, 8, 8) or (n, 8, 8) digit images, got {tuple(images.shape)}")
    return images


def fd_digits(real: torch.Tensor, fake: torch.Tensor, classifier: DigitClassifier) -> float:
    """FD-digits: Frechet distance between ``DigitClassifier`` feature statistics of ``real`` and ``fake``.

    NOT FID: the features come from the project's own 8x8-digit CNN, not Inception-v3, so values are
    not comparable with any published FID. Images ``(n, C, 8, 8)`` (or ``(n, 8, 8)``) in ``[0, 1]``; each
    of the C channels counts as one digit image (Stacked-Digits images give 3n digits). Both sets need
    the same C and at least ``feature_dim + 1`` = 65 digit images each for a full-rank covariance
    (more is better: the estimate is biased upwards for small n; use >= 10x that). Samples with NaN/inf
    are counted, excluded and warned about.
    """
    real, fake = _as_digit_batch(real, "real"), _as_digit_batch(fake, "fake")
    if real.shape[1] != fake.shape[1]:
        raise ValueError(
            f"real and fake must have the same channels, got {real.shape[1]} and {fake.shape[1]}"
        )
    need = classifier.feature_dim + 1
    stats = []
    for name, images in (("real", real), ("fake", fake)):
        clean, _ = _drop_nonfinite(images, f"fd_digits {name}")
        digits = clean.reshape(-1, 1, 8, 8)
        if len(digits) < need:
            raise ValueError(
                f"fd_digits: {name} has {len(digits)} finite digit images; a full-rank "
                f"{classifier.feature_dim}-d covariance needs at least {need} (use >= {10 * need})"
            )
        stats.append(gaussian_stats(classifier.features(digits)))
    return frechet_distance(*stats[0], *stats[1])


__all__ = [
    "DigitClassifier",
    "FewSamplesWarning",
    "NonFiniteSamplesWarning",
    "stacked_mode_stats",
    "expected_modes_uniform",
    "frechet_distance",
    "gaussian_stats",
    "fd_digits",
]
