"""``hjgan demo``: the squares demo (:mod:`hjgan_plugin.demo`), its arguments passed through unchanged."""
from __future__ import annotations

import sys
from typing import Sequence

import click


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                 "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def demo(args: Sequence[str]) -> None:
    """Run the squares demo; ARGS go to it unchanged (``hjgan demo --help`` shows its options)."""
    try:
        from .. import demo as demo_module  # lazy: torch training code, and written separately
    except ImportError as exc:
        raise click.ClickException(f"the demo is not available: {exc}") from None
    status = demo_module.main(list(args))
    sys.exit(int(status or 0))
