"""The plugin's scalars in the PyTorch-GAN scripts' log style (``[D loss: %f] [G loss: %f]`` per batch).

:class:`hjgan_pytorch_gan.hj.ScriptSession` prints one line every ``log_every`` generator steps, after
the penalty: ``[hj] [G step 3] [hessian: ...] [jacobian: ...] [penalty: ...]``, ``[ramp: 0.25]`` while
``--hj-warmup`` ramps the weights in, then the exchange's counters when it runs (the scalars of
``session.last``, docs/design.md §6, "Reporting").
"""
from __future__ import annotations

import math

#: scalar -> (label, format), in print order; the scripts print their losses with %f
LABELS = {"hj_hessian": ("hessian", "f"), "hj_jacobian": ("jacobian", "f"), "hj_penalty": ("penalty", "f"),
          "topk": ("top-k term", "f"), "topk_k": ("top-k k", ".0f"), "unrolled": ("unrolled term", "f"),
          "hj_ramp": ("ramp", ".2f"), "exchange/count": ("exchanges", ".0f"), "exchange/mean_cosine": ("exchange cosine", "f")}


def format_line(scalars: dict[str, float], step: int) -> str:
    """``[hj] [G step N] [label: value] ...`` for the scalars of :data:`LABELS` that are present (NaN: left out)."""
    parts = [f"[{label}: {scalars[key]:{fmt}}]" for key, (label, fmt) in LABELS.items()
             if key in scalars and not math.isnan(float(scalars[key])) and not (key == "hj_ramp" and scalars[key] >= 1)]
    return " ".join([f"[hj] [G step {step}]", *parts])

