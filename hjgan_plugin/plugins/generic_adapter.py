"""Built-in plugin: the generic adapter (any nn.Module or callable generator) and its non-saturating-loss
variant (the same, knowing the loop's G loss is ``softplus(-D(G(z)))``)."""
from __future__ import annotations

from ..adapters import GENERIC, NON_SATURATING, Adapter
from ..hookspecs import hookimpl


@hookimpl
def hjgan_register_adapters() -> list[Adapter]:
    return [GENERIC, NON_SATURATING]
