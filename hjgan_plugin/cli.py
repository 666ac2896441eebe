"""The ``hjgan`` command line (console script, also ``python -m hjgan_plugin``).

    hjgan game [--v 1 --c 2 --k 0.5 | --game 1,2,0.5] [--json]   # Eagle-Dove matrix, equilibrium, alpha, beta
    hjgan plugins                                                # plugins, their hooks, adapters, exchange rules
    hjgan demo [ARGS...]                                         # the squares demo (hjgan_plugin.demo)
    hjgan eval modes|ndb|digits|factors|quality|ppl|vp|compare   # metrics on saved samples (eval_cli.py)
    hjgan patch stylegan2-ada DIR [--cpu] [--check] [--reverse]  # apply patches/ to a host checkout
    hjgan stylegan2-ada train --repo DIR [train.py options]      # upstream train.py with --hj options

Errors in the user's input (an invalid game, a malformed ``--game``) are click usage errors: a message
and exit status 2, no traceback.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Sequence

import click

from .config import parse_game
from .game import EagleDove

DEFAULT_GAME = (1.0, 2.0, 0.5)  # SPEC §7: --hj-game default (alpha = beta = 0.5)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hjgan_plugin", prog_name="hjgan")
def main() -> None:
    """hjgan_plugin: joint Hessian/Jacobian penalty and G->D weight exchange for GAN trainers."""


# ---------------------------------------------------------------------------------------------- game
def _game_from_options(v: float | None, c: float | None, k: float | None, game: str | None) -> EagleDove:
    if game is not None:
        if any(x is not None for x in (v, c, k)):
            raise click.UsageError("give either --game v,c,k or --v/--c/--k, not both")
        try:
            values = parse_game(game)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--game") from None
    else:
        values = tuple(d if x is None else x for x, d in zip((v, c, k), DEFAULT_GAME))
    try:
        return EagleDove(*values)
    except ValueError as exc:  # the game's own message names the bad parameter
        raise click.UsageError(str(exc)) from None


def game_summary(game: EagleDove) -> dict[str, Any]:
    """The game as plain JSON types: parameters, payoff matrix, equilibrium, alpha and beta."""
    p, q = game.equilibrium()
    alpha, beta = game.coefficients()
    matrix = game.payoff_matrix()
    return {
        "v": game.v,
        "c": game.c,
        "k": game.k,
        "strategies": ["Eagle", "Dove"],
        # payoffs[row][column] = [payoff to G (row player), payoff to D (column player)]
        "payoffs": matrix.tolist(),
        "equilibrium": {
            "kind": "mixed" if game.c > game.v else "pure",
            "p_G_eagle": p,
            "q_D_eagle": q,
        },
        "alpha": alpha,
        "beta": beta,
    }


@main.command()
@click.option("--v", "v", type=float, default=None, help="value v > 0 (default 1)")
@click.option("--c", "c", type=float, default=None, help="cost c > 0 (default 2)")
@click.option("--k", "k", type=float, default=None, help="split k in (0, 1) (default 0.5)")
@click.option("--game", "game", type=str, default=None, metavar="V,C,K",
              help="the three parameters at once, as --hj-game takes them (e.g. 1,2,0.5)")
@click.option("--json", "as_json", is_flag=True, help="print a JSON object instead of text")
def game(v: float | None, c: float | None, k: float | None, game: str | None, as_json: bool) -> None:
    """Eagle-Dove game (SPEC §3): payoff matrix, equilibrium and the Eq. 15 weights alpha, beta."""
    g = _game_from_options(v, c, k, game)
    if as_json:
        click.echo(json.dumps(game_summary(g), indent=2))
    else:
        click.echo(g.describe())


# ------------------------------------------------------------------------------------------- plugins
@main.command()
def plugins() -> None:
    """Plugins of the 'hjgan' entry-point group, their hooks, adapters and exchange rules."""
    from . import plugin_manager

    try:
        text = plugin_manager.describe(plugin_manager.get_plugin_manager())
    except (ValueError, TypeError) as exc:  # e.g. two plugins registering the same adapter name
        raise click.ClickException(str(exc)) from None
    click.echo(text)


# ---------------------------------------------------------------------------------------------- eval
from .eval_cli import eval_group  # noqa: E402  (its metric imports are lazy)

main.add_command(eval_group)


# ---------------------------------------------------------------------------------------------- demo
@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def demo(args: Sequence[str]) -> None:
    """Run the squares demo; ARGS go to it unchanged (``hjgan demo --help`` shows its options)."""
    try:
        from . import demo as demo_module  # lazy: torch training code, and written separately
    except ImportError as exc:
        raise click.ClickException(f"the demo is not available: {exc}") from None
    status = demo_module.main(list(args))
    sys.exit(int(status or 0))


# ------------------------------------------------------------------------------------- host trainers
PATCH_HOSTS = ("stylegan2-ada",)


@main.command()
@click.argument("host", type=click.Choice(PATCH_HOSTS))
@click.argument("repo", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--cpu", is_flag=True, help="also apply the CPU patch (machines without CUDA; tests)")
@click.option("--check", "check_only", is_flag=True, help="check version and patches, change nothing")
@click.option("--reverse", is_flag=True, help="remove the patches instead")
def patch(host: str, repo: Path, cpu: bool, check_only: bool, reverse: bool) -> None:
    """Apply hjgan_plugin's patches to a HOST checkout in REPO: version-checked, all or nothing."""
    from .integrations.stylegan2_ada import patching

    try:
        result = patching.patch(repo, cpu=cpu, reverse=reverse, check_only=check_only)
    except patching.PatchError as exc:
        raise click.ClickException(str(exc)) from None
    prefix = "check: would have " if check_only else ""
    for line in result.messages(repo, reverse=reverse):
        click.echo(prefix + line)


@main.group("stylegan2-ada")
def stylegan2_ada() -> None:
    """NVlabs stylegan2-ada-pytorch without editing the checkout."""


@stylegan2_ada.command("train", context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                                  "help_option_names": []})
@click.option("--repo", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="the stylegan2-ada-pytorch checkout (d72cc7d)")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def stylegan2_ada_train(repo: Path, args: Sequence[str]) -> None:
    """Run REPO/train.py with ARGS and the --hj/--hj-* options (``... train --repo DIR --help``)."""
    from .integrations.stylegan2_ada import launcher

    launcher.run(repo, args)


if __name__ == "__main__":  # pragma: no cover
    main()
