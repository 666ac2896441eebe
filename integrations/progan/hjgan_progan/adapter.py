"""The ``progan`` adapter: how the plugin calls, pairs and reports pro-gan-pth networks (docs/design.md §6).

Pure functions over pro-gan-pth 3.4's module *interfaces*: ``gen(z, depth, alpha)``, the generator's
``layers`` / ``rgb_converters`` and the discriminator's ``layers`` / ``from_rgb`` lists. Nothing here
imports pro-gan-pth, so the adapter is unit-tested without it and also serves a user's own loop:

    gen = create_generator_from_saved_model("depth_5_epoch_10.bin")
    session = attach(gen, adapter="progan", penalty="joint")
    loss = session.generator_penalty(z, depth, alpha)       # the passes call gen(z, depth, alpha)

**Penalty passes**: ``gen(z, depth, alpha)`` at the depth and fade-in alpha of the step being trained.
ProGAN's generator has no noise inputs and no BatchNorm (pixel norm is per sample), so the passes are
batched.

**Exchange pairing** [ours, docs/design.md §4]: the mirror of the image path, for the blocks trained at the
current depth ``d`` (resolution ``2**d``); it grows with the networks, so :func:`depth_pairing` is
rebuilt whenever the depth changes (``hjgan_progan.progan.HJProGAN`` does so). With ``nf(s)`` the
channels of stage ``s``:

=======================================  ==========================================  ==============
G                                        D                                           adjoint
=======================================  ==========================================  ==============
``rgb_converters.{r-2}`` (nf(r-1)->C)    ``from_rgb.{depth-r}.0`` (C->nf(r-1))       conv_adjoint
``layers.{r-2}.conv_2`` at 2**r, r >= 3  ``layers.{depth-r}.conv_1`` at 2**r         conv_adjoint
``layers.{r-2}.conv_1`` (up, r >= 3)     ``layers.{depth-r}.conv_2`` (before down)   conv_adjoint
``layers.0.conv_1`` (convT latent->4x4)  ``layers.{depth-2}.conv_2`` (4x4->latent)    identity
=======================================  ==========================================  ==============

The first row is paired for ``r = d`` and, while the new block fades in, for ``r = d - 1`` (both
converters are in use); the block rows for ``3 <= r <= d``. ``depth`` in D's indices is the networks'
full depth. Both networks store equalized-learning-rate weights (unit-variance init, the gain applied at
run time), so blending raw tensors mixes like with like. Not paired: biases, G's 4x4 ``conv_2`` against
D's final ``conv_1`` (the minibatch-std channel changes the shape), D's ``conv_3`` (no counterpart), and
any pair whose shapes differ.
"""
from __future__ import annotations

from typing import Any, Callable

from torch import Tensor, nn

from hjgan_plugin.adapters import Adapter
from hjgan_plugin.exchange.pairing import ParamPair
from hjgan_plugin.layers import unwrap

PairingFn = Callable[[nn.Module, nn.Module], list[ParamPair]]


def is_progan_generator(G: Any) -> bool:
    """True for pro-gan-pth's ``Generator`` (also DataParallel-wrapped): ``depth``, ``latent_size``,
    ``layers`` and ``rgb_converters``."""
    inner = unwrap(G) if isinstance(G, nn.Module) else None
    return inner is not None and all(hasattr(inner, a) for a in ("depth", "latent_size", "layers", "rgb_converters"))


def call_generator(G: Any, z: Tensor, depth: int | None = None, alpha: float = 1.0) -> Tensor:
    """The image of one penalty pass: ``G(z, depth, alpha)`` (the full depth when ``depth`` is None)."""
    if depth is None:
        depth = unwrap(G).depth
    return G(z, depth, alpha)


def _weight(module: nn.Module, name: str) -> Tensor | None:
    return dict(module.named_parameters()).get(name)


def _full_depth(G: nn.Module, D: nn.Module) -> int:
    depths = {getattr(G, "depth", None), getattr(D, "depth", None)}
    if len(depths) != 1 or None in depths:
        raise ValueError(f"progan pairing needs a pro-gan-pth Generator and Discriminator of the same depth, got "
                         f"G depth {getattr(G, 'depth', None)}, D depth {getattr(D, 'depth', None)}")
    return depths.pop()


def candidate_pairs(full_depth: int, depth: int) -> list[tuple[str, str, str]]:
    """``(g_name, d_name, adjoint)`` of the module docstring's table at training depth ``depth``."""
    if not 2 <= depth <= full_depth:
        raise ValueError(f"progan pairing: depth must be in [2, {full_depth}], got {depth}")
    pairs = []
    for r in (depth, depth - 1) if depth > 2 else (depth,):
        pairs.append((f"rgb_converters.{r - 2}.weight", f"from_rgb.{full_depth - r}.0.weight", "conv_adjoint"))
    for r in range(depth, 2, -1):
        g_block, d_block = f"layers.{r - 2}", f"layers.{full_depth - r}"
        pairs.append((f"{g_block}.conv_2.weight", f"{d_block}.conv_1.weight", "conv_adjoint"))
        pairs.append((f"{g_block}.conv_1.weight", f"{d_block}.conv_2.weight", "conv_adjoint"))
    pairs.append(("layers.0.conv_1.weight", f"layers.{full_depth - 2}.conv_2.weight", "identity"))
    return pairs


def _compatible(g: Tensor | None, d: Tensor | None, kind: str) -> bool:
    if g is None or d is None or g.dim() != 4:
        return False
    shape = tuple(g.shape) if kind == "identity" else (g.shape[1], g.shape[0], *g.shape[2:])
    return tuple(d.shape) == shape


def pair_parameters(G: nn.Module, D: nn.Module, depth: int | None = None) -> list[ParamPair]:
    """The mirror pairing of the module docstring at ``depth`` (default: the full depth), compatible
    shapes only."""
    G, D = unwrap(G), unwrap(D)
    full = _full_depth(G, D)
    pairs = []
    for g_name, d_name, kind in candidate_pairs(full, full if depth is None else depth):
        if _compatible(_weight(G, g_name), _weight(D, d_name), kind):
            pairs.append(ParamPair(g_name, d_name, kind))
    return pairs


def depth_pairing(depth: int) -> PairingFn:
    """A ``(G, D) -> pairs`` function for the exchange at training depth ``depth``."""

    def pairing(G: nn.Module, D: nn.Module) -> list[ParamPair]:
        return pair_parameters(G, D, depth)

    pairing.__name__ = f"progan_depth_{depth}"
    return pairing


ADAPTER = Adapter(
    name="progan",
    call_generator=call_generator,
    pair_parameters=pair_parameters,
    matches=is_progan_generator,
    description="pro-gan-pth 3.4 gen(z, depth, alpha) at the trained depth and fade-in; image-path mirror "
                "pairing of the blocks of the current depth",
)
