"""Entry point of the StyleGAN2-ADA integration in the ``hjgan`` group: registers its adapter."""
from __future__ import annotations

from hjgan_plugin.adapters import Adapter
from hjgan_plugin.hookspecs import hookimpl

from .adapter import ADAPTER


@hookimpl
def hjgan_register_adapters() -> list[Adapter]:
    return [ADAPTER]
