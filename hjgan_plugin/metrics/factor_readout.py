"""A factor read-out for generated images: a small CNN trained only on rendered images and their factors.

:class:`FactorReadout` learns, for one known-factor set (:mod:`hjgan_plugin.datasets.known_factors`) at
one image size, to predict each image's factors back: sigmoid outputs regress the set's targets (each
factor mapped into [0, 1], an angle as its cosine and sine), and softmax logits classify a categorical
factor (dSprites' shape). It is trained on freshly rendered images (seeded) and checked on a held-out
rendered set: :meth:`FactorReadout.held_out` gives the R² of each factor's score and the accuracy of the
categorical one, which a page reports beside every number the read-out produces.

From it come, for a generator's images: the factor scores that MIG and DCI use (:meth:`scores`), the
penultimate features a Fréchet distance uses (:meth:`features`), and a validity gate (:meth:`validity`):
an image is *valid* when re-rendering the factors read from it reproduces it as well as it does for
true images: the L1 distance between the two, over the mean of their masses, is below the threshold that
:data:`VALID_QUANTILE` of held-out rendered images meet (calibrated at ``fit``, so a true image passes with
that probability whatever the set's difficulty). A blob the renderer cannot draw is then invalid whatever
factors the regressor returns for it.
"""
from __future__ import annotations

import os
from typing import Any

import torch
from torch import nn

from ..datasets.known_factors import FactorSet, factor_set
from .progress import ProgressBar

VALID_QUANTILE = 0.95
"""Fraction of held-out rendered images the validity gate passes (it sets the gate's threshold)."""


def _network(channels: int, size: int, n_out: int, width: int = 32) -> tuple[nn.Module, nn.Module]:
    layers: list[nn.Module] = []
    c, s = channels, size
    while s > 4:
        layers += [nn.Conv2d(c, width, 4, 2, 1), nn.LeakyReLU(0.2)]
        c, s, width = width, s // 2, min(width * 2, 128)
    body = nn.Sequential(*layers, nn.Flatten(), nn.Linear(c * s * s, 128))
    return body, nn.Sequential(nn.LeakyReLU(0.2), nn.Linear(128, n_out))


