"""``hjgan plugins``: the installed plugins, their hooks, adapters and exchange rules."""
from __future__ import annotations

import click


@click.command()
def plugins() -> None:
    """Plugins of the 'hjgan' entry-point group, their hooks, adapters and exchange rules."""
    from .. import plugin_manager

    try:
        text = plugin_manager.describe(plugin_manager.get_plugin_manager())
    except (ValueError, TypeError) as exc:  # e.g. two plugins registering the same adapter name
        raise click.ClickException(str(exc)) from None
    click.echo(text)
