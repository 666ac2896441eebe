"""The PyTorch-GAN call conventions as adapters (docs/design.md §6, "Adapters").

Each script of eriklindernoren/PyTorch-GAN (``implementations/<model>/<model>.py`` at 36d3c77) builds
its own ``Generator``; what the penalty passes must call is read off its ``forward`` there:

=====================  ================================================  ===============================
adapter                G call in the script                              models
=====================  ================================================  ===============================
``pytorch-gan``        ``generator(z)``                                  gan, dcgan, wgan_gp, bgan, lsgan,
                                                                         sgan
``pytorch-gan-cond``   ``generator(z, labels)`` (class indices)          cgan, acgan
``pytorch-gan-info``   ``generator(z, label_input, code_input)``         infogan
                       (one-hot labels, continuous code)
``pytorch-gan-ae``     ``generator(z)``; D is an autoencoder             began, ebgan
``pytorch-gan-aae``    ``decoder(z)`` on fresh prior z (the G loss is    aae
                       computed on ``encoder(real)``)
=====================  ================================================  ===============================

Only z is perturbed; the other inputs are passed as they are. Pairings: :mod:`.pairing`. Nothing here
imports upstream code, so the adapters are unit-tested on stand-ins with the same layer layout.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable

from torch import Tensor, nn

from hjgan_plugin.adapters import Adapter

from .losses import DISCRIMINATOR_LOSSES, GENERATOR_LOSSES
from .pairing import aae_pairs, aligned_mirror_pairs, autoencoder_pairs, explained

HOOK = "hjgan_register_adapters"

#: What ``--hj`` at its defaults measured on each script (Fashion-MNIST, 150 iterations at batch 32, 16x16,
#: 3 seeds, IS-/FD-fashion; docs/benchmarks/pytorch_gan_table1.md); the adapter warns with it.
_MEASURED = {
    "bgan": "IS-fashion 1.78 -> 1.29 (worse, p 0.035), FD-fashion 626 -> 442 (better, p 0.003), 2.2x cost",
    "cgan": "IS-fashion 2.01 -> 1.04 and FD-fashion 434 -> 523 (both worse, p < 0.05), 1.9x cost",
    "aae": "IS-fashion 3.17 -> 1.49 and FD-fashion 111 -> 278 (both worse, p < 0.01), 1.6x cost",
    "acgan": "IS-fashion 1.85 -> 1.00 (collapsed) and FD-fashion 334 -> 767 (both worse, p < 0.05), 3.6x cost",
    "infogan": "IS-fashion 2.58 -> 2.49 and FD-fashion 454 -> 429 (no significant change), 2.8x cost",
}
_FAMILY = ("on the PyTorch-GAN scripts (Fashion-MNIST, 150 iterations, 3 seeds) it cost 1.6-4.2x a plain "
           "iteration and lowered IS-fashion on bgan, cgan, aae and acgan")


def tradeoff(model: str) -> str:
    """The warning text for ``model``: its own measurement where there is one, else the family's."""
    found = f"on {model}: {_MEASURED[model]}" if model in _MEASURED else _FAMILY
    return (f"measured {found}; no setting has been shown to raise disentanglement at kept quality on "
            "these scripts yet. Compare with a plain run before a long one")


