"""Built-in plugin: the generic adapter (any nn.Module or callable generator)."""
from __future__ import annotations

from ..adapters import GENERIC, Adapter
from ..hookspecs import hookimpl


@hookimpl
def hjgan_register_adapters() -> list[Adapter]:
    return [GENERIC]
