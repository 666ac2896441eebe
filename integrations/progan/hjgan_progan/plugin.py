"""Entry point of the ProGAN integration in the ``hjgan`` group: its adapter, ``hjgan progan train`` and the
checkpoint loader of ``hjgan discover --adapter progan``."""
from __future__ import annotations

from typing import Any

from hjgan_plugin.adapters import Adapter
from hjgan_plugin.hookspecs import hookimpl

from .adapter import ADAPTER


@hookimpl
def hjgan_register_adapters() -> list[Adapter]:
    return [ADAPTER]


@hookimpl
def hjgan_cli_commands() -> list[Any]:
    from .launcher import command_group

    return [command_group]


@hookimpl
def hjgan_generator_loaders() -> dict[str, Any]:
    from .loading import load

    return {"progan": load}
