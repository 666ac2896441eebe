"""The small image classifiers the project trains itself for its offline scores (docs/design.md §10).

:class:`SmallClassifier` holds what the digit and Fashion-MNIST classifiers share: a seeded CNN
(``body`` -> features, ``head`` -> logits), a deterministic Adam training loop, batched inference and
``save``/``load``. A subclass names its images (``kind``, ``image_shape``), builds its layers
(:meth:`SmallClassifier.build`), says where its labelled data comes from (:meth:`SmallClassifier.split`)
and may resize its inputs (:meth:`SmallClassifier.prepare`).
"""
from __future__ import annotations

import os
import warnings
from typing import Any, ClassVar

import torch
from torch import nn

from .progress import ProgressBar


class SmallClassifier:
    """A small CNN trained on a labelled split, images in ``[0, 1]``; see the subclasses."""

    kind: ClassVar[str] = "image"          # the word the messages use ("digit", "Fashion-MNIST")
    image_shape: ClassVar[tuple[int, int, int]] = (1, 8, 8)
    feature_dim: ClassVar[int] = 64

    def __init__(self, seed: int = 0, epochs: int = 15, batch_size: int = 64, lr: float = 1e-3,
                 device: str | torch.device = "cpu") -> None:
        self.seed, self.epochs, self.batch_size, self.lr = seed, epochs, batch_size, lr
        self.device = torch.device(device)
        with torch.random.fork_rng(devices=[]):  # seeded init without touching the global RNG
            torch.manual_seed(seed)
            self.body, self.head = self.build()
        self.model = nn.Sequential(self.body, self.head).to(self.device)
        self.fitted = False

    # -- what a subclass defines --------------------------------------------------------------------
    def build(self) -> tuple[nn.Module, nn.Module]:
        """``(body, head)``: images -> ``feature_dim`` features -> class logits."""
        raise NotImplementedError

    def split(self, name: str) -> tuple[torch.Tensor, torch.Tensor]:
        """Images ``(m, *image_shape)`` in ``[0, 1]`` and int64 labels of the split ``name``."""
        raise NotImplementedError

    def prepare(self, images: torch.Tensor) -> torch.Tensor:
        """Check the shape of ``images`` (``(n, C, H, W)`` or ``(n, H, W)``) and bring them to ``image_shape``."""
        images = torch.as_tensor(images)
        if images.ndim == 3:
            images = images.unsqueeze(1)
        if images.ndim != 4 or tuple(images.shape[1:]) != self.image_shape:
            full, plane = (", ".join(map(str, shape)) for shape in (self.image_shape, self.image_shape[1:]))
            raise ValueError(f"{self.kind} images must be (n, {full}) or (n, {plane}), "
                             f"got shape {tuple(images.shape)}")
        return images

    # -- training -----------------------------------------------------------------------------------
    def fit(self, progress: bool = False, split: str = "train") -> "SmallClassifier":
        """Train on ``split``; deterministic for a given ``seed``. Returns ``self``.
        ``progress=True`` draws a bar (one step per epoch) on stderr."""
        x, y = self.split(split)
        x, y = x.to(self.device, torch.float32), y.to(self.device)
        gen = torch.Generator().manual_seed(self.seed)
        opt = torch.optim.Adam(self.model.parameters(), lr=self.lr)
        self.model.train()
        bar = ProgressBar(self.epochs, f"{self.kind} classifier epochs", enabled=progress)
        for _ in range(self.epochs):
            order = torch.randperm(len(y), generator=gen).to(self.device)
            for start in range(0, len(y), self.batch_size):
                idx = order[start : start + self.batch_size]
                loss = nn.functional.cross_entropy(self.model(x[idx]), y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
            bar.update()
        bar.close()
        self.model.eval()
        self.fitted = True
        return self

    # -- inference ----------------------------------------------------------------------------------
    def _input(self, images: torch.Tensor) -> torch.Tensor:
        if not self.fitted:
            raise RuntimeError(f"{type(self).__name__} is not trained: call fit() or "
                               f"{type(self).__name__}.load(path)")
        images = self.prepare(images)
        _warn_if_out_of_range(images, self.kind)
        return images.to(self.device, torch.float32)

    @torch.no_grad()
    def _batched(self, net: nn.Module, images: torch.Tensor, chunk: int = 4096) -> torch.Tensor:
        x = self._input(images)
        return torch.cat([net(x[i : i + chunk]) for i in range(0, len(x), chunk)]) if len(x) else net(x)

    def logits(self, images: torch.Tensor) -> torch.Tensor:
        """Class logits ``(n, 10)`` of images in ``[0, 1]``."""
        return self._batched(self.model, images)

    def predict(self, images: torch.Tensor) -> torch.Tensor:
        """Predicted class ``(n,)`` int64 of images in ``[0, 1]``."""
        return self.logits(images).argmax(dim=1)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """Penultimate-layer features ``(n, feature_dim)`` (pre-ReLU) of images in ``[0, 1]``."""
        return self._batched(self.body, images)

    def accuracy(self, split: str = "test") -> float:
        """Fraction of ``split`` (``"test"``: held out) classified correctly."""
        x, y = self.split(split)
        return float((self.predict(x).cpu() == y).double().mean())

    # -- persistence --------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Write the state dict and hyper-parameters to ``path`` (``torch.save``)."""
        if not self.fitted:
            raise RuntimeError(f"refusing to save an untrained {type(self).__name__}: call fit() first")
        torch.save({"state_dict": self.model.state_dict(), "config": self.config(),
                    "class": type(self).__name__}, os.fspath(path))

    @classmethod
    def load(cls, path: str | os.PathLike, device: str | torch.device = "cpu") -> "SmallClassifier":
        """Load a classifier written by ``save``; a missing file raises ``FileNotFoundError`` naming it."""
        path = os.fspath(path)
        name = cls.__name__
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{cls.kind} classifier weights not found: {path!r}. Create them with "
                                    f"{name}(seed=0).fit().save({path!r})")
        blob = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(blob, dict) or "state_dict" not in blob or blob.get("class", name) != name:
            raise ValueError(f"{path!r} is not a {name} file written by {name}.save")
        clf = cls(**blob.get("config", {}), device=device)
        clf.model.load_state_dict(blob["state_dict"])
        clf.model.eval()
        clf.fitted = True
        return clf

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (``save`` stores them, ``load`` passes them back)."""
        return {"seed": self.seed, "epochs": self.epochs, "batch_size": self.batch_size, "lr": self.lr}


def _warn_if_out_of_range(images: torch.Tensor, kind: str, slack: float = 0.05) -> None:
    finite = images[torch.isfinite(images)]
    if finite.numel() and (finite.min() < -slack or finite.max() > 1 + slack):
        warnings.warn(f"{kind} images should lie in [0, 1] (got min {float(finite.min()):.3g}, max "
                      f"{float(finite.max()):.3g}); map tanh outputs with (x + 1) / 2", stacklevel=5)


__all__ = ["SmallClassifier"]
