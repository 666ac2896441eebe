"""Scores on the project's own Fashion-MNIST classifier: IS-fashion and FD-fashion (docs/design.md §10).

* :class:`FashionClassifier` -- a small CNN trained on the 60 000-image training split of a folder of
  Fashion-MNIST IDX files (Debian's ``dataset-fashion-mnist``, torchvision's ``raw/``, or the original
  files; nothing downloads).
* :func:`is_fashion` -- the Inception Score's formula (Salimans et al. 2016) on this classifier's ten
  class probabilities. **IS-fashion, not IS**: no Inception network is involved; 1 is the floor and 10
  (confident, evenly spread over the ten classes) the ceiling.
* :func:`fd_fashion` -- the Fréchet distance (Heusel et al. 2017) between Gaussians fitted to this
  classifier's 128-d features. **FD-fashion, not FID**: its scale is its own.

Images are ``(n, 1, H, W)`` (or ``(n, H, W)``) in ``[0, 1]``. The classifier works at one ``size`` (28, the
data's own, by default; any multiple of 4): it is trained on the training images resized to it, and
resizes what it scores to it (bilinear, antialiased, :func:`resize`). Score a 16x16 generator with a
``size=16`` classifier, and compare it with real images that went through the same resizing.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

from hjgan_plugin.datasets.idx import DEBIAN_FASHION_MNIST, find_mnist_files, read_idx

from .classifier import SmallClassifier
from .digits import _drop_nonfinite, frechet_distance, gaussian_stats
from .quality import inception_score_from_logits

SIZE = 28
SPLITS = {"train": ("train-images", "train-labels"), "test": ("t10k-images", "t10k-labels")}


def load_fashion_split(split: str = "train", folder: str | os.PathLike = DEBIAN_FASHION_MNIST
                       ) -> tuple[torch.Tensor, torch.Tensor]:
    """Images ``(m, 1, 28, 28)`` float32 in ``[0, 1]`` and int64 labels of ``"train"`` or ``"test"`` (t10k)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {sorted(SPLITS)}, got {split!r}")
    try:
        files = find_mnist_files(folder)
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"{exc}; on Debian: apt-get install dataset-fashion-mnist "
                                f"(files in {DEBIAN_FASHION_MNIST})") from None
    images, labels = (read_idx(files[key], ndim) for key, ndim in zip(SPLITS[split], (3, 1)))
    x = torch.from_numpy(images.astype("float32") / 255.0).unsqueeze(1)
    return x, torch.from_numpy(labels.astype("int64"))


def resize(images: torch.Tensor, size: int = SIZE) -> torch.Tensor:
    """``(n, C, H, W)`` -> ``(n, C, size, size)``, bilinear and antialiased (as torchvision's ``Resize`` on
    tensors); unchanged when already that size."""
    if images.shape[-2:] == (size, size):
        return images
    return nn.functional.interpolate(images.float(), size=(size, size), mode="bilinear", antialias=True,
                                     align_corners=False)


class FashionClassifier(SmallClassifier):
    """Small CNN for 28x28 Fashion-MNIST; ``features`` (the 128-d penultimate layer) feed FD-fashion.

    Architecture: conv3x3(1->32) ReLU maxpool 2, conv3x3(32->64) ReLU maxpool 2, linear(64 (size/4)^2
    -> 128) [features, pre-ReLU], ReLU, linear(128->10). Adam (lr 1e-3, batch 128, 3 epochs) on the
    training split of ``folder`` at ``size``; weights and batch order come from ``seed`` only.

    Measured (torch 2.13 CPU, 2 cores, seed 0): held-out accuracy on the 10 000 t10k images 0.896 at
    size 28 (``fit()`` 95 s); see ``docs/benchmarks/pytorch_gan_table1.md`` for size 16.
    """

    kind = "Fashion-MNIST"
    feature_dim = 128

    def __init__(self, seed: int = 0, epochs: int = 3, batch_size: int = 128, lr: float = 1e-3,
                 device: str | torch.device = "cpu", folder: str | os.PathLike = DEBIAN_FASHION_MNIST,
                 size: int = SIZE) -> None:
        if size < 4 or size % 4:
            raise ValueError(f"size must be a positive multiple of 4 (two 2x2 poolings), got {size}")
        self.folder, self.size = Path(folder), size
        self.image_shape = (1, size, size)
        super().__init__(seed=seed, epochs=epochs, batch_size=batch_size, lr=lr, device=device)

    def build(self) -> tuple[nn.Module, nn.Module]:
        body = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * (self.size // 4) ** 2, self.feature_dim),
        )
        return body, nn.Sequential(nn.ReLU(), nn.Linear(self.feature_dim, 10))

    def split(self, name: str) -> tuple[torch.Tensor, torch.Tensor]:
        """``"train"`` (60 000) or ``"test"`` (10 000) of the IDX files in ``folder``, resized to ``size``."""
        x, y = load_fashion_split(name, self.folder)
        return resize(x, self.size).clamp(0, 1), y

    def prepare(self, images: torch.Tensor) -> torch.Tensor:
        images = torch.as_tensor(images)
        if images.ndim == 3:
            images = images.unsqueeze(1)
        if images.ndim != 4 or images.shape[1] != 1:
            raise ValueError(f"Fashion-MNIST images must be (n, 1, H, W) or (n, H, W) grey images, "
                             f"got shape {tuple(images.shape)}")
        return resize(images, self.size)

    def config(self) -> dict[str, object]:
        return {**super().config(), "folder": str(self.folder), "size": self.size}


def is_fashion(images: torch.Tensor, classifier: FashionClassifier, splits: int = 10) -> dict[str, object]:
    """IS-fashion of ``images`` in ``[0, 1]``: ``exp E_x KL(p(y|x) || p(y))`` on the classifier's
    probabilities, per split (``is_mean``, ``is_std`` over splits; samples with NaN/inf excluded).
    Not an Inception Score: its range is 1 to 10."""
    clean, _ = _drop_nonfinite(torch.as_tensor(images), "is_fashion")
    return inception_score_from_logits(classifier.logits(clean).numpy(), splits=splits)


def fd_fashion(real: torch.Tensor, fake: torch.Tensor, classifier: FashionClassifier) -> float:
    """FD-fashion: Fréchet distance between the classifier's feature statistics of ``real`` and ``fake``
    (both in ``[0, 1]``, each at least ``feature_dim + 1`` = 129 finite images; use >= 10x that).
    Not FID."""
    need = classifier.feature_dim + 1
    stats = []
    for name, images in (("real", real), ("fake", fake)):
        clean, _ = _drop_nonfinite(torch.as_tensor(images), f"fd_fashion {name}")
        if len(clean) < need:
            raise ValueError(f"fd_fashion: {name} has {len(clean)} finite images; a full-rank "
                             f"{classifier.feature_dim}-d covariance needs at least {need} (use >= {10 * need})")
        stats.append(gaussian_stats(classifier.features(clean)))
    return frechet_distance(*stats[0], *stats[1])


__all__ = ["FashionClassifier", "fd_fashion", "is_fashion", "load_fashion_split", "resize"]
