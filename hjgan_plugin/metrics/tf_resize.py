"""Bilinear resize as TensorFlow 1.x computes it (``tf.image.resize_bilinear``, ``align_corners=False``).

The FID/IS Inception network was run in TensorFlow 1.x, which resizes every image to 299×299 with
its own bilinear rule; PyTorch's ``F.interpolate(..., align_corners=False)`` samples at half-pixel
centres and gives different pixels. Following torch-fidelity (Obukhov et al.,
``interpolate_compat_tensorflow.py``, the "slow" method that is bit-exact on CPU), output pixel ``i``
samples input position ``i · in/out`` (no half-pixel offset):

    src = i · (in / out);  lo = floor(src);  hi = min(lo + 1, in − 1);  f = src − lo
    out = x[lo] + (x[hi] − x[lo]) · f                                     (per axis, x then y)

The grid is computed in float32 as TensorFlow does, so the sampling positions match it bit for bit.
"""
from __future__ import annotations

import torch

__all__ = ["resize_bilinear_tf1"]


def _grid(in_size: int, out_size: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(lo, hi, frac)`` of the TF1 sampling positions ``i · in/out`` for one axis."""
    scale = torch.tensor(in_size / out_size, dtype=torch.float32)
    pos = torch.arange(out_size, dtype=torch.float32) * scale
    lo = pos.long()
    hi = (lo + 1).clamp_max(in_size - 1)
    return lo.to(device), hi.to(device), (pos - lo.float()).to(device)


def resize_bilinear_tf1(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Resize ``x`` ``(n, c, h, w)`` (floating point) to ``size = (H, W)`` like TF 1.x bilinear.

    Equation (module docstring): separable linear interpolation at positions ``i · in/out``.
    """
    if x.ndim != 4 or not torch.is_floating_point(x):
        raise ValueError(f"resize_bilinear_tf1 needs a floating (n, c, h, w) tensor, got {x.dtype} "
                         f"{tuple(x.shape)}")
    out_h, out_w = size
    x_lo, x_hi, fx = _grid(x.shape[3], out_w, x.device)
    y_lo, y_hi, fy = _grid(x.shape[2], out_h, x.device)
    fx = fx.to(x.dtype).view(1, 1, 1, out_w)
    fy = fy.to(x.dtype).view(1, 1, out_h, 1)
    top, bottom = x.index_select(2, y_lo), x.index_select(2, y_hi)
    top = top.index_select(3, x_lo) + (top.index_select(3, x_hi) - top.index_select(3, x_lo)) * fx
    bottom = bottom.index_select(3, x_lo) + (bottom.index_select(3, x_hi) - bottom.index_select(3, x_lo)) * fx
    return top + (bottom - top) * fy
