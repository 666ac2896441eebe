"""scikit-learn's bundled 8x8 handwritten digits as torch tensors, and a Stacked-Digits set built from them.

The images come from ``sklearn.datasets.load_digits`` (1797 images of 8x8 pixels with intensities
0..16, shipped inside scikit-learn: nothing downloads). They are scaled to ``[0, 1]``.

A fixed, seeded 80/20 split (``split_indices``) separates the images a digit classifier is trained on
(``"train"``, 1438 images) from held-out ones (``"test"``, 359 images), so the classifier that counts
modes is evaluated on digits it has not seen.

``stacked_digits`` follows the Stacked-MNIST protocol (Metz et al., "Unrolled GANs", ICLR 2017; Lin et
al., "PacGAN", NeurIPS 2018): each of three channels holds an independently drawn digit image, giving
10^3 = 1000 modes indexed ``100*d0 + 10*d1 + d2``. Unlike the original it uses scikit-learn's 8x8 digits,
not 28x28 MNIST [ours]: numbers measured on it are not comparable with published Stacked-MNIST tables.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

N_CLASSES = 10
N_STACK = 3
N_MODES = N_CLASSES**N_STACK  # 1000
SPLIT_SEED = 0
TEST_FRACTION = 0.2
_SPLITS = ("train", "test", "all")


@lru_cache(maxsize=1)
def _load_numpy() -> tuple[np.ndarray, np.ndarray]:
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(
            "hjgan_plugin.datasets.digits needs scikit-learn: pip install 'hjgan_plugin[eval]'"
        ) from e
    bunch = load_digits()
    images = (bunch.images / 16.0).astype(np.float32)  # intensities 0..16 -> [0, 1]
    return images, bunch.target.astype(np.int64)


def load_digits_tensor() -> tuple[torch.Tensor, torch.Tensor]:
    """All 1797 digits: float32 images ``(1797, 1, 8, 8)`` in ``[0, 1]`` and int64 labels ``(1797,)``."""
    images, labels = _load_numpy()
    return torch.from_numpy(images.copy()).unsqueeze(1), torch.from_numpy(labels.copy())


def split_indices(split: str = "train") -> torch.Tensor:
    """Indices of the fixed split: a seeded (``SPLIT_SEED``) permutation, last 20% is ``"test"``."""
    if split not in _SPLITS:
        raise ValueError(f"split must be one of {_SPLITS}, got {split!r}")
    n = len(_load_numpy()[1])
    perm = np.random.RandomState(SPLIT_SEED).permutation(n)  # legacy RandomState: stream is frozen
    n_test = int(round(TEST_FRACTION * n))
    idx = {"train": perm[: n - n_test], "test": perm[n - n_test :], "all": np.arange(n)}[split]
    return torch.from_numpy(np.sort(idx))


def load_digits_split(split: str = "train") -> tuple[torch.Tensor, torch.Tensor]:
    """Images ``(m, 1, 8, 8)`` and labels ``(m,)`` of one split (``"train"``, ``"test"`` or ``"all"``)."""
    images, labels = load_digits_tensor()
    idx = split_indices(split)
    return images[idx], labels[idx]


def mode_index(labels: torch.Tensor) -> torch.Tensor:
    """Stacked label ``(n, 3)`` -> mode ``100*d0 + 10*d1 + d2`` in ``[0, 1000)``."""
    if labels.ndim != 2 or labels.shape[1] != N_STACK:
        raise ValueError(f"labels must be (n, {N_STACK}), got shape {tuple(labels.shape)}")
    weights = torch.tensor([N_CLASSES**2, N_CLASSES, 1], dtype=torch.int64, device=labels.device)
    return (labels.long() * weights).sum(dim=1)


def stacked_digits(
    n: int, generator: torch.Generator | None = None, split: str = "train"
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``n`` Stacked-Digits images: Stacked-MNIST (Metz et al. 2017; PacGAN, Lin et al. 2018) on
    scikit-learn's 8x8 digits instead of MNIST.

    Each of the 3 channels is an independent uniform draw from the digit images of ``split``.
    Returns images ``(n, 3, 8, 8)`` float32 in ``[0, 1]``, labels ``(n, 3)`` int64 and the mode index
    ``100*d0 + 10*d1 + d2`` ``(n,)`` (1000 modes). Pass a seeded ``generator`` for reproducibility.
    """
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    images, labels = load_digits_split(split)
    pick = torch.randint(len(labels), (n, N_STACK), generator=generator)
    stacked = images[pick, 0]  # (n, 3, 8, 8)
    stacked_labels = labels[pick]  # (n, 3)
    return stacked, stacked_labels, mode_index(stacked_labels)


__all__ = [
    "N_MODES",
    "load_digits_tensor",
    "load_digits_split",
    "split_indices",
    "mode_index",
    "stacked_digits",
]
