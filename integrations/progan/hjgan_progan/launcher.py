"""``hjgan progan train TRAIN_PATH OUTPUT_DIR [progan_train options] --hj [--hj-*]``: no edit to pro-gan-pth.

Takes upstream's own argparse parser from ``pro_gan_pytorch_scripts.train.parse_arguments`` (built, not
parsed), adds ``--hj`` and every ``--hj-*`` flag to it, and runs upstream's ``train_progan`` in this
process with the torch 2.x fixes of :mod:`.compat`. Without ``--hj`` that is all: upstream's script,
unchanged. With ``--hj`` the script's ``ProGAN`` is :class:`~.progan.HJProGAN` for the duration of the
call; the exchange uses the adapter's depth pairing unless ``--hj-exchange-pairing`` says otherwise.
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import types
from typing import Iterator, Sequence

import click

from hjgan_plugin.config import HJConfig

from . import compat

PROG_NAME = "hjgan progan train"
HELP = ("Run pro-gan-pth 3.4's progan_train with the --hj/--hj-* flags: hjgan progan train TRAIN_PATH OUTPUT_DIR "
        "[progan_train options] --hj [--hj-* options].")


class _Built(Exception):
    def __init__(self, parser: argparse.ArgumentParser):
        super().__init__("parser built")
        self.parser = parser


class _BuildOnlyParser(argparse.ArgumentParser):
    def parse_args(self, args=None, namespace=None):  # noqa: ANN001 (argparse's signature)
        raise _Built(self)


def _script() -> types.ModuleType:
    compat.check_version()
    compat.apply()
    from pro_gan_pytorch_scripts import train as script  # upstream's progan_train

    return script


def upstream_parser(script: types.ModuleType | None = None) -> argparse.ArgumentParser:
    """The parser ``progan_train`` builds, before it parses: upstream's ``argparse`` is swapped, for that
    one call, for a namespace whose ``ArgumentParser`` stops at ``parse_args``."""
    script = script or _script()
    shim = types.SimpleNamespace(**{name: getattr(argparse, name) for name in dir(argparse)
                                    if not name.startswith("__")})
    shim.ArgumentParser = _BuildOnlyParser
    original, script.argparse = script.argparse, shim
    try:
        script.parse_arguments()
    except _Built as built:
        parser = built.parser
    else:
        raise RuntimeError("pro_gan_pytorch_scripts.train.parse_arguments did not build an argparse parser")
    finally:
        script.argparse = original
    parser.__class__ = argparse.ArgumentParser
    return parser


def build_parser(script: types.ModuleType | None = None) -> argparse.ArgumentParser:
    """Upstream's parser plus ``--hj`` and every ``--hj-*`` flag (plugins' included)."""
    parser = upstream_parser(script)
    parser.prog = PROG_NAME
    HJConfig.add_argparse_args(parser)
    for action in parser._actions:  # upstream's ArgumentDefaultsHelpFormatter would add "(default: None)"
        if action.dest.startswith("hj_") and action.help and "%(default)" not in action.help:
            action.help += "%(default).0s"
    return parser


def parse(argv: Sequence[str], script: types.ModuleType | None = None) -> tuple[argparse.Namespace, HJConfig]:
    """Upstream's namespace (without the hj flags, as ``progan_train`` would build it) and the config."""
    namespace = build_parser(script).parse_args(list(argv))
    try:
        config = HJConfig.from_argparse(namespace)
        if config.enabled:
            config.coefficients()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    given = sorted(k for k, v in vars(namespace).items() if k.startswith("hj_") and v is not None)
    if given and not config.enabled:
        click.echo(f"hjgan progan train: {', '.join('--' + k.replace('_', '-') for k in given)} given without "
                   "--hj: ignored, upstream runs unchanged", err=True)
    if namespace.hj_exchange_pairing is None:
        config = config.replace(exchange_pairing="adapter")
    upstream = argparse.Namespace(**{k: v for k, v in vars(namespace).items() if k != "hj" and not k.startswith("hj_")})
    return upstream, config


@contextlib.contextmanager
def _swapped(module: types.ModuleType, name: str, value: object) -> Iterator[None]:
    original = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, original)


def run(argv: Sequence[str]) -> None:
    """Run ``progan_train`` with ``argv`` (its options and the hj flags)."""
    script = _script()
    args, config = parse(argv, script)
    if not config.enabled:
        script.train_progan(args)
        return
    from .progan import HJProGAN

    print(f"hjgan_plugin: {' '.join(config.to_flags()) or '--hj'}", flush=True)
    with _swapped(script, "ProGAN", functools.partial(HJProGAN, hj=config)):
        script.train_progan(args)


@click.group("progan")
def command_group() -> None:
    """pro-gan-pth 3.4 (ProGAN) without editing the installed package."""


@command_group.command("train", context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                                  "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def train_command(args: Sequence[str]) -> None:
    """Run progan_train with ARGS and the --hj/--hj-* flags (``hjgan progan train --help``)."""
    try:
        run(args)
    except compat.UnsupportedVersionError as exc:
        if "--help" in args or "-h" in args:  # progan_train's own options need the package; ours do not
            click.echo(HJConfig.help_text(PROG_NAME, f"{HELP}\n\nNot available here: {exc}"))
            return
        raise click.UsageError(str(exc)) from None
