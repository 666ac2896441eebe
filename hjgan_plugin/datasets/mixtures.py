"""Synthetic 2D Gaussian mixtures used to measure mode collapse (the PacGAN / VEEGAN benchmarks).

Protocol sources:

* VEEGAN (Srivastava et al., NeurIPS 2017, §5 "Synthetic datasets"): a ring of 8 and a grid of 25 2D
  Gaussians; a generated sample is *high quality* if it lies within 3 standard deviations of the nearest
  mode; a mode is *captured* if it is the nearest mode of at least one high-quality sample; 2500
  generated samples per trained model.
* PacGAN (Lin et al., NeurIPS 2018, Table 1), whose released configs (``fjxmlzn/PacGAN``,
  ``synthetic_data_experiments/2DRing_GAN&PacGAN/config.py`` and ``2DGrid_GAN&PacGAN/config.py``) use:
  ring means ``(cos 2πi/8, sin 2πi/8)`` (radius **1**) with std **0.01**; grid means
  ``{-4,-2,0,2,4}²`` (spacing 2) with std **0.05**; uniform mode priors; threshold 3 std (Mahalanobis
  distance to the nearest mean, ``dis_thre=3`` in its ``MetricLogger``).

Defaults here:

* ``ring``: 8 modes, radius **2.0**, std **0.02** -- the VEEGAN-style ring, the same ring as PacGAN's
  scaled by 2 (std/spacing ratio unchanged, so mode counts are scale invariant) [our choice of scale;
  ``ring_mixture(radius=1.0, std=0.01)`` reproduces PacGAN's config exactly].
* ``grid``: 5x5 modes, spacing **2.0** centred on the origin, std **0.05** -- PacGAN's grid exactly.
* The high-quality threshold (3 std) lives in ``Mixture.threshold_std`` and is applied by
  ``hjgan_plugin.metrics.mode_collapse``.
* ``uniform_spray`` (the "diffuse generator" control row) is ours: points uniform over the centres'
  bounding box widened by a margin (default 3 std, so every high-quality disc lies inside the box).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

__all__ = [
    "GRID_SPACING",
    "GRID_STD",
    "RING_RADIUS",
    "RING_STD",
    "THRESHOLD_STD",
    "Mixture",
    "grid",
    "grid_mixture",
    "ring",
    "ring_mixture",
    "uniform_spray",
]

RING_RADIUS = 2.0  # VEEGAN-style ring; PacGAN's config uses 1.0 with std 0.01 (same ratio)
RING_STD = 0.02
GRID_SPACING = 2.0  # PacGAN config: means (-4 + 2i, -4 + 2j)
GRID_STD = 0.05  # PacGAN config: variances 0.05**2
THRESHOLD_STD = 3.0  # VEEGAN §5 / PacGAN: high quality = within 3 std of the nearest mode


@dataclass(frozen=True)
class Mixture:
    """An equal-weight mixture of isotropic Gaussians: what the mode-collapse metrics need to know.

    ``centers``: float tensor ``(modes, dim)`` of the component means; ``std``: the common per-axis
    standard deviation; ``threshold_std``: the high-quality radius in units of ``std``; ``name``: a label
    for tables.
    """

    centers: torch.Tensor
    std: float
    name: str = "mixture"
    threshold_std: float = THRESHOLD_STD

    def __post_init__(self) -> None:
        c = torch.as_tensor(self.centers, dtype=torch.float64)
        if c.ndim != 2 or c.shape[0] < 1 or c.shape[1] < 1:
            raise ValueError(f"centers must be (modes, dim) with modes >= 1, got shape {tuple(c.shape)}")
        if not bool(torch.isfinite(c).all()):
            raise ValueError("centers contain NaN or inf")
        if not (math.isfinite(self.std) and self.std > 0):
            raise ValueError(f"std must be a finite number > 0, got {self.std}")
        if not (math.isfinite(self.threshold_std) and self.threshold_std > 0):
            raise ValueError(f"threshold_std must be a finite number > 0, got {self.threshold_std}")
        object.__setattr__(self, "centers", c)

    @property
    def n_modes(self) -> int:
        return int(self.centers.shape[0])

    @property
    def dim(self) -> int:
        return int(self.centers.shape[1])

    def bounding_box(self, margin: float | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``(low, high)`` corners of the centres' bounding box widened by ``margin`` on every side
        (default ``threshold_std * std``: every high-quality disc lies inside)."""
        m = self.threshold_std * self.std if margin is None else float(margin)
        if not (math.isfinite(m) and m >= 0):
            raise ValueError(f"margin must be a finite number >= 0, got {margin}")
        return self.centers.min(0).values - m, self.centers.max(0).values + m

    def sample(
        self, n: int, generator: torch.Generator | None = None, dtype: torch.dtype = torch.float32
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` samples: ``(samples (n, dim) tensor, mode_index (n,) int64)``; modes drawn uniformly."""
        n = _check_n(n)
        idx = torch.randint(0, self.n_modes, (n,), generator=generator)
        noise = torch.randn(n, self.dim, generator=generator, dtype=torch.float64)
        x = self.centers[idx] + self.std * noise
        return x.to(dtype), idx


def _check_n(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be an int >= 0, got {n!r}")
    return n


def ring_mixture(modes: int = 8, radius: float = RING_RADIUS, std: float = RING_STD) -> Mixture:
    """Ring: ``modes`` Gaussians with means ``radius·(cos 2πi/modes, sin 2πi/modes)``, i = 0..modes-1
    (PacGAN config / VEEGAN §5; angles start at 0 as in PacGAN's config)."""
    if isinstance(modes, bool) or not isinstance(modes, int) or modes < 1:
        raise ValueError(f"modes must be an int >= 1, got {modes!r}")
    if not (math.isfinite(radius) and radius > 0):
        raise ValueError(f"radius must be a finite number > 0, got {radius}")
    ang = 2.0 * math.pi * torch.arange(modes, dtype=torch.float64) / modes
    centers = radius * torch.stack((torch.cos(ang), torch.sin(ang)), dim=1)
    return Mixture(centers=centers, std=float(std), name=f"ring{modes}")


def grid_mixture(side: int = 5, spacing: float = GRID_SPACING, std: float = GRID_STD) -> Mixture:
    """Grid: ``side²`` Gaussians at ``spacing·(i - (side-1)/2, j - (side-1)/2)``; the default is PacGAN's
    ``{-4,-2,0,2,4}²``. Mode ``k = i*side + j`` (x index major, as ``itertools.product`` in PacGAN)."""
    if isinstance(side, bool) or not isinstance(side, int) or side < 1:
        raise ValueError(f"side must be an int >= 1, got {side!r}")
    if not (math.isfinite(spacing) and spacing > 0):
        raise ValueError(f"spacing must be a finite number > 0, got {spacing}")
    axis = spacing * (torch.arange(side, dtype=torch.float64) - (side - 1) / 2.0)
    gx, gy = torch.meshgrid(axis, axis, indexing="ij")
    centers = torch.stack((gx.reshape(-1), gy.reshape(-1)), dim=1)
    return Mixture(centers=centers, std=float(std), name=f"grid{side * side}")


def ring(
    n: int,
    generator: torch.Generator | None = None,
    modes: int = 8,
    radius: float = RING_RADIUS,
    std: float = RING_STD,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` samples of ``ring_mixture(modes, radius, std)``: ``(samples (n, 2) float32, mode_index (n,))``."""
    return ring_mixture(modes, radius, std).sample(n, generator)


def grid(
    n: int,
    generator: torch.Generator | None = None,
    side: int = 5,
    spacing: float = GRID_SPACING,
    std: float = GRID_STD,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` samples of ``grid_mixture(side, spacing, std)``: ``(samples (n, 2) float32, mode_index (n,))``."""
    return grid_mixture(side, spacing, std).sample(n, generator)


def uniform_spray(
    n: int,
    mixture: Mixture,
    generator: torch.Generator | None = None,
    margin: float | None = None,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """``n`` points uniform over ``mixture.bounding_box(margin)`` -- the "diffuse generator" control
    [ours]. Returns ``(n, dim)``; no mode index (the points belong to no component)."""
    n = _check_n(n)
    if not isinstance(mixture, Mixture):
        raise TypeError(f"mixture must be a Mixture, got {type(mixture).__name__}")
    low, high = mixture.bounding_box(margin)
    u = torch.rand(n, mixture.dim, generator=generator, dtype=torch.float64)
    return (low + (high - low) * u).to(dtype)
