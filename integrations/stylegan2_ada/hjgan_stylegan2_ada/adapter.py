"""The ``stylegan2-ada`` adapter: how the plugin calls, pairs and reports StyleGAN2-ADA networks (docs/design.md §6).

Pure functions over upstream's module *interfaces* (``G.mapping(z, c, skip_w_avg_update=...)``,
``G.synthesis(ws, noise_mode=..., force_fp32=...)``, the ``b{res}`` block names); nothing here imports
upstream code, so the adapter is unit-tested without a checkout and also serves a user's own loop:

    G = legacy.load_network_pkl(f)["G"]                     # a frozen pretrained generator
    session = attach(G, adapter="stylegan2-ada", penalty="joint")
    loss = session.generator_penalty(z, c)                  # c: labels, or None for c_dim = 0

**Penalty passes** (docs/design.md §5): ``skip_w_avg_update=True`` (the mapping's running mean of w is not moved by
the 2k perturbed passes), ``noise_mode='const'`` (the per-layer noise is the buffer ``noise_const``, so G
is a function of its latent), no style mixing (one w broadcast to every layer) and ``force_fp32=True``
(finite differences of fp16 activations are biased: ``LowPrecisionWarning``). ``space='z'`` perturbs z
before the mapping; ``space='w'`` perturbs w (one ``w_dim`` vector per sample, broadcast to ``num_ws``):
then only the synthesis network is regularized.

**Exchange pairing** [ours, docs/design.md §4]: the mirror of the image path. G's block at resolution r and D's
block at r see the same image scale, and G's up-sampling convolution is the adjoint of D's
down-sampling one:

=============================  =================================  ===========================
G (synthesis)                  D                                  why
=============================  =================================  ===========================
``b{R}.torgb.weight``          ``b{R}.fromrgb.weight``            image <-> top features (1x1)
``b{r}.conv1.weight`` (r >= 8) ``b{r}.conv0.weight``              C_r -> C_r at resolution r
``b{r}.conv0.weight`` (r >= 8) ``b{r}.conv1.weight``              up C_r/2 -> C_r vs down C_r -> C_r/2
=============================  =================================  ===========================

all through ``conv_adjoint`` (``W.transpose(0, 1).flip(spatial)``). Both networks store equalized-
learning-rate weights (unit-variance init, the gain applied at run time), so blending raw tensors mixes
like with like. Not paired: biases, the style affines and the mapping network (D has no counterpart), the
4x4 epilogue (its conv sees the minibatch-std channel: shapes differ). Pairs whose shapes differ (G and D
built with different channel settings) are left out.
"""
from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

from hjgan_plugin.adapters import Adapter
from hjgan_plugin.exchange.pairing import ParamPair
from hjgan_plugin.layers import unwrap
from hjgan_plugin.options import LATENT_SPACES

NOISE_MODES = ("const", "random", "none")

# stats key -> training_stats name (stats.jsonl, tensorboard)
REPORT_NAMES = {
    "hj_hessian": "Loss/G/hj_hessian",
    "hj_jacobian": "Loss/G/hj_jacobian",
    "hj_penalty": "Loss/G/hj_penalty",
}


class StyleGAN2Networks(nn.Module):
    """G as the training loss sees it: ``mapping`` and ``synthesis`` (possibly DDP-wrapped) under one
    module, with upstream's Generator's child names (``synthesis.b8.conv1`` ...).

    The children are the bare modules (names, pairing, layer capture); the calls go through the wrappers
    given, so DistributedDataParallel's gradient synchronisation sees every penalty pass.
    """

    def __init__(self, mapping: nn.Module, synthesis: nn.Module):
        super().__init__()
        self.mapping = unwrap(mapping)
        self.synthesis = unwrap(synthesis)
        object.__setattr__(self, "_hj_call", (mapping, synthesis))  # not registered: no duplicate params
        for attr in ("z_dim", "c_dim", "w_dim", "num_ws"):
            setattr(self, attr, getattr(self.mapping, attr))

    def forward(self, z: Tensor, c: Tensor | None = None, **kwargs: Any) -> Tensor:
        return call_generator(self, z, c, **kwargs)


def is_stylegan2(G: Any) -> bool:
    """True for upstream's ``Generator`` (or a :class:`StyleGAN2Networks`), also DDP-wrapped."""
    inner = unwrap(G) if isinstance(G, nn.Module) else None
    mapping = getattr(inner, "mapping", None)
    synthesis = getattr(inner, "synthesis", None)
    return all(hasattr(mapping, a) for a in ("z_dim", "w_dim", "num_ws")) and hasattr(synthesis, "block_resolutions")


def _parts(G: Any) -> tuple[nn.Module, nn.Module]:
    calls = getattr(G, "_hj_call", None)
    if calls is not None:
        return calls
    if not is_stylegan2(G):
        raise TypeError(f"the 'stylegan2-ada' adapter needs a StyleGAN2-ADA Generator (with .mapping and "
                        f".synthesis), got {type(G).__name__}")
    inner = unwrap(G)
    return inner.mapping, inner.synthesis


