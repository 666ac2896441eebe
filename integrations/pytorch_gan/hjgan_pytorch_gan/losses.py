"""Each script's generator adversarial loss per sample, for plugins that weight samples by D's verdict
(top-k): the loss the script averages into ``g_loss`` (read off ``implementations/<model>/<model>.py`` at
36d3c77), before its mean. Models missing here (acgan's and sgan's auxiliary terms, infogan's, the
autoencoder Ds of began/ebgan, aae's encoder loss) have none, and such plugins refuse them."""
from __future__ import annotations

from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import Tensor


def _per_sample(values: Tensor) -> Tensor:
    return values.reshape(len(values), -1).mean(1)


def bce(D: Any, fake: Tensor, *args: Any) -> Tensor:
    """``BCELoss()(discriminator(gen_imgs), valid)`` (gan, dcgan: D ends in a sigmoid)."""
    p = D(fake, *args)
    return _per_sample(F.binary_cross_entropy(p, torch.ones_like(p), reduction="none"))


def mse(D: Any, fake: Tensor, *args: Any) -> Tensor:
    """``MSELoss()(discriminator(gen_imgs[, labels]), valid)`` (lsgan, cgan)."""
    return _per_sample((D(fake, *args) - 1.0) ** 2)


def wasserstein(D: Any, fake: Tensor, *args: Any) -> Tensor:
    """``-torch.mean(discriminator(fake_imgs))`` (wgan_gp)."""
    return _per_sample(-D(fake, *args))


def boundary_seeking(D: Any, fake: Tensor, *args: Any) -> Tensor:
    """``0.5 * mean((log D(x) - log(1 - D(x)))²)`` (bgan's ``boundary_seeking_loss``)."""
    p = D(fake, *args)
    return _per_sample(0.5 * (torch.log(p) - torch.log(1 - p)) ** 2)


GENERATOR_LOSSES: dict[str, Callable[..., Tensor]] = {
    "gan": bce, "dcgan": bce, "lsgan": mse, "cgan": mse, "wgan_gp": wasserstein, "bgan": boundary_seeking,
}
