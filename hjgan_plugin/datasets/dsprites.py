"""A procedural dSprites-like renderer (Matthey et al. 2017's factors, drawn here, nothing downloaded).

One white shape on black per image, with five ground-truth factors, in the column order of
:data:`FACTOR_NAMES`:

* ``shape`` — 0 square, 1 ellipse, 2 heart (stored as a float code);
* ``scale`` — in [0.5, 1], as dSprites; the shape's size is ``scale · BASE · size`` pixels;
* ``rotation`` — angle in radians in [0, 2π); positive turns from +x towards +y, i.e. clockwise on
  screen since image rows grow downwards. As in dSprites the square (90°) and ellipse (180°) are
  rotationally symmetric, so this factor is not identifiable from their images alone;
* ``x``, ``y`` — the centre, as a fraction of the image width/height (column ``x·size``, row
  ``y·size`` in pixel units) in [0.25, 0.75], so every shape at every rotation stays inside the frame.

Geometry at side ``s = scale · BASE · size`` (pixels), in the shape's own frame ``(u, v)`` centred
on ``(x, y)``: square ``|u|, |v| ≤ s/2`` (area ``s²``); ellipse ``(u/a)² + (v/b)² ≤ 1`` with semi-axes
``a = s/2``, ``b = s/4`` (area ``π a b = π s²/8``); heart: the classic implicit curve
``(X² + Y² − 1)³ − X² Y³ ≤ 0`` with ``X = u/(s/2)·1.14``, ``Y = −v/(s/2)·1.14`` (so it is about ``s``
wide, point down in the unrotated image).

Pixel ``(i, j)`` covers the unit cell ``[j, j+1] × [i, i+1]`` (as in :mod:`hjgan_plugin.testbed.squares`).
Anti-aliasing by supersampling: each pixel is the fraction of ``ss × ss`` evenly spaced sample points
(offsets ``(k + ½)/ss``) inside the shape, an unbiased estimate of the covered area. The sample grid is
symmetric under 90° rotation about the image centre, and shifting a shape by whole pixels shifts
its image exactly. Rendering is vectorised and deterministic; large batches are processed in chunks.
"""
from __future__ import annotations

import math

import torch

FACTOR_NAMES = ("shape", "scale", "rotation", "x", "y")
"""Order of the factor columns."""

SHAPES = ("square", "ellipse", "heart")
"""Shape names by code (the value of the ``shape`` factor)."""

FACTOR_RANGES = ((0.0, 2.0), (0.5, 1.0), (0.0, 2 * math.pi), (0.25, 0.75), (0.25, 0.75))
"""Range of each factor; ``shape`` is an integer code in it, the others are drawn uniformly."""

BASE = 0.3
"""Side of a scale-1 square as a fraction of the image size."""

SIZE = 32
"""Default image height and width in pixels."""

_HEART_FIT = 1.14  # half-width of the implicit heart curve in its own units
_REACH = 1.5  # every shape lies within 1.5·(s/2) of its centre (square corner √2, heart lobes ≈ 1.22)


