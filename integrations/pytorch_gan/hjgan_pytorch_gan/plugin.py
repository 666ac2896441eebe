"""Entry point of the PyTorch-GAN integration in the ``hjgan`` group: its adapters and
``hjgan patch pytorch-gan DIR``."""
from __future__ import annotations

from typing import Callable

from hjgan_plugin.adapters import Adapter
from hjgan_plugin.hookspecs import hookimpl

from .adapters import registered


@hookimpl
def hjgan_register_adapters() -> list[Adapter]:
    return registered()


@hookimpl
def hjgan_patch_hosts() -> dict[str, Callable]:
    from .patching import HOST, patch_messages

    return {HOST: patch_messages}
