"""A pro-gan-pth checkpoint (``models/depth_D_epoch_E.bin``) as a frozen function of z, for ``hjgan discover
--adapter progan`` (docs/design.md §12).

Read as upstream's ``create_generator_from_saved_model`` reads it (the EMA "shadow" generator when the
file has one), in eval mode, called at ``depth`` (default: the depth the file's name says it was trained
to, else the network's full depth) with fade-in ``alpha`` 1. Upstream's generator normalizes z onto the
sphere of radius √d itself, so latents are drawn standard normal.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import torch

from hjgan_plugin.discovery.loading import LoadedGenerator


def load(checkpoint: str, *, space: str = "z", depth: int | None = None, ema: bool | None = None) -> LoadedGenerator:
    """The generator of ``checkpoint``: its EMA shadow where it has one (``ema=None``), the shadow only
    (``True``) or the trained generator (``False``); ``space`` must be ``"z"`` (ProGAN has no other latent)."""
    from .compat import apply, check_version  # noqa: PLC0415 - pro-gan-pth lives in the hosts environment

    check_version()
    apply()  # the run-time torch 2.x fixes its generator needs
    from pro_gan_pytorch.networks import Generator  # noqa: PLC0415

    if space != "z":
        raise ValueError(f"progan: the only latent space is 'z', got {space!r}")
    try:
        saved = torch.load(checkpoint, map_location="cpu", weights_only=True)
        shadow = "shadow_generator" in saved and ema is not False
        part = saved["shadow_generator"] if shadow else saved["generator"]
        gen = Generator(**part["conf"])
        gen.load_state_dict(part["state_dict"])
    except FileNotFoundError:
        raise
    except Exception as exc:  # noqa: BLE001 - any unreadable file gets the same message
        raise ValueError(f"{checkpoint} is not a pro-gan-pth 3.4 checkpoint (a models/depth_D_epoch_E.bin with "
                         f"'generator': {{'conf', 'state_dict'}}): {type(exc).__name__}: {exc}") from None
    if ema and not shadow:
        raise ValueError(f"{checkpoint} has no EMA generator (trained with --use_ema False): use --no-ema")
    gen = gen.eval().requires_grad_(False)
    named = re.search(r"depth_(\d+)_", Path(checkpoint).name)
    depth = depth or (int(named.group(1)) if named else gen.depth)
    if not 2 <= depth <= gen.depth:
        raise ValueError(f"progan: depth {depth} is outside the network's 2..{gen.depth}")

    def G(z: torch.Tensor) -> Any:
        return gen(z, depth, 1.0)

    what = ("the EMA (shadow) generator: an average that trails training, after a short run still close to "
            "its initialisation (--no-ema: the trained one)" if shadow else "the trained generator (no EMA)")
    return LoadedGenerator(G, gen.latent_size, None,
                           f"pro-gan-pth {what}, from {checkpoint}: depth {depth} of {gen.depth} ({2 ** depth}px), "
                           f"latent {gen.latent_size}-d")


__all__ = ["load"]
