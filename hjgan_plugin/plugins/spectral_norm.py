"""Built-in plugin: spectral normalization of the discriminator (Miyato et al., "Spectral Normalization for
Generative Adversarial Networks", ICLR 2018), a mode-collapse remedy that restrains D.

Option ``spectral_norm`` (``--hj-spectral-norm 1``, ``attach(spectral_norm=True)``): when the session is
attached, every linear and convolution weight of D is normalized in place with
``torch.nn.utils.parametrizations.spectral_norm`` (``spectral_norm_iterations`` power iterations per forward).
The optimizer D already has keeps working (the weight Parameter is the same object). D's ``state_dict`` then has
the parametrization's keys; ``hjgan_plugin.remedies.plain_state_dict(D)`` is the one a plain D loads. A D that
is not an ``nn.Module`` or has no such layer is refused at attach time.
"""
from __future__ import annotations

import weakref
from typing import Any

from ..hookspecs import hookimpl
from ..options import parse_bool
from ..remedies.spectral import apply_spectral_norm, remove_spectral_norm

#: The layers each D had normalized by this plugin (weakly keyed: a D that is dropped drops its entry).
_APPLIED: "weakref.WeakKeyDictionary[Any, list[str]]" = weakref.WeakKeyDictionary()


@hookimpl
def hjgan_addoption(parser: Any) -> None:
    group = parser.getgroup("spectral", "spectral normalization of D (Miyato et al. 2018)")
    group.addoption("norm", type=parse_bool, default=False,
                    help="normalize every linear/conv weight of D by its largest singular value")
    group.addoption("norm_iterations", type=int, default=1, range=">= 1", help="power iterations per D forward")


@hookimpl
def hjgan_configure(context: Any) -> None:
    if not context.getoption("spectral_norm"):
        return
    if context.discriminator is None:
        raise ValueError("--hj-spectral-norm needs the discriminator: attach(G, D, ...)")
    _APPLIED[context.discriminator] = apply_spectral_norm(context.discriminator,
                                                          int(context.getoption("spectral_norm_iterations")))


@hookimpl
def hjgan_unconfigure(context: Any) -> None:
    """A refused attach: the layers this plugin normalized get their plain weights back (same Parameter)."""
    D = context.discriminator
    names = _APPLIED.pop(D, []) if D is not None else []
    if names:
        remove_spectral_norm(D, names)
