"""Host trainers: ``hjgan patch HOST DIR`` and the commands host integrations add (docs/design.md §6).

Each installed integration registers its patch function (``hjgan_patch_hosts``) and its own commands
(``hjgan_cli_commands``, e.g. ``hjgan stylegan2-ada train``); this module only dispatches.
"""
from __future__ import annotations

from pathlib import Path

import click

from ..patching import PatchError
from .errors import InputError


def _pm():
    from ..plugin_manager import get_plugin_manager

    return get_plugin_manager()


def _patch_hosts() -> dict:
    from ..plugin_manager import patch_hosts

    return patch_hosts(_pm())


@click.command()
@click.argument("host")
@click.argument("repo", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--cpu", is_flag=True, help="also apply the host's CPU patch (machines without CUDA; tests)")
@click.option("--check", "check_only", is_flag=True, help="check version and patches, change nothing")
@click.option("--reverse", is_flag=True, help="remove the patches instead")
def patch(host: str, repo: Path, cpu: bool, check_only: bool, reverse: bool) -> None:
    """Apply hjgan_plugin's patches to a HOST checkout in REPO: version-checked, all or nothing.

    HOST is one of the installed integrations' hosts (`hjgan plugins` lists them).
    """
    hosts = _patch_hosts()
    if host not in hosts:
        raise click.BadParameter(f"{host!r} is not a host of an installed integration; choose from "
                                 f"{sorted(hosts)} (each host is a distribution under integrations/)",
                                 param_hint="HOST")
    try:
        lines = hosts[host](repo, cpu=cpu, reverse=reverse, check_only=check_only)
    except PatchError as exc:
        raise InputError(str(exc)) from None
    prefix = "check: would have " if check_only else ""
    for line in lines:
        click.echo(prefix + line)


def add_host_commands(group: click.Group) -> None:
    """Add ``patch`` and every integration's commands to ``group``."""
    from ..plugin_manager import cli_commands

    group.add_command(patch)
    for command in cli_commands(_pm()):
        if command.name in group.commands:
            raise click.ClickException(f"two commands are named {command.name!r} (a plugin's and hjgan's)")
        group.add_command(command)
