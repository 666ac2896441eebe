"""Entry point of the StyleGAN2-ADA integration in the ``hjgan`` group: its adapter, ``hjgan patch
stylegan2-ada``, the ``hjgan stylegan2-ada train`` launcher and the pickle loader of ``hjgan discover
--adapter stylegan2-ada``."""
from __future__ import annotations

from typing import Any, Callable

from hjgan_plugin.adapters import Adapter
from hjgan_plugin.hookspecs import hookimpl

from .adapter import ADAPTER


@hookimpl
def hjgan_register_adapters() -> list[Adapter]:
    return [ADAPTER]


@hookimpl
def hjgan_patch_hosts() -> dict[str, Callable]:
    from .patching import HOST, patch_messages

    return {HOST: patch_messages}


@hookimpl
def hjgan_cli_commands() -> list[Any]:
    from .launcher import command_group

    return [command_group]


@hookimpl
def hjgan_generator_loaders() -> dict[str, Callable]:
    from .loading import load

    return {"stylegan2-ada": load}