def call_generator(G: Any, latent: Tensor, c: Tensor | None = None, *, space: str = "z",
                   noise_mode: str = "const", force_fp32: bool = True, **synthesis_kwargs: Any) -> Tensor:
    """The image of one penalty pass: ``synthesis(ws, noise_mode, force_fp32)`` (docs/design.md §5).

    ``latent`` is z (``space='z'``, shape ``[N, z_dim]``) or one w per sample (``space='w'``,
    ``[N, w_dim]``); ``c`` the labels ``[N, c_dim]`` (``None`` for an unconditional G).
    """
    if space not in LATENT_SPACES:
        raise ValueError(f"--hj-space must be one of {list(LATENT_SPACES)}, got {space!r}")
    if noise_mode not in NOISE_MODES:
        raise ValueError(f"noise_mode must be one of {list(NOISE_MODES)}, got {noise_mode!r}")
    mapping, synthesis = _parts(G)
    bare = unwrap(mapping)
    if c is None:
        c = torch.zeros(latent.shape[0], bare.c_dim, device=latent.device, dtype=latent.dtype)
    if space == "z":
        ws = mapping(latent, c, skip_w_avg_update=True)
    else:
        if latent.dim() != 2 or latent.shape[1] != bare.w_dim:
            raise ValueError(f"--hj-space=w: the latent must be one w per sample, shape [N, {bare.w_dim}], "
                             f"got {list(latent.shape)}")
        ws = latent.unsqueeze(1).repeat(1, bare.num_ws, 1)
    return synthesis(ws, noise_mode=noise_mode, force_fp32=force_fp32, **synthesis_kwargs)


def w_latents(G: Any, z: Tensor, c: Tensor | None = None) -> Tensor:
    """One w per sample for ``--hj-space=w`` (detached: the penalty perturbs w, not the mapping)."""
    mapping, _ = _parts(G)
    bare = unwrap(mapping)
    if c is None:
        c = torch.zeros(z.shape[0], bare.c_dim, device=z.device, dtype=z.dtype)
    with torch.no_grad():
        return mapping(z, c, skip_w_avg_update=True)[:, 0].detach()


def _weight(module: nn.Module, name: str) -> Tensor | None:
    params = dict(module.named_parameters())
    return params.get(name)


def pair_parameters(G: nn.Module, D: nn.Module) -> list[ParamPair]:
    """The mirror pairing of the module docstring's table, shape-compatible pairs only."""
    G, D = unwrap(G), unwrap(D)
    synthesis = getattr(G, "synthesis", None)
    resolutions = list(getattr(synthesis, "block_resolutions", []))
    if not resolutions:
        raise ValueError("stylegan2-ada pairing: G has no synthesis.block_resolutions (not a StyleGAN2-ADA G)")
    candidates = [(f"synthesis.b{resolutions[-1]}.torgb.weight", f"b{resolutions[-1]}.fromrgb.weight")]
    for res in reversed(resolutions):
        if res < 8:
            continue
        candidates.append((f"synthesis.b{res}.conv1.weight", f"b{res}.conv0.weight"))
        candidates.append((f"synthesis.b{res}.conv0.weight", f"b{res}.conv1.weight"))
    pairs = []
    for g_name, d_name in candidates:
        g, d = _weight(G, g_name), _weight(D, d_name)
        if g is None or d is None or g.dim() != 4 or d.shape != (g.shape[1], g.shape[0], *g.shape[2:]):
            continue
        pairs.append(ParamPair(g_name, d_name, "conv_adjoint"))
    return pairs


def report_training_stats(scalars: dict[str, float], step: int) -> None:
    """Send the plugin's scalars to upstream's ``training_stats`` (stats.jsonl, tensorboard).

    ``hj_hessian``/``hj_jacobian``/``hj_penalty`` go to ``Loss/G/...``; every other scalar (α, β, the
    warm-up ramp, the exchange's counters) to ``Loss/hj/<name>``. Without upstream's ``torch_utils`` on
    the path (a re-implemented G) there is no collector to report to, and nothing is sent.
    """
    try:
        from torch_utils import training_stats  # upstream's; importable wherever its networks are
    except ImportError:
        return

    for key, value in scalars.items():
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        name = REPORT_NAMES.get(key, "Loss/hj/" + key.replace("hj_", "", 1))
        training_stats.report(name, torch.as_tensor(float(value)))


ADAPTER = Adapter(
    name="stylegan2-ada",
    call_generator=call_generator,
    pair_parameters=pair_parameters,
    report=report_training_stats,
    matches=is_stylegan2,
    description="NVlabs stylegan2-ada-pytorch G(z|w, c) with const noise, fp32, no style mixing; "
                "image-path mirror pairing; scalars to training_stats",
    tradeoff=("measured on a tiny network (--cbase 512 --cmax 32, 16x16 squares, 80 kimg, 2 seeds) it learnt "
              "no valid samples (valid 0.00 vs 0.17 plain), lowered MIG along G's top-3 Jacobian directions "
              "(0.065 vs 0.143) and cost 1.57x upstream's sec/kimg; fine-tuning on a known-factor set (shaded "
              "ball, 3 seeds) no lambda from 1e-5 to 1e-2, at the output or on the synthesis blocks, moved MIG "
              "(within +-0.012 of plain, p > 0.4) at 1.7-2.6x the cost. No setting has been shown to pay on "
              "this host yet: compare with a plain run before a long one"),
)
