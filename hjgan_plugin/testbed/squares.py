"""The disentanglement testbed of docs/design.md §8: 16×16 grey images of one anti-aliased square.

Three continuous factors per image, ``(x, y, side)``: the square's centre ``x`` (column) and ``y``
(row) drawn uniformly in ``[4, 12]`` and its side drawn uniformly in ``[3, 7]`` (pixel units). Images
are rendered on the fly with exact area-coverage anti-aliasing: pixel ``(i, j)`` covers the unit cell
``[j, j+1] × [i, i+1]`` and its value is the area of that cell covered by the square, so the image's
total mass is exactly ``side²`` (for squares inside the frame).

``factors_from_images`` reads the factors back from image moments [ours]: ``side = √mass`` and the
centroid of the row/column profiles gives ``x, y``. The plain pixel-centre centroid of an anti-aliased
box is off by up to ``1/(8·side)`` pixel (the covered part of an edge pixel is not centred in it), so a
second-order correction from the two edge pixels' coverages is added; with it the read-out is exact
(to float rounding) on clean squares and reduces to the plain centroid where the profile is 0 or 1.
"""
from __future__ import annotations

import torch

SIZE = 16
"""Image height and width in pixels."""

FACTOR_NAMES = ("x", "y", "side")
"""Order of the factor columns everywhere in this module."""

FACTOR_RANGES = ((4.0, 12.0), (4.0, 12.0), (3.0, 7.0))
"""Uniform sampling range of each factor, in pixels."""


