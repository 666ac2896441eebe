"""The ``hjgan`` command line (console script, also ``python -m hjgan_plugin``).

    hjgan game [--v 1 --c 2 --split 0.5 | --game 1,2,0.5] [--json] # Eagle-Dove matrix, equilibrium, alpha, beta
    hjgan plugins                                                # plugins, their hooks, adapters, exchange rules
    hjgan data mnist DIR [--from SRC] [--subset N]               # torchvision's MNIST layout from local IDX files
    hjgan demo [ARGS...]                                         # the squares demo (hjgan_plugin.demo)
    hjgan discover --generator M:F --latent-dim D --num-directions K --out DIR   # directions of a frozen G
    hjgan traverse DIR/directions.pt --generator M:F [--gif walk.gif]          # walk along saved directions
    hjgan eval modes|ndb|digits|fashion|factors|quality|ppl|vp|compare   # metrics on saved samples
    hjgan patch stylegan2-ada DIR [--cpu] [--check] [--reverse]  # apply patches/ to a host checkout
    hjgan stylegan2-ada train --repo DIR [train.py options]      # (the StyleGAN2-ADA integration's command)

One module per command group: :mod:`.game`, :mod:`.plugins`, :mod:`.demo`, :mod:`.discover`, :mod:`.hosts` (host trainers),
and ``hjgan eval`` in :mod:`.eval_samples` and :mod:`.eval_quality` on the file loaders of :mod:`.loaders`.

Errors in the user's input (an invalid game, a malformed ``--game``) are click usage errors: a message
and exit status 2, no traceback.
"""
from __future__ import annotations

import os

import click

from . import data, demo, discover, eval_quality, eval_samples, game, hosts, plugins
from .errors import InputError

TRACEBACK_ENV = "HJGAN_TRACEBACK"


class _Commands(click.Group):
    """``hjgan``: an error no command turned into a message (an unwritable ``--out``, a truncated file) is
    shown as one line with exit status 2, not a traceback; ``HJGAN_TRACEBACK=1`` shows the traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - every other error becomes the one-line message
            if os.environ.get(TRACEBACK_ENV):
                raise
            text = " ".join(str(exc).split()) or "(no message)"
            raise InputError(f"{type(exc).__name__}: {text} (set {TRACEBACK_ENV}=1 for the traceback)") from None


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hjgan_plugin", prog_name="hjgan")
def main() -> None:
    """hjgan_plugin: joint Hessian/Jacobian penalty and G->D weight exchange for GAN trainers."""


@main.group("eval")
def eval_group() -> None:
    """Score generated samples saved as .npy/.pt files (metrics of docs/design.md §10)."""


for _command in (*eval_samples.COMMANDS, *eval_quality.COMMANDS):
    eval_group.add_command(_command)
for _command in (game.game, plugins.plugins, demo.demo, *discover.COMMANDS):
    main.add_command(_command)
main.add_command(data.data)  # hjgan data mnist
hosts.add_host_commands(main)  # hjgan patch, and the commands of the installed host integrations

__all__ = ["main", "eval_group"]
