"""A procedural shaded-ball renderer: a known-factor set with shading (and colour), nothing downloaded.

One Lambertian-shaded sphere on black per image, seen from the front and lit by a distant light, with
continuous ground-truth factors in the column order of :func:`factor_names`:

* ``x``, ``y`` — the centre, as a fraction of the image width/height, in [0.3, 0.7];
* ``radius`` — as a fraction of the image size, in [0.14, 0.24] (so the ball stays inside the frame);
* ``light`` — the light's azimuth in radians in [−1, 1]: 0 lights the ball from the top, positive
  values move the light towards +x (the right of the image);
* ``hue`` — the ball's hue in [0, 0.8] (HSV, saturation 0.8, value 1; the range stops short of red's
  wrap-around so the factor is not cyclic). Only in colour (``channels=3``); grey images (``channels=1``)
  have an albedo of 1 and four factors.

Shading at a pixel inside the disc, with ``(u, w)`` its offset from the centre over the radius and
``n = (u, w, √(1 − u² − w²))`` the sphere's normal (image rows grow downwards, so ``w`` is positive
below the centre): ``I = albedo · (AMBIENT + (1 − AMBIENT) · max(0, n · ℓ))`` with
``ℓ = (sin φ · cos e, −cos φ · cos e, sin e)`` for azimuth ``φ`` and the fixed elevation ``e``
(:data:`ELEVATION`). Anti-aliasing by ``ss × ss`` supersampling as :mod:`.dsprites` (pixel ``(i, j)``
covers ``[j, j+1] × [i, i+1]``). Deterministic and vectorised.
"""
from __future__ import annotations

import math

import torch

COLOUR_FACTORS = ("x", "y", "radius", "light", "hue")
"""Factor columns of colour images; grey images have all but ``hue``."""

RANGES = {"x": (0.3, 0.7), "y": (0.3, 0.7), "radius": (0.14, 0.24), "light": (-1.0, 1.0), "hue": (0.0, 0.8)}
"""Range of each factor (all drawn uniformly)."""

AMBIENT = 0.15
"""Light that reaches every point of the ball."""

ELEVATION = 0.6
"""The light's elevation above the image plane, in radians."""

SATURATION = 0.8


def factor_names(channels: int = 3) -> tuple[str, ...]:
    """The factor columns for ``channels`` 1 (grey: no hue) or 3 (colour)."""
    if channels not in (1, 3):
        raise ValueError(f"shaded balls come in 1 (grey) or 3 (colour) channels, got channels={channels}")
    return COLOUR_FACTORS if channels == 3 else COLOUR_FACTORS[:-1]


def sample_factors(n: int, channels: int = 3, generator: torch.Generator | None = None) -> torch.Tensor:
    """Draw ``n`` factor rows, each factor uniform in its :data:`RANGES`."""
    names = factor_names(channels)
    lo = torch.tensor([RANGES[k][0] for k in names])
    hi = torch.tensor([RANGES[k][1] for k in names])
    return lo + torch.rand(n, len(names), generator=generator) * (hi - lo)


def hsv_to_rgb(h: torch.Tensor, s: float, v: float) -> torch.Tensor:
    """``(n,)`` hues in [0, 1) at one saturation and value -> ``(n, 3)`` RGB in [0, 1] (the standard hexcone)."""
    k = (5 - 2 * torch.arange(3, dtype=h.dtype)[None, :] + h[:, None] * 6) % 6  # (5, 3, 1) + 6h, mod 6
    return v - v * s * torch.clamp(torch.minimum(k, 4 - k), 0, 1)


def render(factors: torch.Tensor, size: int = 32, channels: int = 3, ss: int = 3, chunk: int = 256) -> torch.Tensor:
    """Render ``(n, F)`` factors (:func:`factor_names`) into ``(n, channels, size, size)`` images in [0, 1],
    ``chunk`` images at a time (memory ``chunk · (size·ss)²`` sample points)."""
    names = factor_names(channels)
    factors = torch.as_tensor(factors)
    if factors.ndim != 2 or factors.shape[1] != len(names):
        raise ValueError(f"factors must have shape (n, {len(names)}) as {names}, got {tuple(factors.shape)}")
    if size < 1 or ss < 1:
        raise ValueError(f"size and ss must be >= 1, got size={size}, ss={ss}")
    if not torch.isfinite(factors).all():
        bad = int((~torch.isfinite(factors)).any(1).sum())
        raise ValueError(f"{bad} of {factors.shape[0]} factor rows contain NaN or inf")
    if factors.shape[0] == 0:
        return torch.zeros(0, channels, size, size)
    return torch.cat([_render_chunk(part, size, channels, ss) for part in factors.split(chunk)])


def _render_chunk(factors: torch.Tensor, size: int, channels: int, ss: int) -> torch.Tensor:
    f = factors.to(torch.float64)
    n = f.shape[0]
    cx, cy, r = (f[:, i, None, None] * size for i in range(3))  # pixel units, (n, 1, 1)
    phi = f[:, 3, None, None]
    points = (torch.arange(size * ss, dtype=torch.float64) + 0.5) / ss  # sample positions, pixel units
    u = (points[None, None, :] - cx) / r
    w = (points[None, :, None] - cy) / r
    inside = u * u + w * w < 1
    depth = torch.sqrt(torch.clamp(1 - u * u - w * w, min=0))
    ce = math.cos(ELEVATION)
    lambert = torch.clamp(u * torch.sin(phi) * ce - w * torch.cos(phi) * ce + depth * math.sin(ELEVATION), min=0)
    shade = torch.where(inside, AMBIENT + (1 - AMBIENT) * lambert, torch.zeros(()))
    shade = shade.reshape(n, size, ss, size, ss).mean((2, 4)).to(torch.float32)  # (n, size, size)
    if channels == 1:
        return shade.unsqueeze(1)
    albedo = hsv_to_rgb(f[:, 4], SATURATION, 1.0).to(torch.float32)  # (n, 3)
    return albedo[:, :, None, None] * shade[:, None]
