"""The command line's error for bad input: one line, exit status 2 (click's usage errors use 2 as well)."""
from __future__ import annotations

import click


class InputError(click.ClickException):
    """What a command could not do with the user's input or files: one line, exit status 2."""

    exit_code = 2
