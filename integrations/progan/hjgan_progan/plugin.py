"""Entry point of the ProGAN integration in the ``hjgan`` group: its adapter and ``hjgan progan train``."""
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