def sample_factors(n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Draw ``n`` factor rows ``(x, y, side)`` uniformly from :data:`FACTOR_RANGES` (float32, CPU)."""
    u = torch.rand(n, 3, generator=generator)
    lo = torch.tensor([r[0] for r in FACTOR_RANGES])
    hi = torch.tensor([r[1] for r in FACTOR_RANGES])
    return lo + u * (hi - lo)


def _coverage_1d(centre: torch.Tensor, side: torch.Tensor, size: int) -> torch.Tensor:
    """Length of ``[c - s/2, c + s/2] ∩ [p, p+1]`` for every pixel ``p``: shape ``(n, size)``."""
    p = torch.arange(size, dtype=centre.dtype, device=centre.device)
    lo = (centre - side / 2).unsqueeze(1)
    hi = (centre + side / 2).unsqueeze(1)
    return (torch.minimum(hi, p + 1) - torch.maximum(lo, p)).clamp(min=0)


def render(factors: torch.Tensor, size: int = SIZE) -> torch.Tensor:
    """Render squares from ``(n, 3)`` factors ``(x, y, side)`` into ``(n, 1, size, size)`` images in [0, 1].

    Exact area coverage: the square is separable, so each pixel is the product of its row's and its
    column's 1-D coverage. Parts of a square outside the frame are cut off.
    """
    factors = torch.as_tensor(factors)
    if not factors.is_floating_point():
        factors = factors.float()
    if factors.ndim != 2 or factors.shape[1] != 3:
        raise ValueError(f"factors must have shape (n, 3) as (x, y, side), got {tuple(factors.shape)}")
    x, y, s = factors.unbind(1)
    cx = _coverage_1d(x, s, size)  # (n, W)
    cy = _coverage_1d(y, s, size)  # (n, H)
    return (cy.unsqueeze(2) * cx.unsqueeze(1)).unsqueeze(1)


def _edge_corrected_centroid(profile: torch.Tensor, side: torch.Tensor, mass: torch.Tensor) -> torch.Tensor:
    """Centroid of a 1-D profile (``(n, size)``, sums to ``mass``) of a box of width ``side``.

    The covered part of a left edge pixel with coverage ``o`` is right-aligned in it, so its true
    first moment differs from the pixel-centre one by ``(o² − o)/2``; a right edge pixel by the
    negative of that. Interior pixels (``o = 1``) and empty ones (``o = 0``) contribute nothing.
    """
    size = profile.shape[1]
    centres = torch.arange(size, dtype=profile.dtype, device=profile.device) + 0.5
    naive = (profile * centres).sum(1) / mass
    cover = (profile / side.unsqueeze(1)).clamp(0, 1)
    side_sign = torch.sign(centres - naive.unsqueeze(1))  # -1 left of the centroid, +1 right
    correction = (side_sign * (cover * cover - cover) / 2 * side.unsqueeze(1)).sum(1)
    return naive + correction / mass


def factors_from_images(images: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Read ``(x, y, side)`` back from ``(n, 1, H, W)`` (or ``(n, H, W)``) images by image moments.

    ``side = √mass``; ``x``/``y`` are the centroids of the column/row profiles with the edge-pixel
    correction described in the module docstring. Exact on clean squares inside the frame; on other
    images these are the moments of whatever mass there is (an empty image gives the frame centre).
    """
    img = torch.as_tensor(images).detach()
    if img.ndim == 4:
        if img.shape[1] != 1:
            raise ValueError(f"expected one channel, got shape {tuple(img.shape)}")
        img = img[:, 0]
    if img.ndim != 3:
        raise ValueError(f"expected (n, 1, H, W) or (n, H, W) images, got shape {tuple(img.shape)}")
    img = img.to(torch.float64).clamp(min=0)
    mass = img.sum((1, 2))
    empty = mass <= eps
    safe_mass = torch.where(empty, torch.ones_like(mass), mass)
    side = safe_mass.sqrt()
    x = _edge_corrected_centroid(img.sum(1), side, safe_mass)  # column profile
    y = _edge_corrected_centroid(img.sum(2), side, safe_mass)  # row profile
    out = torch.stack([x, y, mass.sqrt()], 1)
    out[empty, 0] = img.shape[2] / 2
    out[empty, 1] = img.shape[1] / 2
    return out.to(torch.float32)


def valid_fraction(images: torch.Tensor, threshold: float = 0.25, eps: float = 1e-8) -> float:
    """Quality gate (docs/design.md §8): fraction of images that look like one square.

    Each image is compared with the square re-rendered from its own moments
    (:func:`factors_from_images`); it is valid when ``L1(image, re-rendered) / mass < threshold``.
    Empty images are invalid.
    """
    img = torch.as_tensor(images).detach().float()
    if img.ndim == 3:
        img = img.unsqueeze(1)
    if img.shape[0] == 0:
        return float("nan")
    factors = factors_from_images(img)
    rerendered = render(factors, size=img.shape[-1])
    if rerendered.shape != img.shape:
        raise ValueError(f"images must be square, got shape {tuple(img.shape)}")
    mass = img.clamp(min=0).sum((1, 2, 3))
    err = (img - rerendered).abs().sum((1, 2, 3)) / mass.clamp(min=eps)
    ok = (err < threshold) & (mass > eps)
    return float(ok.float().mean())


class SquaresDataset:
    """Endless on-the-fly sampler: ``batch(n)`` returns ``(images, factors)``; seeded, CPU."""

    def __init__(self, seed: int = 0) -> None:
        self.generator = torch.Generator().manual_seed(seed)

    def batch(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        factors = sample_factors(n, self.generator)
        return render(factors), factors


def write_pngs(folder, n: int = 64, seed: int = 0, channels: int = 3) -> list:
    """Render ``n`` random squares and save them as 8-bit PNGs in ``folder`` (a dataset for an image
    trainer's own tools, e.g. StyleGAN2-ADA's ``dataset_tool.py``); grey repeated to ``channels``.
    Returns the file paths, in order."""
    from pathlib import Path

    import numpy as np
    from PIL import Image

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    images = render(sample_factors(n, torch.Generator().manual_seed(seed)))
    paths = []
    for i, img in enumerate(images):
        grey = (img[0].clamp(0, 1).numpy() * 255).round().astype(np.uint8)
        pixels = grey if channels == 1 else np.stack([grey] * channels, axis=-1)
        paths.append(folder / f"{i:05d}.png")
        Image.fromarray(pixels).save(paths[-1])
    return paths
