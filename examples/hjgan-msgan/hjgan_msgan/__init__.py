"""hjgan-msgan: an example third-party plugin for hjgan_plugin.

It is found through the ``hjgan`` entry-point group (see ``pyproject.toml``) and implements three hooks:

- ``hjgan_addoption``: the option ``msgan_weight`` (flag ``--hj-msgan-weight``, ``attach(msgan_weight=...)``),
  the weight of the term; the default 0 leaves training as it is until you ask for the term.
- ``hjgan_register_adapters``: an adapter named ``"conditional"`` for a class-conditional generator
  called as ``G(z, labels)``; select it with ``attach(G, D, adapter="conditional", ...)`` and pass the
  labels after ``z``: ``session.generator_penalty(z, labels, G_z=fake)``.
- ``hjgan_generator_loss_terms``: the mode-seeking term of MSGAN (Mao et al., "Mode Seeking Generative
  Adversarial Networks for Diverse Image Synthesis", CVPR 2019), returned as ``{"msgan": tensor}``.

The batch is split into two halves ``z1, z2`` (with their labels, so each pair shares a condition when
the labels are repeated across halves, as in the MSGAN code) and

    ratio = mean|G(z1) - G(z2)| / mean|z1 - z2|,    L_ms = msgan_weight / (ratio + 1e-5)

which, added to the generator loss, rewards G for mapping different latents to different images. The
weight is an option like the built-in ones: it is recorded in the session's config (``session.state_dict()``,
StyleGAN2-ADA's ``training_options.json``). The term uses the adversarial pass's output ``G_z`` when the
caller passes it (no extra forward), else one forward of G on the whole batch.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from hjgan_plugin.adapters import Adapter
from hjgan_plugin.hookspecs import hookimpl

__version__ = "0.1.0"

OPTION = "msgan_weight"
EPS = 1e-5  # as in the MSGAN reference code


def call_conditional(G: Any, z: Tensor, labels: Tensor | None = None, *args: Any, **kwargs: Any) -> Any:
    """How the penalty passes call a class-conditional G: ``G(z, labels)``."""
    if labels is None:
        raise TypeError("the 'conditional' adapter calls G(z, labels): pass the labels after z, "
                        "e.g. session.generator_penalty(z, labels, G_z=fake)")
    return G(z, labels, *args, **kwargs)


CONDITIONAL = Adapter(
    name="conditional",
    call_generator=call_conditional,
    description="class-conditional G(z, labels) (hjgan-msgan example plugin); mirror pairing for the exchange",
)


def mode_seeking_ratio(fake: Tensor, z: Tensor) -> Tensor:
    """``mean|G(z1) - G(z2)| / mean|z1 - z2|`` over the two halves of the batch (MSGAN, Eq. 3)."""
    n = z.shape[0]
    if n < 2:
        raise ValueError(f"the MSGAN term needs a batch of at least 2 latents to split in halves, got {n}")
    half = n // 2
    f1, f2 = fake[:half], fake[half:2 * half]
    z1, z2 = z[:half], z[half:2 * half]
    return torch.mean(torch.abs(f2 - f1)) / torch.mean(torch.abs(z2 - z1))


def mode_seeking_loss(fake: Tensor, z: Tensor, weight: float = 1.0) -> Tensor:
    """``weight / (ratio + 1e-5)``: minimised by making G's outputs differ as much as its latents."""
    return weight / (mode_seeking_ratio(fake, z) + EPS)


@hookimpl
def hjgan_addoption(parser: Any) -> None:
    group = parser.getgroup("msgan", "MSGAN mode-seeking term (hjgan-msgan example plugin)")
    group.addoption("weight", type=float, default=0.0, range=">= 0",
                    help="weight of the MSGAN mode-seeking term in the generator loss; 0 = off")


@hookimpl
def hjgan_register_adapters() -> list[Adapter]:
    return [CONDITIONAL]


@hookimpl
def hjgan_generator_loss_terms(context: Any, z: Tensor, G_args: tuple, G_kwargs: dict,
                               G_z: Any) -> dict[str, Tensor] | None:
    weight = float(context.getoption(OPTION))
    if weight == 0.0:
        return None
    fake = G_z
    if fake is None:
        fake = context.call_generator(z, *G_args, **G_kwargs)
    if isinstance(fake, (list, tuple)):  # multi-output G: the image is the last activation
        fake = fake[-1]
    return {"msgan": mode_seeking_loss(fake, z, weight)}
