"""``hjgan stylegan2-ada train --repo DIR <train.py options> --hj=1 ...``: no edit to the checkout.

Imports the checkout's ``train.py``, adds the ``--hj``/``--hj-*`` options to its click command and, for
the duration of the call, wraps its ``setup_training_loop_kwargs`` with :func:`.options.apply`; then runs
the command in this process, as ``python train.py`` would. A checkout patched with ``hj-flags.patch``
already has the options and is run as it is.
"""
from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import Sequence

import click

from hjgan_plugin.config import HJConfig
from hjgan_plugin.patching import PatchError

from . import options
from .patching import check_version

PROG_NAME = "hjgan stylegan2-ada train"
HELP = ("Run a stylegan2-ada-pytorch checkout's train.py (d72cc7d) with the --hj/--hj-* options, without "
        "editing it: hjgan stylegan2-ada train --repo DIR [train.py options] --hj=1 [--hj-* options]. "
        "With --repo DIR, --help lists train.py's own options as well.")


def load_train_module(repo: str | Path) -> ModuleType:
    """Import ``DIR/train.py`` after the version check (``DIR`` goes first on ``sys.path``, and stays
    there: upstream's spawned worker processes import the same modules)."""
    repo = Path(repo).resolve()
    try:
        check_version(repo)
    except PatchError as exc:
        raise click.UsageError(str(exc)) from None
    if str(repo) not in sys.path:
        sys.path.insert(0, str(repo))
    module = sys.modules.get("train")
    if module is not None and Path(getattr(module, "__file__", "")).resolve().parent != repo:
        raise click.UsageError(f"a different module named 'train' is already imported ({module.__file__})")
    return module or importlib.import_module("train")


def _has_hj_options(command: click.Command) -> bool:
    return any(param.name == "hj" for param in command.params)


def add_hj_options(train: ModuleType) -> click.Command:
    """``train.main`` with the hj options and the ``setup_training_loop_kwargs`` wrapper (idempotent)."""
    command: click.Command = train.main
    if _has_hj_options(command):
        return command
    command.params.extend(options.click_params())
    upstream_callback = command.callback

    def callback(**kwargs):
        config = options.pop(kwargs)
        upstream_setup = train.setup_training_loop_kwargs

        def setup(**config_kwargs):
            run_desc, args = upstream_setup(**config_kwargs)
            return options.apply(config, args, run_desc), args

        train.setup_training_loop_kwargs = setup
        try:
            return upstream_callback(**kwargs)
        finally:
            train.setup_training_loop_kwargs = upstream_setup

    command.callback = callback
    return command


def run(repo: str | Path, argv: Sequence[str], *, standalone_mode: bool = True):
    """Run ``train.py`` of ``repo`` with ``argv`` (its options and the hj options)."""
    command = add_hj_options(load_train_module(repo))
    return command.main(args=list(argv), prog_name=PROG_NAME, standalone_mode=standalone_mode)


@click.group("stylegan2-ada")
def command_group() -> None:
    """NVlabs stylegan2-ada-pytorch without editing the checkout."""


@command_group.command("train", context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                                  "help_option_names": []})
@click.option("--repo", default=None, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="the stylegan2-ada-pytorch checkout (d72cc7d)")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def train_command(repo: Path | None, args: Sequence[str]) -> None:
    """Run REPO/train.py with ARGS and the --hj/--hj-* options (``... train --repo DIR --help``)."""
    if repo is None:
        if "--help" in args or "-h" in args:  # train.py's own options need the checkout; ours do not
            click.echo(HJConfig.help_text(f"{PROG_NAME} --repo DIR", HELP))
            return
        raise click.UsageError("--repo DIR is required: the stylegan2-ada-pytorch checkout (d72cc7d) whose "
                               "train.py runs (with --repo DIR, --help lists train.py's options too)")
    run(repo, args)