class AAENetworks(nn.Module):
    """An AAE's generator side under one module: ``encoder`` (trained by ``optimizer_G`` too, and what D
    judges) and ``decoder`` (what the penalty regularizes). Parameter names ``encoder.*``/``decoder.*``."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module):
        super().__init__()
        self.encoder, self.decoder = encoder, decoder

    def forward(self, z: Tensor) -> Tensor:
        return self.decoder(z)


@dataclass(frozen=True)
class Convention:
    """One call convention: the adapter's name, G's inputs (names as in the scripts) and its pairing."""

    name: str
    inputs: tuple[str, ...]
    pairing: Callable[[nn.Module, nn.Module], list]
    what: str

    def adapter(self, model: str) -> Adapter:
        """The adapter for ``model``'s script (its pairing's error message names the model)."""
        return Adapter(name=self.name, call_generator=_caller(self), pair_parameters=explained(self.pairing, model),
                       description=f"eriklindernoren/PyTorch-GAN {self.what}",
                       generator_adversarial_loss=GENERATOR_LOSSES.get(model),
                       discriminator_loss=DISCRIMINATOR_LOSSES.get(model), tradeoff=tradeoff(model))


def _caller(convention: Convention) -> Callable[..., Any]:
    n = len(convention.inputs) - 1

    def call_generator(G: Callable, z: Tensor, *args: Any, **kwargs: Any) -> Any:
        if len(args) != n or kwargs:
            raise TypeError(f"the {convention.name!r} adapter calls generator({', '.join(convention.inputs)}): "
                            f"pass generator_penalty(z{''.join(', ' + a for a in convention.inputs[1:])}), "
                            f"got {len(args)} extra positional and {sorted(kwargs)} keyword input(s)")
        return G(z, *args)

    return call_generator


CONVENTIONS = {c.name: c for c in (
    Convention("pytorch-gan", ("z",), aligned_mirror_pairs, "generator(z); aligned mirror pairing"),
    Convention("pytorch-gan-cond", ("z", "labels"), aligned_mirror_pairs,
               "generator(z, labels) (cgan, acgan); aligned mirror pairing"),
    Convention("pytorch-gan-info", ("z", "label_input", "code_input"), aligned_mirror_pairs,
               "infogan generator(z, label_input, code_input); aligned mirror pairing"),
    Convention("pytorch-gan-ae", ("z",), autoencoder_pairs,
               "began/ebgan generator(z), D an autoencoder; G output conv -> D down.0 (adjoint) and up.1"),
    Convention("pytorch-gan-aae", ("z",), aae_pairs,
               "aae decoder(z) on fresh prior z; encoder.mu -> D input layer"),
)}

#: model (the script's folder name) -> call convention
MODELS = {
    **dict.fromkeys(("gan", "dcgan", "wgan_gp", "bgan", "lsgan", "sgan"), "pytorch-gan"),
    "cgan": "pytorch-gan-cond", "acgan": "pytorch-gan-cond",
    "infogan": "pytorch-gan-info",
    "began": "pytorch-gan-ae", "ebgan": "pytorch-gan-ae",
    "aae": "pytorch-gan-aae",
}


def registered() -> list[Adapter]:
    """One adapter per convention, for ``hjgan_register_adapters`` (``hjgan plugins`` lists them)."""
    return [c.adapter(next(m for m, name in MODELS.items() if name == c.name)) for c in CONVENTIONS.values()]


def _forward_inputs(G: nn.Module) -> list[str] | None:
    """The names of ``G.forward``'s inputs, or ``None`` when it takes ``*args`` (cannot tell)."""
    params = list(inspect.signature(G.forward).parameters.values())
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return None
    return [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]


def convention_for(model: str, G: nn.Module) -> Convention:
    """The convention of ``model``, checked against what ``G.forward`` takes.

    Raises ``ValueError`` naming the ``hjgan_register_adapters`` hook when the model is not one of the
    twelve, or when its G takes inputs the convention does not know (a script changed by hand).
    """
    name = MODELS.get(model)
    inputs = _forward_inputs(G.decoder if isinstance(G, AAENetworks) else G)
    if name is not None and (inputs is None or len(inputs) == len(CONVENTIONS[name].inputs)):
        return CONVENTIONS[name]
    known = CONVENTIONS[name].inputs if name else None
    what = (f"model {model!r} is not one of the pytorch-gan scripts {sorted(MODELS)}" if name is None else
            f"this {model} generator takes forward({', '.join(inputs or [])}), but the {name!r} adapter calls "
            f"generator({', '.join(known or ())})")
    raise ValueError(f"--hj: {what}. Register an adapter for it from a plugin's {HOOK}() hook (an "
                     "hjgan_plugin.adapters.Adapter whose call_generator passes G's other inputs) and pass "
                     "hj.attach(..., adapter=its name); `hjgan plugins` lists the registered adapters")
