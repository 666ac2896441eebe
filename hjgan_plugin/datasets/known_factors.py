"""The known-factor image sets, by name: what each renders and how a read-out predicts its factors back.

A :class:`FactorSet` is data plus three small functions: ``sample(n, generator)`` draws factor rows,
``render(factors, size)`` draws them (images in [0, 1], ``(n, C, size, size)``), and ``encode`` /
``decode`` turn factor rows into what a regressor predicts (regression targets in [0, 1], plus class
labels for a categorical factor) and back. ``scores(factors)`` gives the columns the disentanglement
metrics use: each factor in [0, 1], with an angle that an image shows only up to a symmetry turned into
its phase in that symmetry's period.

=============  ========  ===================================================  ==========================
name           channels  factors                                              renderer
=============  ========  ===================================================  ==========================
``dsprites``   1         shape (3 classes), scale, rotation, x, y             :mod:`.dsprites`
``shaded``     3         x, y, radius, light azimuth, hue                     :mod:`.shaded`
``shaded-grey``  1       x, y, radius, light azimuth                          :mod:`.shaded`
=============  ========  ===================================================  ==========================
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch

from . import dsprites, shaded

Encoded = tuple[torch.Tensor, torch.Tensor | None]


@dataclass(frozen=True)
class FactorSet:
    """One known-factor image set (see the module docstring)."""

    name: str
    channels: int
    factor_names: tuple[str, ...]
    sample: Callable[[int, torch.Generator | None], torch.Tensor]
    render: Callable[[torch.Tensor, int], torch.Tensor]
    encode: Callable[[torch.Tensor], Encoded]
    decode: Callable[[torch.Tensor, torch.Tensor | None], torch.Tensor]
    scores: Callable[[torch.Tensor], torch.Tensor]
    n_targets: int
    n_classes: int = 0
    description: str = ""


def _unit(values: torch.Tensor, lo: float, hi: float) -> torch.Tensor:
    return (values - lo) / (hi - lo)


def _from_unit(values: torch.Tensor, lo: float, hi: float) -> torch.Tensor:
    return lo + values.clamp(0, 1) * (hi - lo)


# -- dSprites ------------------------------------------------------------------------------------------
_SYMMETRY = torch.tensor([4.0, 2.0, 1.0])  # rotations that map square, ellipse, heart onto themselves


def _dsprites_encode(factors: torch.Tensor) -> Encoded:
    shape = factors[:, 0].round().long()
    m = _SYMMETRY[shape]
    angle = m * factors[:, 2]  # the angle the image shows, as a full turn of its symmetry period
    (lo_s, hi_s), (lo_x, hi_x), (lo_y, hi_y) = (dsprites.FACTOR_RANGES[i] for i in (1, 3, 4))
    targets = torch.stack([_unit(factors[:, 1], lo_s, hi_s), (torch.cos(angle) + 1) / 2,
                           (torch.sin(angle) + 1) / 2, _unit(factors[:, 3], lo_x, hi_x),
                           _unit(factors[:, 4], lo_y, hi_y)], 1)
    return targets, shape


def _dsprites_decode(targets: torch.Tensor, logits: torch.Tensor | None) -> torch.Tensor:
    shape = logits.argmax(1)
    angle = torch.atan2(targets[:, 2] * 2 - 1, targets[:, 1] * 2 - 1) % (2 * math.pi)
    (lo_s, hi_s), (lo_x, hi_x), (lo_y, hi_y) = (dsprites.FACTOR_RANGES[i] for i in (1, 3, 4))
    return torch.stack([shape.float(), _from_unit(targets[:, 0], lo_s, hi_s), angle / _SYMMETRY[shape],
                        _from_unit(targets[:, 3], lo_x, hi_x), _from_unit(targets[:, 4], lo_y, hi_y)], 1)


def _dsprites_scores(factors: torch.Tensor) -> torch.Tensor:
    shape = factors[:, 0].round().long().clamp(0, 2)
    phase = (factors[:, 2] * _SYMMETRY[shape] / (2 * math.pi)) % 1.0
    (lo_s, hi_s), (lo_x, hi_x), (lo_y, hi_y) = (dsprites.FACTOR_RANGES[i] for i in (1, 3, 4))
    return torch.stack([shape.float() / 2, _unit(factors[:, 1], lo_s, hi_s), phase,
                        _unit(factors[:, 3], lo_x, hi_x), _unit(factors[:, 4], lo_y, hi_y)], 1)


DSPRITES = FactorSet(
    name="dsprites", channels=1, factor_names=dsprites.FACTOR_NAMES,
    sample=lambda n, generator=None: dsprites.sample_factors(n, generator),
    render=lambda factors, size: dsprites.render(factors, size),
    encode=_dsprites_encode, decode=_dsprites_decode, scores=_dsprites_scores, n_targets=5, n_classes=3,
    description="one white square, ellipse or heart on black (dSprites' five factors), grey",
)


# -- shaded balls --------------------------------------------------------------------------------------
def _shaded(channels: int) -> FactorSet:
    names = shaded.factor_names(channels)
    ranges = [shaded.RANGES[k] for k in names]

    def encode(factors: torch.Tensor) -> Encoded:
        return torch.stack([_unit(factors[:, i], *ranges[i]) for i in range(len(names))], 1), None

    def decode(targets: torch.Tensor, logits: torch.Tensor | None) -> torch.Tensor:
        return torch.stack([_from_unit(targets[:, i], *ranges[i]) for i in range(len(names))], 1)

    return FactorSet(
        name="shaded" if channels == 3 else "shaded-grey", channels=channels, factor_names=names,
        sample=lambda n, generator=None: shaded.sample_factors(n, channels, generator),
        render=lambda factors, size: shaded.render(factors, size, channels),
        encode=encode, decode=decode, scores=lambda factors: encode(factors)[0], n_targets=len(names),
        description=("a Lambertian-shaded ball of one hue, lit from a moving direction, RGB" if channels == 3
                     else "a Lambertian-shaded white ball lit from a moving direction, grey"),
    )


FACTOR_SETS: dict[str, FactorSet] = {s.name: s for s in (DSPRITES, _shaded(3), _shaded(1))}
"""Every known-factor set, by name."""


def factor_set(name: str) -> FactorSet:
    """The set called ``name``; an unknown name is refused with the known ones."""
    try:
        return FACTOR_SETS[name]
    except KeyError:
        raise ValueError(f"unknown known-factor set {name!r}: expected one of {', '.join(FACTOR_SETS)}") from None