def sample_factors(n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Draw ``n`` factor rows (``shape`` uniform over the 3 codes, the rest uniform in their ranges)."""
    shape = torch.randint(len(SHAPES), (n,), generator=generator).float()
    u = torch.rand(n, 4, generator=generator)
    lo = torch.tensor([r[0] for r in FACTOR_RANGES[1:]])
    hi = torch.tensor([r[1] for r in FACTOR_RANGES[1:]])
    return torch.cat([shape[:, None], lo + u * (hi - lo)], 1)


def _inside(code: int, half: torch.Tensor, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Boolean inside-test of shape ``code`` at local coordinates ``u, v`` ``(n, P)``; ``half = s/2`` is ``(n, 1)``."""
    if code == 0:  # square
        return (u.abs() <= half) & (v.abs() <= half)
    if code == 1:  # ellipse, semi-axes s/2 and s/4
        return (u / half) ** 2 + (v / (half / 2)) ** 2 <= 1
    X2 = (u / half * _HEART_FIT) ** 2
    Y = -v / half * _HEART_FIT
    return (X2 + Y * Y - 1) ** 3 - X2 * Y ** 3 <= 0  # heart


def _render_chunk(factors: torch.Tensor, size: int, ss: int) -> torch.Tensor:
    """Render a chunk: sample only a ``W × W`` pixel window around each shape, then paste it.

    ``W`` covers the largest shape in the chunk (radius ≤ ``_REACH · s/2``) plus a pixel each side;
    the window starts at a whole pixel, so whole-pixel shifts of the shape shift its image exactly.
    """
    n = factors.shape[0]
    dtype = torch.float64  # sample positions exact to well below 1/ss
    f = factors.to(dtype)
    shape = f[:, 0].round()
    half = f[:, 1:2] * BASE * size / 2
    theta = f[:, 2:3]
    cx, cy = f[:, 3:4] * size, f[:, 4:5] * size
    w = min(size, int(math.ceil(2 * _REACH * float(half.max()))) + 2)
    x0 = (torch.floor(cx) - w // 2).clamp(0, size - w).to(torch.int64)  # window origin (n, 1)
    y0 = (torch.floor(cy) - w // 2).clamp(0, size - w).to(torch.int64)
    offsets = (torch.arange(ss, dtype=dtype) + 0.5) / ss
    local = (torch.arange(w, dtype=dtype)[:, None] + offsets[None, :]).reshape(1, -1)  # (1, w·ss)
    m = local.shape[1]
    px = (x0 + local)[:, None, :].expand(n, m, m).reshape(n, -1)  # column of every sample point
    py = (y0 + local)[:, :, None].expand(n, m, m).reshape(n, -1)  # row
    dx, dy = px - cx, py - cy
    c, s = torch.cos(theta), torch.sin(theta)
    u = c * dx + s * dy  # rotate the sample points by −θ into the shape's frame
    v = -s * dx + c * dy
    hit = torch.zeros(n, m * m)
    for code in range(len(SHAPES)):  # each shape's test only on its own images
        rows = (shape == code).nonzero()[:, 0]
        if rows.numel():
            hit[rows] = _inside(code, half[rows], u[rows], v[rows]).to(torch.float32)
    window = hit.reshape(n, w, ss, w, ss).mean((2, 4))  # (n, w, w)
    out = torch.zeros(n, size, size)
    ar = torch.arange(w)
    rows_idx = (y0 + ar)[:, :, None].expand(n, w, w)
    cols_idx = (x0 + ar)[:, None, :].expand(n, w, w)
    out[torch.arange(n)[:, None, None].expand(n, w, w), rows_idx, cols_idx] = window
    return out.unsqueeze(1)


def render(factors: torch.Tensor, size: int = SIZE, ss: int = 4, chunk: int = 256) -> torch.Tensor:
    """Render ``(n, 5)`` factors (see :data:`FACTOR_NAMES`) into ``(n, 1, size, size)`` images in [0, 1].

    ``ss`` sample points per pixel side (``ss²`` per pixel) for anti-aliasing; ``chunk`` images are
    rendered at a time to bound memory (``chunk · (size·ss)²`` sample points).
    """
    factors = torch.as_tensor(factors)
    if not factors.is_floating_point():
        factors = factors.float()
    if factors.ndim != 2 or factors.shape[1] != len(FACTOR_NAMES):
        raise ValueError(f"factors must have shape (n, 5) as {FACTOR_NAMES}, got {tuple(factors.shape)}")
    if size < 1 or ss < 1:
        raise ValueError(f"size and ss must be >= 1, got size={size}, ss={ss}")
    if not torch.isfinite(factors).all():
        bad = int((~torch.isfinite(factors)).any(1).sum())
        raise ValueError(f"{bad} of {factors.shape[0]} factor rows contain NaN or inf")
    codes = factors[:, 0].round()
    if ((codes < 0) | (codes >= len(SHAPES))).any():
        raise ValueError(f"shape codes must be in 0..{len(SHAPES) - 1} ({', '.join(SHAPES)})")
    if factors.shape[0] == 0:
        return torch.zeros(0, 1, size, size)
    return torch.cat([_render_chunk(part, size, ss) for part in factors.split(chunk)])


class DSpritesDataset:
    """Endless on-the-fly sampler: ``batch(n)`` returns ``(images, factors)``; seeded, CPU."""

    def __init__(self, seed: int = 0, size: int = SIZE, ss: int = 4) -> None:
        self.generator = torch.Generator().manual_seed(seed)
        self.size = size
        self.ss = ss

    def batch(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        factors = sample_factors(n, self.generator)
        return render(factors, self.size, self.ss), factors
