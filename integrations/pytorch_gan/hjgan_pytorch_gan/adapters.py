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
from hjgan_plugin.options import flags_text

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


#: The scripts' measured defaults: what ``--hj`` runs at on them unless a flag says otherwise
#: (docs/benchmarks/pytorch_gan_known_factors.md). gan: λ 1000x below the built-in one, on the activation
#: after each of its three BatchNorm blocks and the output (per-layer max, summed), every 4th G step.
DEFAULTS: dict[str, tuple[tuple[str, Any], ...]] = {
    "gan": (("layers", ("model.4", "model.7", "model.10", "output")), ("lambda_h", 1e-4), ("lambda_j", 1e-7),
            ("interval", 4)),
}
#: What those defaults measured where they did not meet the bar (+0.10 MIG at p < 0.05, FD within 10%,
#: cost <= 1.3x; empty: they met it).
_MEASURED_DEFAULTS: dict[str, str] = {
    "gan": ("measured on gan (a shaded ball, 16 px, 1500 iterations, 5 seeds) they raise MIG 0.03 -> 0.10 (p 0.007) "
            "and VP 0.28 -> 0.39 at kept FD (7.4 -> 5.9) for 1.3x a plain iteration: a gain, short of the +0.10 MIG "
            "the project asks of a default (the built-in lambda 0.1 on the output tripled FD)"),
}


def tradeoff(model: str, defaults: tuple[tuple[str, Any], ...] = ()) -> str:
    """The warning text for ``model`` at its defaults: empty where the script's own defaults met the bar,
    else its measurement where there is one, else the family's."""
    if defaults:
        return _MEASURED_DEFAULTS.get(model, "")
    found = f"on {model}: {_MEASURED[model]}" if model in _MEASURED else _FAMILY
    return (f"measured {found}; no setting has been shown to raise disentanglement at kept quality on "
            "this script yet. Compare with a plain run before a long one")


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

    def adapter(self, model: str, script_defaults: bool = True) -> Adapter:
        """The adapter for ``model``'s script (its pairing's error message names the model), with the
        script's measured :data:`DEFAULTS` unless ``script_defaults`` is false."""
        defaults = DEFAULTS.get(model, ()) if script_defaults else ()
        return Adapter(name=self.name, call_generator=_caller(self), pair_parameters=explained(self.pairing, model),
                       description=f"eriklindernoren/PyTorch-GAN {self.what}{_defaults_note(self.name)}",
                       generator_adversarial_loss=GENERATOR_LOSSES.get(model),
                       discriminator_loss=DISCRIMINATOR_LOSSES.get(model), tradeoff=tradeoff(model, defaults),
                       defaults=defaults)


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
    """One adapter per convention, for ``hjgan_register_adapters`` (``hjgan plugins`` lists them): without a
    script's defaults (a loop of one's own that picks ``adapter="pytorch-gan"`` is not that script)."""
    return [c.adapter(next(m for m, name in MODELS.items() if name == c.name), script_defaults=False)
            for c in CONVENTIONS.values()]


def _defaults_note(convention: str) -> str:
    """``"; gan's script runs at --hj-...``: the measured defaults of the convention's scripts, for ``hjgan plugins``."""
    notes = [f"{m}'s script runs at {flags_text(DEFAULTS[m])} unless set"
             for m, name in MODELS.items() if name == convention and m in DEFAULTS]
    return "".join("; " + note for note in notes)


def defaults_epilog() -> str:
    """What ``--help`` of a patched script says about the scripts' own defaults."""
    lines = [f"  {m}: {flags_text(d)}" for m, d in DEFAULTS.items()]
    return ("hjgan_plugin: these scripts run --hj at their measured defaults unless the flag is given:\n"
            + "\n".join(lines) + "\nevery other script at the built-in defaults shown above.")


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
