"""Exchange pairings for the PyTorch-GAN scripts (docs/design.md §4, "Pairing") [ours].

The core's mirror pairing (``--hj-exchange-pairing mirror``) zips G's weight layers from the output end
with D's from the input end *by position*. PyTorch-GAN's G and D have different depths and widths
(``gan``: G 100-128-256-512-1024-784, D 784-512-256-1; ``dcgan``: G convs 128-128-64-C, D convs
C-16-32-64-128), so position 0 never fits and the positional walk pairs nothing on ten of the twelve
scripts. The adapters' pairing (the default of :func:`hjgan_pytorch_gan.hj.attach`) keeps the mirror's
rule and order but lets either side skip a layer that has no counterpart:

- :func:`aligned_mirror_pairs`: the longest order-preserving sequence of (G layer ``a -> b``, D layer
  ``b -> a``) whose adjoint has exactly D's weight shape (``Linear``: transpose; ``ConvTranspose`` to
  ``Conv``: identity; ``Conv`` to ``Conv``: the convolution adjoint), the same three kinds as the core's.
- :func:`autoencoder_pairs` (``began``, ``ebgan``): D is an autoencoder. Its encoder's input conv
  (``down.0``, image -> 64) mirrors G's output conv (64 -> image) through the adjoint, and its decoder's
  output conv (``up.1``, 64 -> image) *is* a G output layer, so it receives G's weight as it is.
  Both come from one G tensor, so ``--hj-exchange-direction both`` is refused (the core says why).
- :func:`aae_pairs`: D judges latent codes, not images; the adversarial generator of an AAE is the
  encoder. Its code layer ``encoder.mu`` (512 -> latent) mirrors D's input layer (latent -> 512).

A pairing that finds nothing raises ``ValueError`` naming the model and why (``cgan``: D's input layer
reads the image and the label embedding together, its hidden layers are 512 wide, none of G's maps
``b -> a`` onto a D layer's ``a -> b``).
"""
from __future__ import annotations

from typing import Callable

from torch import nn

from hjgan_plugin.exchange.pairing import ParamPair, adjoint_shape
from hjgan_plugin.layers import unwrap

_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.ConvTranspose1d, nn.ConvTranspose2d)
_CONV_T = (nn.ConvTranspose1d, nn.ConvTranspose2d)


def _kind(g: nn.Module, d: nn.Module) -> str | None:
    """The adjoint kind of the core's table for a G layer type and a D layer type."""
    if isinstance(g, nn.Linear) and isinstance(d, nn.Linear):
        return "transpose"
    if isinstance(d, (nn.Conv1d, nn.Conv2d)) and not isinstance(d, _CONV_T):
        if isinstance(g, _CONV_T):
            return "identity"
        if isinstance(g, (nn.Conv1d, nn.Conv2d)):
            return "conv_adjoint"
    return None


def _weights(model: nn.Module) -> list[tuple[str, nn.Module]]:
    return [(name, m) for name, m in model.named_modules()
            if isinstance(m, _LAYERS) and isinstance(m._parameters.get("weight"), nn.Parameter)]


def _fits(g: tuple[str, nn.Module], d: tuple[str, nn.Module]) -> str | None:
    kind = _kind(g[1], d[1])
    if kind is None or adjoint_shape(g[1].weight.shape, kind) != tuple(d[1].weight.shape):
        return None
    return kind


def aligned_mirror_pairs(G: nn.Module, D: nn.Module) -> list[ParamPair]:
    """The mirror rule without the positional zip: the longest order-preserving alignment of G's
    layers (output end first) with D's (input end first) in which every pair is adjoint-compatible."""
    g_layers, d_layers = list(reversed(_weights(unwrap(G)))), _weights(unwrap(D))
    n, m = len(g_layers), len(d_layers)
    best = [[0] * (m + 1) for _ in range(n + 1)]  # longest common subsequence, compatibility as equality
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            fit = _fits(g_layers[i], d_layers[j]) is not None
            best[i][j] = max(best[i + 1][j], best[i][j + 1], best[i + 1][j + 1] + 1 if fit else 0)
    pairs, i, j = [], 0, 0
    while i < n and j < m:
        kind = _fits(g_layers[i], d_layers[j])
        if kind is not None and best[i][j] == best[i + 1][j + 1] + 1:
            pairs.append(ParamPair(f"{g_layers[i][0]}.weight", f"{d_layers[j][0]}.weight", kind))
            i, j = i + 1, j + 1
        elif best[i + 1][j] >= best[i][j + 1]:
            i += 1
        else:
            j += 1
    return pairs


def _output_conv(G: nn.Module) -> tuple[str, nn.Module]:
    convs = [(name, m) for name, m in _weights(unwrap(G)) if isinstance(m, nn.Conv2d)]
    if not convs:
        raise ValueError(f"{type(G).__name__} has no Conv2d: not a BEGAN/EBGAN-style generator")
    return convs[-1]


def autoencoder_pairs(G: nn.Module, D: nn.Module) -> list[ParamPair]:
    """BEGAN/EBGAN: G's output conv -> D's encoder input ``down.0`` (adjoint) and decoder output ``up.1``
    (as it is), each kept only when the shapes fit."""
    name, conv = _output_conv(G)
    d_params = dict(unwrap(D).named_parameters())
    out = []
    for d_name, kind in (("down.0.weight", "conv_adjoint"), ("up.1.weight", "identity")):
        d = d_params.get(d_name)
        if d is not None and adjoint_shape(conv.weight.shape, kind) == tuple(d.shape):
            out.append(ParamPair(f"{name}.weight", d_name, kind))
    return out


def aae_pairs(G: nn.Module, D: nn.Module) -> list[ParamPair]:
    """AAE: the encoder's code layer ``encoder.mu`` (512 -> latent) -> D's input layer (latent -> 512)."""
    g_params, d_layers = dict(unwrap(G).named_parameters()), _weights(unwrap(D))
    mu = g_params.get("encoder.mu.weight")
    if mu is None or not d_layers:
        return []
    d_name, first = d_layers[0]
    if not isinstance(first, nn.Linear) or tuple(first.weight.shape) != tuple(mu.shape[::-1]):
        return []
    return [ParamPair("encoder.mu.weight", f"{d_name}.weight", "transpose")]


#: why a model's pairing can come out empty, for the error message
WHY_EMPTY = {
    "cgan": "D's input layer reads the flattened image and the label embedding together, and its hidden "
            "layers are all 512 wide: none of G's layers maps b -> a onto a D layer's a -> b",
}


def explained(pairing: Callable[[nn.Module, nn.Module], list[ParamPair]], model: str
              ) -> Callable[[nn.Module, nn.Module], list[ParamPair]]:
    """``pairing`` that raises a message naming ``model`` (and why, where known) when it finds nothing."""

    def pair_parameters(G: nn.Module, D: nn.Module) -> list[ParamPair]:
        pairs = pairing(G, D)
        if not pairs:
            why = WHY_EMPTY.get(model, "no G layer's adjoint has the shape of a D layer's weight")
            raise ValueError(f"pytorch-gan {model}: the weight exchange pairs nothing ({why}). Leave "
                             "--hj-exchange-every at 0, or pass attach(pairs=[(g_param, d_param, kind)])")
        return pairs

    pair_parameters.__name__ = f"{pairing.__name__}[{model}]"
    return pair_parameters
