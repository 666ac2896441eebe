"""The nine Table 1 models: how to draw samples from each trained script's generator, and the settings.

A script run with :func:`runpy.run_path` leaves its module globals behind; the generator is
``generator`` (``decoder`` for the AAE) and its inputs are drawn as the script draws them in training:
``z ~ N(0, I)`` of ``opt.latent_dim``, class labels uniform over ``opt.n_classes`` (cgan, acgan as
indices; infogan one-hot, with its continuous code uniform in ``[-1, 1]^code_dim``).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

#: The Table 1 rows, in the paper's order.
MODELS = ("began", "bgan", "ebgan", "infogan", "cgan", "aae", "acgan", "lsgan", "sgan")

#: Setting -> the extra command-line flags of the patched script.
SETTINGS: dict[str, tuple[str, ...]] = {
    "plain": (),
    "hj": ("--hj",),
    "exchange": ("--hj", "--hj-penalty", "none", "--hj-exchange-every", "1"),
}


def _labels(n: int, opt: Any, gen: torch.Generator) -> torch.Tensor:
    return torch.randint(0, opt.n_classes, (n,), generator=gen)


def _inputs(model: str, n: int, opt: Any, gen: torch.Generator) -> tuple[torch.Tensor, ...]:
    z = torch.randn(n, opt.latent_dim, generator=gen)
    if model in ("cgan", "acgan"):
        return z, _labels(n, opt, gen)
    if model == "infogan":
        one_hot = torch.nn.functional.one_hot(_labels(n, opt, gen), opt.n_classes).float()
        return z, one_hot, torch.rand(n, opt.code_dim, generator=gen) * 2 - 1
    return (z,)


def sampler(model: str, script_globals: dict[str, Any]) -> Callable[[int, int], torch.Tensor]:
    """``sample(n, seed)`` -> ``(n, 1, H, W)`` images in ``[0, 1]`` from the trained script's generator, in
    batches of 64 in the mode the script leaves it (training mode, as the scripts draw their own samples)."""
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; Table 1 has {', '.join(MODELS)}")
    G = script_globals["decoder" if model == "aae" else "generator"]
    opt = script_globals["opt"]

    @torch.no_grad()
    def sample(n: int, seed: int) -> torch.Tensor:
        gen = torch.Generator().manual_seed(seed)
        out = []
        for start in range(0, n, 64):
            images = G(*_inputs(model, min(64, n - start), opt, gen))
            out.append(images.reshape(len(images), 1, opt.img_size, opt.img_size))
        return ((torch.cat(out) + 1) / 2).clamp(0, 1)

    return sample
