"""The PyTorch-GAN benchmarks' models and settings: the nine Table 1 models, the four the remedies suite
runs, how to draw samples from each trained script's generator, and each setting's flags.

A script run with :func:`runpy.run_path` leaves its module globals behind; the generator is
``generator`` (``decoder`` for the AAE) and its inputs are drawn as the script draws them in training:
``z ~ N(0, I)`` of ``opt.latent_dim``, class labels uniform over ``opt.n_classes`` (cgan, acgan as
indices; infogan one-hot, with its continuous code uniform in ``[-1, 1]^code_dim``).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from ..collapse.configs import Config

#: The Table 1 rows, in the paper's order.
MODELS = ("began", "bgan", "ebgan", "infogan", "cgan", "aae", "acgan", "lsgan", "sgan")

#: The scripts whose patches pass the real batch and whose adapters know the script's per-sample G loss and
#: its D loss: the ones on which both top-k and the unrolled GAN run.
REMEDY_MODELS = ("gan", "dcgan", "lsgan", "bgan")

#: Every model a benchmark can sample from (z-only generators beyond Table 1's).
SAMPLED = MODELS + ("gan", "dcgan", "wgan_gp")

#: Table 1's settings -> the extra command-line flags of the patched script.
SETTINGS: dict[str, tuple[str, ...]] = {
    "plain": (),
    "hj": ("--hj",),
    "exchange": ("--hj", "--hj-penalty", "none", "--hj-exchange-every", "1"),
}
LABELS = {"plain": "plain", "hj": "--hj (joint penalty)", "exchange": "exchange every 1 (no penalty)"}


def check_setting(setting: str) -> str:
    """``setting`` if it is one of :data:`SETTINGS` or a config of the mode-collapse suites
    (``topk:0.75``, ``unrolled:5:0.001``, ``sn``, ``msgan:0.1``, ...); else ``argparse.ArgumentTypeError``."""
    if setting not in SETTINGS:
        Config.parse(setting)
    return setting


def flags(setting: str, iterations: int) -> tuple[str, ...]:
    """The script's extra flags for ``setting`` in a run of ``iterations`` iterations: Table 1's, or a
    mode-collapse config's options as ``--hj-*`` flags (:meth:`Config.host_flags`)."""
    return SETTINGS[setting] if setting in SETTINGS else Config.parse(setting).host_flags(iterations)


def label(setting: str) -> str:
    return LABELS[setting] if setting in SETTINGS else Config.parse(setting).label


@dataclass(frozen=True)
class Suite:
    """One benchmark over PyTorch-GAN scripts: its page's file stem, its models and settings (``plain``
    first: every other is compared with it) and its defaults."""

    name: str
    title: str
    models: tuple[str, ...]
    settings: tuple[str, ...]
    seeds: tuple[int, ...]
    iterations: int
    img_size: int
    paper: bool  # whether the page sets the paper's Table 1 beside


TABLE1 = Suite("pytorch_gan_table1", "The paper's Table 1 in miniature: nine PyTorch-GAN models on Fashion-MNIST, "
               "plain vs `--hj` vs the exchange", MODELS, tuple(SETTINGS), (0, 1, 2), 150, 16, paper=True)
REMEDIES = Suite("pytorch_gan_remedies", "Mode-collapse remedies on four PyTorch-GAN models on Fashion-MNIST: plain vs "
                 "top-k vs unrolled (three step sizes)", REMEDY_MODELS,
                 ("plain", "topk:0.75", "unrolled:5:0.001", "unrolled:5:0.0001", "unrolled:5:0.01"), (0, 1, 2, 3, 4),
                 300, 32, paper=False)
SUITES = {suite.name: suite for suite in (TABLE1, REMEDIES)}


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
    if model not in SAMPLED:
        raise ValueError(f"unknown model {model!r}; the benchmarks sample from {', '.join(SAMPLED)}")
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
