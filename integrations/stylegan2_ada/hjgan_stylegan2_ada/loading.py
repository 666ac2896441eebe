"""A StyleGAN2-ADA ``network-snapshot-*.pkl`` as a frozen function of z or w, for ``hjgan discover
--adapter stylegan2-ada`` (docs/design.md §12).

The pickle is read with upstream's own ``legacy.load_network_pkl``, so the user's checkout must be
importable: ``checkout=`` or ``HJGAN_STYLEGAN2_ADA_DIR``. ``G_ema`` is used, in eval mode, with constant
noise and fp32 (the penalty passes need a deterministic G): in ``z`` space ``synthesis(mapping(z, c))``,
in ``w`` space ``synthesis(w broadcast to every layer)`` with latents drawn through the mapping network.
A conditional G gets the one-hot ``label``.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import torch

from hjgan_plugin.discovery.loading import LoadedGenerator

ENV = "HJGAN_STYLEGAN2_ADA_DIR"


def _import_legacy(checkout: str | None) -> Any:
    root = checkout or os.environ.get(ENV)
    if not root or not (Path(root) / "legacy.py").is_file():
        raise ValueError(f"reading a StyleGAN2-ADA pickle needs the NVlabs/stylegan2-ada-pytorch checkout it was "
                         f"trained with: set {ENV} (or pass checkout=) to the folder holding legacy.py"
                         + (f"; {root} has none" if root else ""))
    if str(Path(root).resolve()) not in sys.path:
        sys.path.insert(0, str(Path(root).resolve()))
    import legacy  # noqa: PLC0415 - upstream's module, from the user's checkout

    return legacy


def load(checkpoint: str, *, space: str = "z", checkout: str | None = None, label: int = 0,
         truncation_psi: float = 1.0, ema: bool | None = None) -> LoadedGenerator:
    """``G_ema`` of ``checkpoint`` in ``space`` (``"z"`` or ``"w"``); ``ema=False``: the trained ``G``."""
    if space not in ("z", "w"):
        raise ValueError(f"stylegan2-ada: space must be 'z' or 'w', got {space!r}")
    legacy = _import_legacy(checkout)
    name = "G" if ema is False else "G_ema"
    try:
        with open(checkpoint, "rb") as f:
            data = legacy.load_network_pkl(f)
        G = data[name]
    except FileNotFoundError:
        raise
    except Exception as exc:  # noqa: BLE001 - any unreadable file gets the same message
        raise ValueError(f"{checkpoint} is not a StyleGAN2-ADA network pickle (a network-snapshot-*.pkl with "
                         f"G_ema, written by its train.py): {type(exc).__name__}: {exc}") from None
    G = G.eval().requires_grad_(False).float()
    c = torch.zeros(1, G.c_dim)
    if G.c_dim:
        if not 0 <= label < G.c_dim:
            raise ValueError(f"label {label} is outside the pickle's {G.c_dim} classes")
        c[0, label] = 1

    def mapped(z: torch.Tensor) -> torch.Tensor:
        return G.mapping(z, c.expand(len(z), -1), truncation_psi=truncation_psi)

    what = (f"StyleGAN2-ADA {name} ({'the moving average of G' if name == 'G_ema' else 'the trained G, not its average'}) "
            f"from {checkpoint}: {G.img_resolution}px, z {G.z_dim}-d, w {G.w_dim}-d"
            + (f", {G.c_dim} classes (label {label})" if G.c_dim else "") + f"; {space} space")
    if space == "z":
        def G_z(z: torch.Tensor) -> torch.Tensor:
            return G.synthesis(mapped(z), noise_mode="const", force_fp32=True)

        return LoadedGenerator(G_z, G.z_dim, None, what)

    def G_w(w: torch.Tensor) -> torch.Tensor:
        return G.synthesis(w.unsqueeze(1).repeat(1, G.num_ws, 1), noise_mode="const", force_fp32=True)

    def sample_w(n: int, gen: torch.Generator) -> torch.Tensor:
        with torch.no_grad():
            return mapped(torch.randn(n, G.z_dim, generator=gen))[:, 0]

    return LoadedGenerator(G_w, G.w_dim, sample_w, what)


__all__ = ["ENV", "load"]