class FactorReadout:
    """Predicts the factors of ``factors``-set images at ``size`` pixels (see the module docstring).

    ``fit()`` trains on ``n_train`` rendered images for ``epochs`` epochs (Adam, seeded, deterministic on
    one machine); ``held_out()`` scores it on ``n_test`` others.
    """

    def __init__(self, factors: str | FactorSet, size: int = 32, seed: int = 0, n_train: int = 20000,
                 n_test: int = 2000, epochs: int = 8, batch_size: int = 128, lr: float = 1e-3) -> None:
        self.set = factor_set(factors) if isinstance(factors, str) else factors
        if size < 8 or size & (size - 1):
            raise ValueError(f"the read-out needs a power-of-two image size >= 8, got {size}")
        self.size, self.seed, self.n_train, self.n_test = size, seed, n_train, n_test
        self.epochs, self.batch_size, self.lr = epochs, batch_size, lr
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.body, self.head = _network(self.set.channels, size, self.set.n_targets + self.set.n_classes)
        self.model = nn.Sequential(self.body, self.head)
        self.fitted = False
        self.report: dict[str, Any] = {}
        self.threshold = float("nan")

    # -- data -------------------------------------------------------------------------------------------
    def rendered(self, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` rendered images and their factor rows, from draws seeded by ``seed``."""
        factors = self.set.sample(n, torch.Generator().manual_seed(seed))
        return self.set.render(factors, self.size), factors

    def _split(self, out: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        targets = torch.sigmoid(out[:, : self.set.n_targets])
        return targets, (out[:, self.set.n_targets:] if self.set.n_classes else None)

    def _loss(self, out: torch.Tensor, targets: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        pred, logits = self._split(out)
        loss = nn.functional.mse_loss(pred, targets) * self.set.n_targets
        if logits is not None:
            loss = loss + 0.1 * nn.functional.cross_entropy(logits, labels)
        return loss

    # -- training ---------------------------------------------------------------------------------------
    def fit(self, progress: bool = False) -> "FactorReadout":
        """Train on ``n_train`` rendered images; then :meth:`held_out` is filled in. Returns ``self``."""
        x, factors = self.rendered(self.n_train, self.seed)
        targets, labels = self.set.encode(factors)
        gen = torch.Generator().manual_seed(self.seed)
        opt = torch.optim.Adam(self.model.parameters(), lr=self.lr)
        steps = self.epochs * ((len(x) + self.batch_size - 1) // self.batch_size)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, self.lr, total_steps=steps)
        self.model.train()
        bar = ProgressBar(self.epochs, f"{self.set.name} read-out epochs", enabled=progress)
        for _ in range(self.epochs):
            order = torch.randperm(len(x), generator=gen)
            for start in range(0, len(x), self.batch_size):
                idx = order[start:start + self.batch_size]
                loss = self._loss(self.model(x[idx]), targets[idx], None if labels is None else labels[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
            bar.update()
        bar.close()
        self.model.eval()
        self.fitted = True
        self.report = self.held_out()
        return self

    # -- inference --------------------------------------------------------------------------------------
    def _check(self, images: torch.Tensor) -> torch.Tensor:
        if not self.fitted:
            raise RuntimeError("FactorReadout is not trained: call fit() or FactorReadout.load(path)")
        images = torch.as_tensor(images)
        want = (self.set.channels, self.size, self.size)
        if images.ndim != 4 or tuple(images.shape[1:]) != want:
            raise ValueError(f"the {self.set.name} read-out takes images (n, {', '.join(map(str, want))}) in "
                             f"[0, 1], got shape {tuple(images.shape)}")
        if not images.is_floating_point():
            raise TypeError(f"images must be floating point in [0, 1], got {images.dtype}")
        return images.float()

    @torch.no_grad()
    def _outputs(self, net: nn.Module, images: torch.Tensor, chunk: int = 2048) -> torch.Tensor:
        x = self._check(images)
        return torch.cat([net(x[i:i + chunk]) for i in range(0, len(x), chunk)]) if len(x) else net(x)

    def predict(self, images: torch.Tensor) -> torch.Tensor:
        """The factor rows read from ``images`` (in the renderer's units, re-renderable)."""
        return self.set.decode(*self._split(self._outputs(self.model, images)))

    def scores(self, images: torch.Tensor) -> torch.Tensor:
        """Each factor read from ``images`` in [0, 1] (the columns MIG and DCI use)."""
        return self.set.scores(self.predict(images))

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """The 128 penultimate features of ``images`` (for a Fréchet distance)."""
        return self._outputs(self.body, images)

    def rerender_error(self, images: torch.Tensor) -> torch.Tensor:
        """Per image: L1 distance to the re-rendering of its read factors, over the two images' mean mass."""
        images = self._check(images).clamp(0, 1)
        again = self.set.render(self.predict(images), self.size)
        mass = (images.flatten(1).sum(1) + again.flatten(1).sum(1)) / 2
        return (images - again).abs().flatten(1).sum(1) / mass.clamp(min=1e-6)

    def validity(self, images: torch.Tensor, threshold: float | None = None) -> torch.Tensor:
        """Per image: True where :meth:`rerender_error` is below ``threshold`` (default: the calibrated one)."""
        return self.rerender_error(images) < (self.threshold if threshold is None else threshold)

    def held_out(self) -> dict[str, Any]:
        """On ``n_test`` unseen rendered images: R² of each factor's score, the categorical accuracy, and the
        validity gate's threshold (calibrated here on the first half of them) with the fraction of the other
        half it passes."""
        x, factors = self.rendered(self.n_test, self.seed + 10_000)
        half = len(x) // 2
        self.threshold = float(torch.quantile(self.rerender_error(x[:half]), VALID_QUANTILE))
        true, pred = self.set.scores(factors), self.scores(x)
        r2 = 1 - ((pred - true) ** 2).mean(0) / true.var(0, unbiased=False).clamp(min=1e-12)
        out: dict[str, Any] = {"r2": {k: round(float(v), 4) for k, v in zip(self.set.factor_names, r2)}}
        if self.set.n_classes:
            logits = self._split(self._outputs(self.model, x))[1]
            labels = self.set.encode(factors)[1]
            out["accuracy"] = round(float((logits.argmax(1) == labels).double().mean()), 4)
        out["valid_threshold"] = round(self.threshold, 4)
        out["valid_real"] = round(float(self.validity(x[half:]).double().mean()), 4)
        return out

    # -- persistence ------------------------------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        """The constructor's arguments (``save`` stores them, ``load`` passes them back)."""
        return {"factors": self.set.name, "size": self.size, "seed": self.seed, "n_train": self.n_train,
                "n_test": self.n_test, "epochs": self.epochs, "batch_size": self.batch_size, "lr": self.lr}

    def save(self, path: str | os.PathLike) -> None:
        """Write the weights, the constructor's arguments and the held-out report (``torch.save``)."""
        if not self.fitted:
            raise RuntimeError("refusing to save an untrained FactorReadout: call fit() first")
        torch.save({"class": "FactorReadout", "config": self.config(), "report": self.report,
                    "state_dict": self.model.state_dict()}, os.fspath(path))

    @classmethod
    def load(cls, path: str | os.PathLike) -> "FactorReadout":
        """Load what :meth:`save` wrote; a missing or foreign file is refused by name."""
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"factor read-out not found: {path!r}; FactorReadout(name).fit().save(path) "
                                    "writes one")
        blob = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(blob, dict) or blob.get("class") != "FactorReadout":
            raise ValueError(f"{path!r} is not a FactorReadout file written by FactorReadout.save")
        readout = cls(**blob["config"])
        readout.model.load_state_dict(blob["state_dict"])
        readout.model.eval()
        readout.fitted, readout.report = True, blob.get("report", {})
        readout.threshold = float(readout.report.get("valid_threshold", float("nan")))
        return readout

    @classmethod
    def cached(cls, path: str | os.PathLike, factors: str, size: int, progress: bool = False,
               **kwargs: Any) -> "FactorReadout":
        """Load ``path`` if it holds this configuration, else fit one and save it there."""
        want = cls(factors, size, **kwargs)
        if os.path.isfile(path):
            loaded = cls.load(path)
            if loaded.config() == want.config():
                return loaded
        want.fit(progress=progress).save(path)
        return want
