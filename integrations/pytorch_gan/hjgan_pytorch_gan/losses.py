"""Each script's adversarial losses, read off ``implementations/<model>/<model>.py`` at 36d3c77.

- :data:`GENERATOR_LOSSES`: the generator's loss per sample, the one the script averages into ``g_loss``
  (before its mean), for plugins that weight samples by D's verdict (top-k).
- :data:`DISCRIMINATOR_LOSSES`: the script's ``d_loss`` on a real and a fake batch, for plugins that take D's
  steps themselves (the unrolled GAN). Only unconditional Ds with a closed-form loss: cgan's D judges real
  and fake images under different labels, wgan_gp's loss has its gradient penalty on interpolates.

Models missing from a table (acgan's and sgan's auxiliary terms, infogan's, the autoencoder Ds of
began/ebgan, aae's encoder loss) have no such loss, and plugins that need it refuse them."""
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


def bce_discriminator(D: Any, real: Tensor, fake: Tensor) -> Tensor:
    """``(BCELoss()(D(real_imgs), valid) + BCELoss()(D(gen_imgs), fake)) / 2`` (gan, dcgan, bgan)."""
    p_real, p_fake = D(real), D(fake)
    return (F.binary_cross_entropy(p_real, torch.ones_like(p_real))
            + F.binary_cross_entropy(p_fake, torch.zeros_like(p_fake))) / 2


def mse_discriminator(D: Any, real: Tensor, fake: Tensor) -> Tensor:
    """``0.5 * (MSELoss()(D(real_imgs), valid) + MSELoss()(D(gen_imgs), fake))`` (lsgan)."""
    return 0.5 * ((D(real) - 1.0).pow(2).mean() + D(fake).pow(2).mean())


DISCRIMINATOR_LOSSES: dict[str, Callable[..., Tensor]] = {
    "gan": bce_discriminator, "dcgan": bce_discriminator, "bgan": bce_discriminator, "lsgan": mse_discriminator,
}
