"""Walking a generator along directions (docs/design.md §12): the images, a grid PNG (rows: directions,
columns: steps, the centre column framed) and a looping GIF (pillow)."""
from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from ..options import check_value
from ..passes import listify


def as_images(out: Tensor) -> Tensor:
    """G's output as (N, C, H, W) with C in {1, 3}: (N, H, W) gets a channel, (N, P) with P a square number
    becomes (N, 1, √P, √P); anything else is refused."""
    if out.ndim == 4 and out.shape[1] in (1, 3):
        return out
    if out.ndim == 3:
        return out.unsqueeze(1)
    if out.ndim == 2 and math.isqrt(out.shape[1]) ** 2 == out.shape[1]:
        side = math.isqrt(out.shape[1])
        return out.reshape(len(out), 1, side, side)
    raise ValueError(f"cannot show G's output of shape {tuple(out.shape)} as images: expected (N, C, H, W) with "
                     "C = 1 or 3, (N, H, W), or (N, P) with P a square")


def to_unit_range(images: Tensor, value_range: tuple[float, float] | None = None) -> Tensor:
    """Map to [0, 1]: from ``value_range``, or (``None``) from [-1, 1] when any value is below -0.05, else as is."""
    if value_range is None:
        value_range = (-1.0, 1.0) if float(images.min()) < -0.05 else (0.0, 1.0)
    lo, hi = value_range
    return ((images - lo) / (hi - lo)).clamp(0, 1)


@torch.no_grad()
def traverse(G: Callable, directions: Tensor, z: Tensor, steps: int = 7, span: float = 3.0,
             G_args: tuple = ()) -> Tensor:
    """Images (n, K, steps, C, H, W): each latent of ``z`` (n, d) moved along each row of ``directions``
    to ``t ∈ linspace(-span, span, steps)`` (t = 0 is z itself when ``steps`` is odd)."""
    check_value("steps", steps, int, ">= 2")
    check_value("span (--range)", span, float, "> 0")
    if z.ndim != 2 or len(z) == 0:
        raise ValueError(f"z must hold at least one latent, shape (n, d); got {tuple(z.shape)}")
    ts = torch.linspace(-span, span, steps)
    n, K = len(z), len(directions)
    moved = z.view(n, 1, 1, -1) + ts.view(1, 1, steps, 1) * directions.to(z).view(1, K, 1, -1)
    flat = moved.reshape(n * K * steps, -1)
    args = tuple(a.repeat_interleave(K * steps, dim=0) if isinstance(a, Tensor) and len(a) == n else a for a in G_args)
    images = as_images(listify(G(flat, *args))[-1].float())
    return images.reshape(n, K, steps, *images.shape[1:])


def grid_array(images: Tensor, value_range: tuple[float, float] | None = None, pad: int = 2,
               mark_centre: bool = True) -> np.ndarray:
    """(rows, cols, C, H, W) -> one uint8 RGB array; the centre column (odd ``cols``) framed in orange."""
    rows, cols, C, H, W = images.shape
    x = to_unit_range(images, value_range)
    if C == 1:
        x = x.repeat(1, 1, 3, 1, 1)
    canvas = np.ones((rows * (H + pad) + pad, cols * (W + pad) + pad, 3), dtype=np.float32)
    for r in range(rows):
        for c in range(cols):
            top, left = pad + r * (H + pad), pad + c * (W + pad)
            canvas[top:top + H, left:left + W] = x[r, c].permute(1, 2, 0).numpy()
    if mark_centre and cols % 2 == 1:
        c = cols // 2
        left, right = c * (W + pad), c * (W + pad) + W + pad
        canvas[:, left:left + pad] = canvas[:, right:right + pad] = (1.0, 0.55, 0.0)
    return (canvas * 255).round().astype(np.uint8)


def _scaled(image: "Image.Image", scale: int) -> "Image.Image":
    """``image`` enlarged ``scale`` times, nearest neighbour (pixels stay sharp)."""
    from PIL import Image

    check_value("scale", scale, int, ">= 1")
    return image.resize((image.width * scale, image.height * scale), Image.NEAREST) if scale > 1 else image


def save_grid(images: Tensor, path: str | os.PathLike, value_range: tuple[float, float] | None = None,
              scale: int = 1) -> Path:
    """Write a traversal (n, K, steps, ...) as a PNG: one row per (latent, direction), one column per step."""
    from PIL import Image

    n, K = images.shape[:2]
    array = grid_array(images.reshape(n * K, *images.shape[2:]), value_range)
    image = _scaled(Image.fromarray(array), scale)
    path = Path(path)
    image.save(path)
    return path


def save_gif(images: Tensor, path: str | os.PathLike, value_range: tuple[float, float] | None = None,
             duration_ms: int = 80, scale: int = 1) -> Path:
    """A looping GIF: frame t shows step t of every (latent, direction) row side by side, there and back."""
    from PIL import Image

    n, K, steps = images.shape[:3]
    tiles = images.reshape(n * K, steps, *images.shape[3:]).transpose(0, 1)  # (steps, rows, C, H, W)
    frames = []
    for t in list(range(steps)) + list(range(steps - 2, 0, -1)):
        frames.append(_scaled(Image.fromarray(grid_array(tiles[t].unsqueeze(0), value_range, mark_centre=False)),
                              scale))
    path = Path(path)
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=duration_ms, loop=0)
    return path


__all__ = ["as_images", "grid_array", "save_gif", "save_grid", "to_unit_range", "traverse"]
